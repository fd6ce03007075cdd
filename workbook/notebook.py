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
import threading
from pathlib import Path

from workbook import chapters

# Names a chapter defines at its top level: forgotten when another chapter is selected.
CHAPTER_MODULES = {"main", "config", "webapp", "manage", "celery_runner"}

_selected: chapters.Chapter | None = None
_workdir: Path | None = None


def use_chapter(number: int) -> None:
    """Make chapter `number` importable and work in a fresh folder with a throwaway SQLite database."""
    global _selected, _workdir
    chapter = chapters.get(number)
    for name in list(sys.modules):
        if name.split(".")[0] in CHAPTER_MODULES:
            del sys.modules[name]
    sys.path[:] = [p for p in sys.path if not p.startswith(str(chapters.ROOT / "chapters"))]
    sys.path.insert(0, str(chapter.path))
    _workdir = Path(tempfile.mkdtemp(prefix=f"workbook-{chapter.name}-"))
    os.chdir(_workdir)
    os.environ.update(
        DATABASE_URL=f"sqlite:///{_workdir / 'database.db'}",
        FLASK_APP=chapter.app_import,
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
    command = [str(script)] if script.exists() else [sys.executable, "-m", "flask"]
    # One pipe for both streams, unbuffered: lines appear in the order a terminal would show them
    # (Alembic logs to stderr, commands print to stdout).
    result = subprocess.run(
        [*command, "--app", chapter.app_import, *args],
        cwd=chapter.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    print(f"$ flask --app {chapter.app_import} {' '.join(args)}")
    print(result.stdout.rstrip())
    return None if result.returncode == 0 else result.returncode


def show_page(app, path: str = "/", width: int = 1000, height: int = 600, actions=None):
    """Serve `app` on 127.0.0.1 and show a headless-Chromium screenshot of `path`.

    `actions(driver, base_url)`, if given, runs before the screenshot (log in, fill a form…).
    """
    from IPython.display import Image, display
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        """No access log: its timestamped lines (and the browser's favicon request) would land in the
        notebook's output and differ on every run."""

        def log_request(self, *args, **kwargs):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        # --window-size is the outer window; headless Chromium keeps part of it for (invisible) browser
        # chrome, so the page would get less than asked for. Pin the page's own viewport instead.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        base = f"http://127.0.0.1:{server.server_port}"
        if actions is not None:
            actions(driver, base)
        driver.get(base + path)
        png = driver.get_screenshot_as_png()
        title = driver.title
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()
        thread.join()
    print(f"screenshot of {path} ({width}×{height}), page title: {title!r}")
    display(Image(png))
