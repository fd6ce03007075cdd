"""What a chapter notebook calls: pick the chapter, show its code, run its `flask` commands and its
tests (`terminal`), look at its pages (and read them: `csrf_token`, `signed_in_as`, `toolbar_queries`),
try it on the other databases, watch its Celery tasks run (`watch`, `worker_says`, `log_lines`). What a
learner would otherwise read past in a cell lives here; the cell is one call.

    from workbook.notebook import use_chapter, show_source
    use_chapter(2)
    show_source("main.py", "User")

What this machine lacks (Chromium, PostgreSQL, MariaDB) is one line in the cell's output on a laptop,
and the rest of the notebook runs; in CI (`CI=true`) it is an error, as in the suites.

    python -m workbook.notebook refresh 3      # re-run chapter 3's notebook, store its outputs
    python -m workbook.notebook refresh all

Standard library at import time (a standalone checkout copies this module); IPython, Selenium,
SQLAlchemy and nbclient are imported when used.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbook import chapters, live

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
        # A key of the notebook's own: without one, the development config would make one and keep
        # it in the chapter's instance/ folder, and a notebook must leave the snapshot as it was.
        SECRET_KEY=secrets.token_hex(),
    )
    _selected = chapter
    print(f"Chapter {chapter.number}: {chapter.title}")
    # The same line in the repository and in a standalone checkout: stored outputs hold in both.
    print(f"code: {chapter.name} · database: a fresh SQLite file for this notebook")


def _chapter() -> chapters.Chapter:
    if _selected is None:
        raise RuntimeError("call use_chapter(N) first")
    return _selected


def chapter_folder() -> Path:
    """The selected chapter's code: where its `flask` and `celery` commands run."""
    return _chapter().path


# What `workbook checkout` adds to a chapter's folder (its suites, their plugins and settings, the
# notebook): not part of the chapter a reader has. The checkout keeps the chapter's own pytest.ini
# under workbook/ (OWN_PYTEST_INI), since the suites' settings take its place.
CHECKOUT_ONLY = ("workbook", "workbook_tests", "conftest.py", "constraints.txt", "sanitize.cfg", "*.ipynb")
OWN_PYTEST_INI = Path("workbook") / "chapter-pytest.ini"


def copy_of_the_chapter(dest: Path) -> Path:
    """A copy of the chapter's folder as its reader has it (in the repository or in a checkout): its
    own files, without what it made when run (instance/, bundles, coverage data)."""
    import shutil

    source = chapter_folder()
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(
        *chapters.NOT_THE_CHAPTERS_FOLDERS, *(f"*{suffix}" for suffix in chapters.NOT_THE_CHAPTERS_SUFFIXES),
        ".coverage.*", *CHECKOUT_ONLY))
    if (source / OWN_PYTEST_INI).exists():
        shutil.copy2(source / OWN_PYTEST_INI, dest / "pytest.ini")
    return dest


def flask(*args: str, database: str | None = None, env: dict[str, str] | None = None) -> int | None:
    """Run `flask --app <chapter> ARGS…` in the chapter's folder, as a reader would in a terminal.

    `database`: a database URL for this command (DATABASE_URL), instead of the notebook's SQLite file.
    `env`: more environment variables for this command only, shown in front of it as a shell would.
    """
    chapter = _chapter()
    # The `flask` script beside this interpreter, so that help texts say "Usage: flask …" as in a terminal.
    script = Path(sys.executable).with_name("flask")
    launcher = [str(script)] if script.exists() else None
    extra = {**({"DATABASE_URL": database} if database is not None else {}), **(env or {})}
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **extra}
    prompt = "$ " + "".join(f"{name}={value} " for name, value in extra.items())
    # One pipe for both streams, unbuffered: lines appear in the order a terminal would show them
    # (Alembic logs to stderr, commands print to stdout).
    result = subprocess.run(
        chapter.flask_command(*args, launcher=launcher),
        cwd=chapter.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=environment,
    )
    print(f"{prompt}flask --app {chapter.flask_app} {' '.join(args)}")
    print(plain(result.stdout).rstrip())
    return None if result.returncode == 0 else result.returncode


