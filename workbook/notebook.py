"""What a chapter notebook calls: pick the chapter, run its `flask` commands, look at its pages.

    from workbook.notebook import use_chapter
    use_chapter(2)

Standard library at import time (a standalone checkout copies this module); Selenium and IPython are
imported only by `show_page`.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from workbook import chapters

_selected: chapters.Chapter | None = None
_workdir: Path | None = None


def use_chapter(number: int) -> None:
    """Make chapter `number` importable and work in a fresh folder with a throwaway SQLite database."""
    global _selected, _workdir
    chapter = chapters.get(number)
    chapters.activate(chapter.path)
    _workdir = Path(tempfile.mkdtemp(prefix=f"workbook-{chapter.name}-"))
    os.chdir(_workdir)
    os.environ.update(
        DATABASE_URL=f"sqlite:///{_workdir / 'database.db'}",
        FLASK_APP=chapter.flask_app,
        WEBAPP_ENV="dev",
    )
    _selected = chapter
    print(f"Chapter {chapter.number}: {chapter.title}")
    # The same line in the repository and in a standalone checkout: stored outputs hold in both.
    print(f"code: {chapter.name} · database: a fresh SQLite file for this notebook")


def _chapter() -> chapters.Chapter:
    if _selected is None:
        raise RuntimeError("call use_chapter(N) first")
    return _selected


def flask(*args: str) -> int | None:
    """Run `flask --app <chapter> ARGS…` in the chapter's folder, as a reader would in a terminal."""
    chapter = _chapter()
    # The `flask` script beside this interpreter, so that help texts say "Usage: flask …" as in a terminal.
    script = Path(sys.executable).with_name("flask")
    launcher = [str(script)] if script.exists() else None
    # One pipe for both streams, unbuffered: lines appear in the order a terminal would show them
    # (Alembic logs to stderr, commands print to stdout).
    result = subprocess.run(
        chapter.flask_command(*args, launcher=launcher),
        cwd=chapter.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    print(f"$ flask --app {chapter.flask_app} {' '.join(args)}")
    print(result.stdout.rstrip())
    return None if result.returncode == 0 else result.returncode


def show_page(app, path: str = "/", width: int = 1000, height: int = 600, actions=None):
    """Serve `app` on 127.0.0.1 and show a headless-Chromium screenshot of `path`.

    `actions(driver, base_url)`, if given, runs before the screenshot (log in, fill a form…).
    """
    from IPython.display import Image, display

    from workbook.live import chromium, serving

    with serving(app, quiet=True) as base:
        driver = chromium(width, height)
        try:
            # --window-size is the outer window; headless Chromium keeps part of it for (invisible)
            # browser chrome, so the page would get less than asked for. Pin the viewport instead.
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": 1,
                                    "mobile": False})
            if actions is not None:
                actions(driver, base)
            driver.get(base + path)
            png = driver.get_screenshot_as_png()
            title = driver.title
        finally:
            driver.quit()
    print(f"screenshot of {path} ({width}×{height}), page title: {title!r}")
    display(Image(png))