def terminal(command: str, folder: Path | None = None, cut: int | None = None) -> int | None:
    """Run `command` (`python …`, or a module's command: `coverage …`, `pytest …`) in `folder` (default:
    the chapter's), as a reader would in a terminal, and print it and what it printed, without colours;
    lines longer than `cut` are cut. Returns the exit status when it is not 0.

    It runs with none of the notebook's settings (its database, its app) nor those of a pytest running
    the notebook; pytest prints no header (its lines name this machine's Python and plugins), and its
    `=====` headings are kept short (centred between as many "=" as the line leaves, a time a digit
    longer would move them)."""
    import shlex

    argv = shlex.split(command)
    argv = [sys.executable, *argv[1:]] if argv[0] == "python" else [sys.executable, "-m", *argv]
    env = {name: value for name, value in os.environ.items()
           if name not in ("DATABASE_URL", "FLASK_APP", "WEBAPP_ENV", "PY_COLORS", "FORCE_COLOR")
           and not name.startswith("PYTEST_")}
    env.update(COLUMNS="100", NO_COLOR="1", PYTEST_ADDOPTS="--no-header --color=no", PYTHONUNBUFFERED="1")
    result = subprocess.run(argv, cwd=folder or chapter_folder(), env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # as a terminal shows them
    output = re.sub(r"(?m)^=+ (.+?) =+$", r"== \1 ==", plain(result.stdout).rstrip())
    if cut:
        output = "\n".join(line if len(line) <= cut else line[:cut - 1] + "…" for line in output.splitlines())
    print(f"$ {command}\n{output}")
    return result.returncode or None


# Colours and cursor moves a program writes for a terminal (Click, pytest, Celery): not for a stored output.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(text: str) -> str:
    """`text` without its terminal colour codes."""
    return _ANSI.sub("", text)


# --------------------------------------------------------------------------- the chapter's code

LANGUAGES = {".py": "python", ".html": "jinja", ".css": "css", ".ini": "ini", ".toml": "toml",
             ".mako": "mako", ".md": "markdown"}
# Between two pieces of a file that are not next to each other.
GAPS = {".py": "# …", ".html": "{# … #}"}


def show_source(path: str, *names: str) -> None:
    """Show a file of the chapter's code, or only some of its definitions, as they are on disk.

    `path` is relative to the chapter's folder ("main.py", "webapp/models.py", "templates/home.html").
    `names` picks pieces, shown in the file's order with the comments just above them:
      - Python: a class, function or assignment (`"User"`, `"tags"`), a method (`"UserView.get"`), a
        function defined inside another (`"on_identity_loaded"`); or, failing those, the top-level
        statements that start with the text (`"app.add_url_rule"`). An assignment or statement comes
        with the lines right under it, up to a blank line (`"login_manager"` and its settings);
      - a template: a macro (`"render_pagination"`) or a block (`"body"`).
    Jupyter shows it highlighted (Markdown); the plain text beside it is what nbval compares.
    """
    title, code, language = _source(path, names)
    plain = f"{title}\n\n{code}"
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", code)), default=0))
    markdown = f"`{title}`\n\n{fence}{language}\n{code}\n{fence}"
    try:
        from IPython.display import display
    except ImportError:
        print(plain)
        return
    display({"text/plain": plain, "text/markdown": markdown}, raw=True)


def source_text(path: str, *names: str) -> str:
    """The code `show_source(path, *names)` shows, as text."""
    return _source(path, names)[1]


def _source(path: str, names: tuple[str, ...]) -> tuple[str, str, str]:
    """(title, code, language) of what `show_source` shows."""
    file = _chapter().path / path
    text = file.read_text(encoding="utf-8")
    lines = text.splitlines()
    if names:
        find = _python_spans if file.suffix == ".py" else _template_spans
        spans = sorted(span for name in names for span in find(text, name, path))
    else:
        spans = [(0, len(lines))]
    merged: list[tuple[int, int]] = []
    for start, stop in spans:  # pieces next to each other (blank lines between) are shown as one
        if merged and (start <= merged[-1][1]
                       or not any(line.strip() for line in lines[merged[-1][1]:start])):
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    pieces = ["\n".join(lines[start:stop]).strip("\n") for start, stop in merged]
    code = f"\n\n{GAPS.get(file.suffix, '…')}\n\n".join(pieces)
    title = path + (f": {', '.join(names)}" if names else "")
    return title, code, LANGUAGES.get(file.suffix, "")


def _python_spans(text: str, name: str, path: str) -> list[tuple[int, int]]:
    """(first line, line after the last) of each piece `name` names, 0-based."""
    lines = text.splitlines()
    tree = ast.parse(text)
    nodes = _definitions(tree.body, name.split("."))
    if not nodes and "." not in name:  # defined inside a function or class
        nodes = [node for outer in ast.walk(tree) if outer is not tree
                 for node in _definitions(getattr(outer, "body", []), [name])]
    if not nodes:  # top-level statements that start with the text
        nodes = [node for node in tree.body if lines[node.lineno - 1].lstrip().startswith(name)]
    if not nodes:
        raise LookupError(f"{path} has no definition or statement named {name!r}")
    spans = []
    for node in nodes:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1  # the comments that say why belong to it
        stop = node.end_lineno
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Expr)) and node in tree.body:
            # An object and what is done to it next: `login_manager = LoginManager()` and the
            # settings under it, up to a blank line or a definition.
            for after in tree.body[tree.body.index(node) + 1:]:
                if isinstance(after, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or not all(
                        line.strip() for line in lines[stop:after.lineno - 1]):
                    break
                stop = after.end_lineno
        spans.append((start, stop))
    return spans


def _definitions(body: list, parts: list[str]) -> list:
    found = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            named = node.name == parts[0]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named = any(isinstance(t, ast.Name) and t.id == parts[0] for t in targets)
        else:
            named = False
        if named:
            found += [node] if len(parts) == 1 else _definitions(getattr(node, "body", []), parts[1:])
    return found


_TAG = re.compile(r"{%-?\s*(macro|endmacro|block|endblock)\b\s*([\w]*)")


def _template_spans(text: str, name: str, path: str) -> list[tuple[int, int]]:
    for kind in ("macro", "block"):
        depth, start = 0, None
        for match in _TAG.finditer(text):
            tag, tag_name = match.groups()
            if tag == kind and start is None and tag_name == name:
                start, depth = match.start(), 1
            elif start is not None and tag == kind:
                depth += 1
            elif start is not None and tag == "end" + kind:
                depth -= 1
                if depth == 0:
                    lines = text.splitlines()
                    first = text.count("\n", 0, start)
                    if first > 0 and lines[first - 1].rstrip().endswith("#}"):
                        first -= 1  # the comment just above it belongs to it
                        while first > 0 and "{#" not in lines[first]:
                            first -= 1
                    return [(first, text.count("\n", 0, match.end()) + 1)]
    raise LookupError(f"{path} has no macro or block named {name!r}")


# --------------------------------------------------------------------------- what may be missing


def _missing(note: str, reason: str) -> None:
    """Something this machine lacks: one line (`note`) in the cell's output; in CI, an error (`reason`)."""
    if live.in_ci():
        raise live.Unavailable(f"CI needs this: {reason}")
    try:
        from IPython.display import display
    except ImportError:
        print(note)
        return
    # The MIME type beside the text tells the harness it is a note, not ordinary output.
    display({"text/plain": note, live.MISSING_MIME: {"note": note}}, raw=True)


def show_page(app, path: str = "/", width: int = 1000, height: int = 600, actions=None,
              full_page: bool = False) -> None:
    """Serve `app` on 127.0.0.1 and show a headless-Chromium screenshot of `path`.

    `actions(driver, base_url)`, if given, runs once the page is loaded (fill a form, click…); the
    screenshot is of where it leaves the browser. `full_page`: the whole page, `height` or taller.
    """
    try:
        driver = live.chromium(width, height)
    except live.Unavailable as missing:
        _missing(f"{missing}: the screenshot is skipped; {live.INSTALL_CHROMIUM}",
                 reason=f"{missing}: {live.INSTALL_CHROMIUM}")
        return
    from urllib.parse import urlsplit

    from IPython.display import Image, display

    try:
        with live.serving(app, quiet=True) as base:
            live.set_viewport(driver, width, height)
            driver.get(base + path)
            if actions is not None:
                actions(driver, base)
            if full_page:
                live.set_viewport(driver, width, max(height, driver.execute_script(
                    "return document.documentElement.scrollHeight")))
            png = driver.get_screenshot_as_png()
            title = driver.title
            where = urlsplit(driver.current_url)
    finally:
        driver.quit()
    shown = where.path + (f"?{where.query}" if where.query else "") + (
        f"#{where.fragment}" if where.fragment else "")
    size = f"{width} wide, the whole page" if full_page else f"{width}×{height}"
    print(f"screenshot of {shown} ({size}), page title: {title!r}")
    display(Image(png))


def other_databases(*services: str):
    """A fresh, empty database on each of PostgreSQL and MariaDB (or the `services` named) that this
    machine has: yields (name, URL) for each, and drops the database after its turn.

    A server that does not answer is one line saying so, and its turn is skipped (in CI: an error).
    """
    for service in services or ("postgresql", "mariadb"):
        with contextlib.ExitStack() as stack:
            try:
                url = stack.enter_context(live.fresh_database(service))
            except live.Unavailable as missing:
                _missing(f"{live.service_address(service)} is not reachable: skipped here; start it, or "
                         f"set {live.SERVICE_SETTINGS[service]}", reason=str(missing))
                continue
            yield live.SERVICE_NAMES[service], url


# --------------------------------------------------------------------------- what a page says


def csrf_token(page: str) -> str:
    """The CSRF token of the (first) form of an HTML `page`, as a browser would send it back."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def signed_in_as(page: str) -> str:
    """Who the navigation bar of an HTML `page` says is signed in (its `id="signed-in"`), or "nobody"."""
    found = re.search(r'id="signed-in">([^<]+)<', page)
    return found.group(1).strip() if found else "nobody"


def toolbar_queries(page: str) -> list[tuple[float, str, str]]:
    """The SQL queries that Flask-DebugToolbar's SQL panel lists in an HTML `page`: (milliseconds, where
    it ran as the panel says it, e.g. "blog.py:87 (home)", the query on one line)."""
    import html

    def text(cell: str) -> str:
        return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())

    panel = page[page.index('id="flDebugSQLAlchemyPanel-content"'):]
    rows = []
    for row in re.findall(r"<tr.*?</tr>", panel[panel.index("<tbody"):panel.index("</tbody>")], re.S):
        took, _, where, sql = (text(cell) for cell in re.findall(r"<td.*?</td>", row, re.S))
        # The panel's markup puts spaces inside "post.text", "count(*)"…: the query as it was sent.
        sql = re.sub(r"\s+([,)])|(\()\s+", r"\1\2", sql)
        sql = re.sub(r"(\w)\. (\w)", r"\1.\2", sql).replace("count (", "count(")
        rows.append((float(took), where.removeprefix("./controllers/"), sql))
    return rows


# --------------------------------------------------------------------------- Celery tasks, as they run


def watch(task, *args, when=None, **kwargs):
    """Send `task` to a worker (`task.delay(*args, **kwargs)`), print each state of it as it changes,
    until it is ready, and return its AsyncResult. `when`: {state: function to call as that state
    appears} (start the mail server again on RETRY…).

    A book's task takes milliseconds: its STARTED would slip between two looks at the result (every
    50 ms). So while the task waits (PENDING, RETRY) this holds the notebook's SQLite database (an
    exclusive transaction), and lets it go once the task is STARTED: a task that reads the database
    (the digest, a reminder) starts, then waits there, as it would behind a busy database. Nothing
    else may use the database meanwhile: run it while beat (whose sweeper reads it) is not running.
    """
    import sqlite3

    from celery.states import READY_STATES

    try:  # the notebook's own session holds nothing on the database meanwhile
        from flask import current_app

        current_app.extensions["sqlalchemy"].session.remove()
    except (RuntimeError, KeyError):  # no app context, or no Flask-SQLAlchemy
        pass
    database = sqlite3.connect(os.environ["DATABASE_URL"].removeprefix("sqlite:///"),
                               isolation_level=None, timeout=10)
    try:
        database.execute("BEGIN EXCLUSIVE")
        holding, seen = True, None
        result = task.delay(*args, **kwargs)
        while True:
            state = result.state
            waiting = state in ("PENDING", "RETRY")
            if waiting and not holding:
                database.execute("BEGIN EXCLUSIVE")
            elif holding and not waiting:
                database.execute("COMMIT")
            holding = waiting
            if state != seen:
                seen = state
                print(state, *[repr(result.info)] if state in ("RETRY", "FAILURE", "SUCCESS") else [])
                (when or {}).get(state, lambda: None)()
            if state in READY_STATES:  # the state read above: ready() would read it again
                return result
            time.sleep(0.05)
    finally:
        database.close()  # and with it any transaction still open


def worker_says(worker, result, timeout: float = 10) -> None:
    """Print the lines of `worker`'s log (a workbook.workers.Worker) about the task of `result`,
    without their time and the task's id, and a task's duration to the millisecond. The worker logs
    that a task succeeded just after storing its result: this waits for that line (or the one saying
    it failed) first."""
    deadline = time.monotonic() + timeout
    endings = (f"{result.id}] succeeded", f"{result.id}] raised")
    while not any(ending in worker.output() for ending in endings) and time.monotonic() < deadline:
        time.sleep(0.05)
    for line in plain(worker.output()).splitlines():
        if result.id in line:
            line = line.split("] ", 1)[1].replace(f"[{result.id}]", "")
            # "succeeded in 0.25417087400001037s": a time to the millisecond says as much.
            print(re.sub(r"succeeded in (\d+\.\d+)s:", lambda took: f"succeeded in {float(took[1]):.3f}s:",
                         line))


def log_lines(process, text: str) -> list[str]:
    """The lines of a Celery process's log (a workbook.workers.Worker: worker or beat) that hold
    `text`, without their time, level and process, nor the ids of the tasks they name."""
    return [_TASK_ID.sub("", re.sub(r"^\[[^\]]*\] ", "", line))
            for line in plain(process.output()).splitlines() if text in line]


_TASK_ID = re.compile(r"\[[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\]")


# --------------------------------------------------------------------------- running a notebook


def execute(notebook: Path, env: dict[str, str] | None = None, timeout: int = 600):
    """Run every cell of `notebook` in a fresh kernel (from its own folder); returns the executed
    notebook. nbclient's CellExecutionError on the first cell that raises."""
    import shutil

    import nbclient
    import nbformat

    document = nbformat.read(notebook, as_version=4)
    client = nbclient.NotebookClient(
        document, kernel_name=document.metadata.kernelspec.name, timeout=timeout,
        resources={"metadata": {"path": str(notebook.parent)}}, record_timing=False,
    )
    manager = client.create_kernel_manager()  # the client's own: it shuts the kernel down after
    sockets = Path(tempfile.mkdtemp(prefix="workbook-kernel-"))
    if sys.platform != "win32":  # Unix sockets, which only this user can reach, rather than TCP ports
        manager.transport = "ipc"
        manager.ip = str(sockets / "kernel")
    try:
        client.execute(env=env if env is not None else dict(os.environ))
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    return document


def refresh(chosen: list[chapters.Chapter], out=sys.stdout) -> int:
    """Re-run each chapter's notebook and store its outputs in place, as CI would see them."""
    import nbclient
    import nbformat

    # As in CI: a missing browser or database fails the run instead of leaving a note in the outputs.
    env = {**os.environ, "CI": "true", "JUPYTER_PLATFORM_DIRS": "1"}
    failed = 0
    for chapter in chosen:
        started = time.monotonic()
        try:
            document = execute(chapter.notebook, env)
        except nbclient.exceptions.CellExecutionError as error:
            print(f"{chapter.notebook.name}: a cell failed; the notebook is left as it was\n{error}",
                  file=out)
            failed += 1
            continue
        for cell in document.cells:
            cell.metadata.pop("execution", None)
        nbformat.write(document, chapter.notebook)
        cells = sum(cell.cell_type == "code" for cell in document.cells)
        print(f"{chapter.notebook.name}: {cells} code cells run in {time.monotonic() - started:.1f} s, "
              "outputs stored", file=out)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbook.notebook", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("refresh", help="re-run chapter notebooks and store their outputs in place")
    p.add_argument("chapters", nargs="+", metavar="N", help="chapter numbers or names, or 'all'")
    args = parser.parse_args(argv)
    try:
        chosen = list(chapters.CHAPTERS) if args.chapters == ["all"] else [
            chapters.get(n) for n in args.chapters]
    except chapters.UnknownChapter as error:
        parser.exit(2, f"{parser.prog}: {error}\n")
    chosen = [chapter for chapter in chosen if chapter.notebook.exists()]
    return refresh(chosen)


if __name__ == "__main__":
    sys.exit(main())
