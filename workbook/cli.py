"""The `workbook` command: list, check out, diff, run and check the chapters of the workbook."""
from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from workbook import chapters, notebook, supervise, workers

ROOT = chapters.ROOT
# What is never part of a chapter (chapters.NOT_THE_CHAPTERS_*): a checkout makes its own.
IGNORED = shutil.ignore_patterns(*chapters.NOT_THE_CHAPTERS_FOLDERS,
                                 *("*" + suffix for suffix in chapters.NOT_THE_CHAPTERS_SUFFIXES))
# Where a checkout keeps the workbook's suites: its tests/ folder is the chapter's own (chapter 12).
SUITES = "workbook_tests"
# What a checkout's tests and notebook need beyond the chapter's own requirements.
# (pytest-xdist: `python -m pytest -n auto` runs the suites on every core.)
TEST_TOOLS = ("pytest", "pytest-xdist", "coverage", "selenium", "nbval", "ipykernel", "jupyterlab")
# The kinds of tests a checkout's `python -m pytest` leaves out, run by `python -m pytest --all`.
SLOW_KINDS = ("server", "ui")


class Problem(Exception):
    """A mistake in what was asked: reported as one line, exit status 1."""


def chapter_arg(value: str) -> chapters.Chapter:
    try:
        return chapters.get(value)
    except chapters.UnknownChapter as error:
        raise argparse.ArgumentTypeError(str(error)) from None


# --------------------------------------------------------------------------- list


def cmd_list(args) -> int:
    for chapter in chapters.CHAPTERS:
        print(f"{chapter.number or '':>2}  {chapter.title}  [{chapter.name}]")
        print(f"    book sections: {' · '.join(chapter.sections)}")
    return 0


# --------------------------------------------------------------------------- diff


def changed_files(a: chapters.Chapter, b: chapters.Chapter, paths=()) -> list[tuple[str, bytes, bytes]]:
    """(name, before, after) of each file that differs, limited to names under one of `paths`."""
    old, new = chapters.files(a.path), chapters.files(b.path)
    wanted = [path.strip("/") for path in paths]
    changed = []
    for name in sorted(old.keys() | new.keys()):
        if wanted and not any(name == w or name.startswith(w + "/") for w in wanted):
            continue
        before = old[name].read_bytes() if name in old else b""
        after = new[name].read_bytes() if name in new else b""
        if before != after:
            changed.append((name, before, after))
    return changed


def diff_stat(a: chapters.Chapter, b: chapters.Chapter, paths=()) -> list[str]:
    """One line per changed file with its added and removed lines, as `git diff --stat` prints."""
    rows = []
    for name, before, after in changed_files(a, b, paths):
        try:
            lines = list(difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(),
                                              lineterm="", n=0))
        except UnicodeDecodeError:
            rows.append((name, "binary", 0, 0))
            continue
        body = [line for line in lines[2:] if not line.startswith("@@")]
        added = sum(line.startswith("+") for line in body)
        rows.append((name, "", added, len(body) - added))
    width = max((len(name) for name, *_ in rows), default=0)
    out = [f" {name:<{width}} | {note or f'+{added} -{removed}'}\n" for name, note, added, removed in rows]
    total_added, total_removed = sum(r[2] for r in rows), sum(r[3] for r in rows)
    out.append(f" {len(rows)} files changed, {total_added} insertions(+), {total_removed} deletions(-)\n")
    return out


def unified_diff(a: chapters.Chapter, b: chapters.Chapter, paths=()) -> list[str]:
    old, new = chapters.files(a.path), chapters.files(b.path)
    out: list[str] = []
    for name, before, after in changed_files(a, b, paths):
        left = f"a/{a.name}/{name}" if name in old else "/dev/null"
        right = f"b/{b.name}/{name}" if name in new else "/dev/null"
        try:
            lines = difflib.unified_diff(
                before.decode().splitlines(keepends=True), after.decode().splitlines(keepends=True),
                left, right,
            )
        except UnicodeDecodeError:
            out.append(f"Binary files {left} and {right} differ\n")
            continue
        out.extend(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)
    return out


def is_doc(name: str) -> bool:
    """A chapter's prose (its README), as against its code."""
    return name.endswith(".md")


def cmd_diff(args) -> int:
    """The code's diff first; a README's only with --docs, else a line per changed README."""
    if args.stat:  # a line per file: the prose's lines are no burden
        sys.stdout.writelines(diff_stat(args.a, args.b, args.paths))
        return 0
    changed = [name for name, _, _ in changed_files(args.a, args.b, args.paths)]
    code = [name for name in changed if not is_doc(name)]
    docs = [name for name in changed if is_doc(name)]
    if code:
        sys.stdout.writelines(unified_diff(args.a, args.b, code))
    elif docs:
        print(f"{args.b.label} changes no code of {args.a.label}'s: only its prose.")
    if docs and args.docs:
        sys.stdout.writelines(unified_diff(args.a, args.b, docs))
    elif docs:
        print("\nProse changed too (`--docs` shows it):")
        sys.stdout.writelines(diff_stat(args.a, args.b, docs)[:-1])
    return 0


# --------------------------------------------------------------------------- checkout


def read_lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split("==", 1)
            pins[name.split("[")[0].strip().lower()] = version.strip()
    return pins


def tests_for(chapter: chapters.Chapter) -> dict[str, set[str]]:
    """The tests that apply to the chapter, by file: {path: {test names}} (asked of pytest itself)."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", f"--chapter={chapter.name}", "--collect-only", "-q",
         "--no-coverage", "tests"],
        cwd=ROOT, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise Problem(f"could not collect {chapter.label}'s tests:\n{result.stdout}{result.stderr}")
    tests: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        if "::" in line:
            path, name = line.split("::")[:2]
            tests.setdefault(path, set()).add(name.split("[")[0])
    return dict(sorted(tests.items()))


def only_tests(source: str, keep: set[str]) -> str:
    """The test module without its top-level tests that are not in `keep` (another chapter's tests)."""
    lines = source.splitlines(keepends=True)
    for node in reversed(ast.parse(source).body):
        if (isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name.startswith(("test", "Test"))
                and node.name not in keep):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            end = node.end_lineno
            while end < len(lines) and not lines[end].strip():  # and the blank lines after it
                end += 1
            del lines[first:end]
    return "".join(lines)


def pytest_ini(chapter: chapters.Chapter) -> str:
    """The repository's pytest settings, pointed at the checkout's own files."""
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    # `-n auto` hands out whole files (a notebook's cells run in order, in one kernel), as nox does.
    addopts = [opt.replace("notebooks/", "") for opt in options["addopts"]] + ["--dist", "loadfile"]
    # The workbook's suites, the chapter's own tests if it has some (chapter 12), its notebook.
    own = "tests " if (chapter.path / "tests").is_dir() else ""
    lines = ["[pytest]", f"minversion = {options['minversion']}",
             f"testpaths = {SUITES} {own}{chapter.notebook.name}", f"addopts = {' '.join(addopts)}",
             # A quick default run, what proves the chapter (its unit and route tests, its own, its
             # notebook); the proofs that start servers, workers and a browser with --all (the
             # repository's nox sessions run everything).
             f"slow_kinds = {' '.join(SLOW_KINDS)}",
             "filterwarnings =", *(f"    {w}" for w in options["filterwarnings"]), "markers ="]
    lines += [f"    {marker}" for marker in options["markers"]]
    return "\n".join(lines) + "\n"


def imported_packages(sources: list[str]) -> set[str]:
    """The top-level modules the test files import, as package names (schemathesis, hypothesis…)."""
    names = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return {name.lower().replace("_", "-") for name in names}


def notebook_code(chapter: chapters.Chapter) -> list[str]:
    """The code cells of the chapter's notebook that are Python (not a `%magic` or a `!command`)."""
    cells = json.loads(chapter.notebook.read_text())["cells"]
    code = []
    for cell in cells:
        if cell["cell_type"] == "code":
            try:
                ast.parse(source := "".join(cell["source"]))
            except SyntaxError:
                continue
            code.append(source)
    return code


def imports_workers(sources: list[str]) -> bool:
    """Whether any of these sources imports workbook.workers (a Celery worker, a mail server)."""
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import) and any(a.name == "workbook.workers" for a in node.names):
                return True
            if isinstance(node, ast.ImportFrom) and (node.module == "workbook.workers" or (
                    node.module == "workbook" and any(a.name == "workers" for a in node.names))):
                return True
    return False


def requirements(chapter: chapters.Chapter, test_sources: list[str] = ()) -> str:
    """The checkout's requirements.txt; `test_sources`: the code of its tests and of its notebook."""
    pins = read_lock()
    # The tools every checkout needs, and any other pinned package its tests or notebook import
    # (chapter 8's schemathesis, say), or workbook.workers imports when they or the plugins use it
    # (aiosmtpd); the chapter's own packages come from its requirements above.
    plugins = [path.read_text() for path in (ROOT / "workbook" / "testing").glob("*.py")]
    scanned = [*test_sources]
    if imports_workers([*test_sources, *plugins]):
        scanned.append((ROOT / "workbook" / "workers.py").read_text())
    own = {line.split("==")[0].split("[")[0].strip().lower()
           for line in (chapter.path / "requirements.txt").read_text().splitlines() if "==" in line}
    extra = sorted(name for name in imported_packages(scanned) - set(TEST_TOOLS) - own if name in pins)
    tools = "\n".join(f"{name}=={pins[name]}" for name in (*TEST_TOOLS, *extra))
    return (
        f"# Chapter {chapter.number}'s own requirements\n"
        f"{(chapter.path / 'requirements.txt').read_text().strip()}\n\n"
        f"# What its tests and its notebook need\n{tools}\n\n"
        "# Every other package at the version the workbook was tested with\n-c constraints.txt\n"
    )


CHECKOUT_README = """

## This folder

Written by `workbook checkout {number}` from the Mastering Flask workbook: chapter {number}'s code,
its notebook (`{notebook}`) and the workbook's tests that apply to it (`workbook_tests/`). Install it
as "Run it" says above: here requirements.txt also holds the test tools and JupyterLab, and
`constraints.txt` pins every other package at the version the workbook was tested with. Then:

<!-- checkout-commands -->
```sh
python -m pytest -n auto   # what proves it: unit and route tests{own}, the notebook, the coverage floor
python -m pytest -n auto -m "server or ui"   # the slow proofs: server processes{workers}, Chromium
jupyter lab {notebook}
```

`python -m pytest --all` runs both at once, as the workbook's CI does (`-n auto`: on every core;
without it, in one process). The UI tests and the notebook's screenshots need Chromium and its
chromedriver: Debian's (`apt-get install chromium chromium-driver`), or a Chrome or Chromium that
Selenium can drive on your platform (`WORKBOOK_CHROMIUM` and `WORKBOOK_CHROMEDRIVER` name another
pair). The database tests use PostgreSQL and MariaDB on 127.0.0.1 when they are there and skip,
saying why, when they are not.
{slow_start}"""

# JupyterLab brings jsonschema with rfc3987-syntax, and jsonschema then builds a grammar with Lark when
# it is imported: Flask-RESTX imports it (chapter 8 on).
SLOW_START = """
One package JupyterLab brings, `rfc3987-syntax`, costs every process that imports Flask-RESTX (the
app, `flask`, a test run, a Celery worker) over a second of CPU at start (1.1 s on an idle 2-core
machine, more on a busy one), for a format nothing here checks. After the install,
`uv pip uninstall rfc3987-syntax` (or `pip uninstall rfc3987-syntax`) removes it; the workbook's own
runs do the same.
"""


def checkout(chapter: chapters.Chapter, dest: Path) -> None:
    if not chapter.notebook.exists():  # the finished webapp/: a folder to copy as it is
        raise Problem(f"{chapter.label} is not a chapter with a notebook: copy {chapter.path} instead")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise Problem(f"{dest} is not empty: name a new or empty folder")
    print(f"asking pytest which tests apply to {chapter.label}…", flush=True)
    tests = tests_for(chapter)
    shutil.copytree(chapter.path, dest, ignore=IGNORED, dirs_exist_ok=True)
    shutil.copy2(chapter.notebook, dest / chapter.notebook.name)
    shutil.copy2(ROOT / "notebooks" / "sanitize.cfg", dest / "sanitize.cfg")
    shutil.copy2(ROOT / "conftest.py", dest / "conftest.py")
    (dest / "workbook").mkdir()
    # (workers.py: a real Celery worker and mail server, for the suites and notebooks that need them.)
    for name in ("__init__.py", "chapters.py", "chapters.toml", "notebook.py", "live.py",
                 "workers.py"):
        shutil.copy2(ROOT / "workbook" / name, dest / "workbook" / name)
    shutil.copytree(ROOT / "workbook" / "testing", dest / "workbook" / "testing", ignore=IGNORED)
    named = json.dumps(chapter.number or chapter.name)
    (dest / "workbook" / "checkout.toml").write_text(f"chapter = {named}\n")
    copied = []
    for test, names in tests.items():  # tests/route/test_x.py → workbook_tests/route/test_x.py
        copy = dest / SUITES / Path(test).relative_to("tests")
        copy.parent.mkdir(parents=True, exist_ok=True)
        copied.append(only_tests((ROOT / test).read_text(), names))
        copy.write_text(copied[-1])
    if (dest / "pytest.ini").exists():  # the chapter's own (chapter 12's): kept for its notebook
        shutil.copy2(dest / "pytest.ini", dest / notebook.OWN_PYTEST_INI)
    (dest / "pytest.ini").write_text(pytest_ini(chapter))
    (dest / "requirements.txt").write_text(requirements(chapter, [*copied, *notebook_code(chapter)]))
    shutil.copy2(ROOT / "requirements" / "lock.txt", dest / "constraints.txt")
    readme = dest / "README.md"
    restx = "flask-restx" in (chapter.path / "requirements.txt").read_text().lower()
    from workbook import proved_by  # (pytest: see cmd_tests)

    text = proved_by.for_checkout(readme.read_text(), chapter, SUITES)  # its links, in this folder
    readme.write_text(text + CHECKOUT_README.format(
        number=chapter.number, notebook=chapter.notebook.name, slow_start=SLOW_START if restx else "",
        own=", tests/ (the book's)" if (chapter.path / "tests").is_dir() else "",
        workers=", Celery workers" if (chapter.path / "celery_runner.py").exists() else ""))
    print(f"{chapter.label} ({chapter.title}) written to {dest}: {len(tests)} test files; next: "
          f"cd {dest}, then its README's \"Run it\" and \"This folder\" (install, then python -m pytest)")


def cmd_checkout(args) -> int:
    dest = Path(args.dest).resolve()
    existed = dest.exists()
    try:
        checkout(args.chapter, dest)
    except Exception:
        if not existed and dest.exists():  # leave nothing half-written behind
            shutil.rmtree(dest)
        raise
    return 0


# --------------------------------------------------------------------------- run


def data_folder() -> Path:
    """Where `workbook run` keeps what it makes: `.workbook/` (WORKBOOK_DATA names another folder)."""
    data = Path(os.environ.get("WORKBOOK_DATA", ROOT / ".workbook"))
    data.mkdir(parents=True, exist_ok=True)
    return data


def run_database(chapter: chapters.Chapter) -> Path:
    """The SQLite file `workbook run N` serves and `workbook flask N` works on."""
    return data_folder() / f"{chapter.name}.db"


def celery_folder(chapter: chapters.Chapter) -> Path | None:
    """Where `workbook run N` keeps a chapter's Celery files (the embedded broker, the results, beat's
    schedule, the logs), beside its database; None for a chapter without Celery."""
    if not (chapter.path / "celery_runner.py").exists():
        return None
    folder = data_folder() / f"{chapter.name}-celery"
    folder.mkdir(exist_ok=True)
    return folder


def flask_env(chapter: chapters.Chapter, database: Path) -> dict[str, str]:
    """The environment of the chapter's processes: the development configuration on its SQLite
    file and the embedded broker, unless the environment names others (DATABASE_URL,
    CELERY_BROKER_URL, CELERY_RESULT_BACKEND; the app reads CACHE_*, RATELIMIT_* itself)."""
    env = {"DATABASE_URL": f"sqlite:///{database}", **os.environ, "FLASK_APP": chapter.flask_app,
           "WEBAPP_ENV": "dev"}
    celery = celery_folder(chapter)
    if celery is not None:
        env = {**workers.embedded_broker(celery), **env}
    return env


def is_empty(chapter: chapters.Chapter, env: dict[str, str], database: Path) -> bool:
    """Whether the database `env` names has no tables yet: its SQLite file is not there, or (a
    server's, from DATABASE_URL) `flask db current` names no revision."""
    if env["DATABASE_URL"] == f"sqlite:///{database}":
        return not database.exists()
    current = subprocess.run(chapter.flask_command("db", "current"), cwd=chapter.path, env=env,
                             capture_output=True, text=True)
    return current.returncode == 0 and not current.stdout.strip()


def demo_accounts(chapter: chapters.Chapter, env: dict[str, str]) -> str | None:
    """`flask demo-accounts`' lines (the accounts and their new passwords); None for a chapter
    without the command."""
    made = subprocess.run(chapter.flask_command("demo-accounts"), cwd=chapter.path, env=env,
                          capture_output=True, text=True)
    if made.returncode == 0:
        return made.stdout.rstrip()
    if "No such command" in made.stderr:
        return None
    raise Problem(f"flask demo-accounts failed: {made.stderr.strip()}")


def has_command(chapter: chapters.Chapter, env: dict[str, str], name: str) -> bool:
    return subprocess.run(chapter.flask_command(name, "--help"), cwd=chapter.path, env=env,
                          capture_output=True).returncode == 0


def cmd_flask(args) -> int:
    chapter = args.chapter
    env = flask_env(chapter, run_database(chapter))
    return subprocess.run(chapter.flask_command(*args.args), cwd=chapter.path, env=env).returncode


def this_command() -> str:
    """How to type this command from the current folder: `workbook` where the shell finds this one
    (an active venv), else the path of the venv's script, e.g. `.venv/bin/workbook`."""
    script = Path(sys.executable).parent / "workbook"
    found = shutil.which("workbook")
    if found and Path(found).resolve() == script.resolve():
        return "workbook"
    if not script.exists():  # not installed as a script: run as a module
        return f"{sys.executable} -m workbook.cli"
    relative = os.path.relpath(script)
    return relative if not relative.startswith("..") else str(script)


def cmd_run(args) -> int:
    chapter = args.chapter
    database = run_database(chapter)
    env = flask_env(chapter, database)
    flask = chapter.flask_command()
    fresh = is_empty(chapter, env, database)
    if (chapter.path / "migrations").is_dir():
        print(f"database {database}: flask db upgrade", flush=True)
        subprocess.run([*flask, "db", "upgrade"], cwd=chapter.path, env=env, check=True)
    if fresh and has_command(chapter, env, "seed"):
        print("demo data: flask seed", flush=True)
        subprocess.run([*flask, "seed"], cwd=chapter.path, env=env, check=True)
    me = f"{this_command()} flask {chapter.number or chapter.name}"
    print(f"the chapter's own commands on this database, from another terminal: `{me} COMMAND`"
          f" (`{me} --help` lists them)", flush=True)
    accounts = demo_accounts(chapter, env)
    if accounts is None and has_command(chapter, env, "add-role"):
        print(f"  a user who may write posts: `{me} add-user alice` then `{me} add-role alice poster`",
              flush=True)
    serve = [*flask, "run", "--host", "127.0.0.1", "--port", str(args.port)]
    url = f"http://127.0.0.1:{args.port}/"
    site = f"{chapter.label} ({chapter.title}) on {url}"
    if accounts is not None:  # sign in at /login; the admin at /admin
        site += f"\n{accounts}\n  sign in at {url}login; the admin's pages are at {url}admin/"
    if celery_folder(chapter) is not None:
        return run_with_celery(chapter, env, serve, site)
    print(site, flush=True)
    # The server replaces this process, so Ctrl-C and signals reach it directly.
    os.chdir(chapter.path)
    os.execve(sys.executable, serve, env)


# The last line `workbook run` prints once the app, the worker and beat are all up.
RUN_STARTED = "Ctrl-C stops them all"


def run_with_celery(chapter: chapters.Chapter, env: dict[str, str], serve: list[str], site: str) -> int:
    """The web app, a Celery worker and beat on the embedded broker, and a mail server that prints
    what it receives, started together; Ctrl-C, SIGTERM or any of them ending stops them all."""
    folder = celery_folder(chapter)
    mail = folder.parent / f"{chapter.name}-mail"

    def show(message, path):
        print(f"mail to {message['To']}: {message['Subject']} ({path})", flush=True)

    with workers.smtp_server(folder=mail, on_mail=show) as mailbox, supervise.Group() as group:
        env = {**env, "MAIL_SERVER": mailbox.host, "MAIL_PORT": str(mailbox.port)}
        web = subprocess.Popen(serve, cwd=chapter.path, env=env, start_new_session=True)
        group.add("the web app", web)
        beat = workers.start_beat(chapter.path, env, folder / "beat.log", folder / "celerybeat-schedule")
        group.add("beat", beat.process, beat.log)
        named = urlsplit(env["CELERY_BROKER_URL"])  # (its password not printed)
        broker = (f"the embedded broker in {folder}" if named.scheme.startswith("sqla+")
                  else f"{named.scheme}://{named.hostname}:{named.port}")
        print(f"starting a Celery worker and beat on {broker}…", flush=True)
        try:
            # (Two minutes: a worker starts in seconds, unless the machine is very busy.)
            worker = workers.start_worker(chapter.path, env, folder / "worker.log", timeout=120)
        except RuntimeError as error:
            print(f"workbook: {str(error).splitlines()[0]}, its log ends: "
                  f"{supervise.last_line(folder / 'worker.log')}", flush=True)
            return 1
        group.add("the worker", worker.process, worker.log)
        me = f"{this_command()} flask {chapter.number or chapter.name}"
        print(f"{site}\n"
              f"  a worker and beat: their logs are {worker.log} and {beat.log}\n"
              f"  mail sent to {mailbox.host}:{mailbox.port} is printed here and kept in {mail}\n"
              f"  a reminder, mailed at once: `{me} add-reminder you@example.com now \"hello\"`\n"
              + RUN_STARTED, flush=True)
        return group.wait()


def cmd_notebook(args) -> int:
    return subprocess.run([sys.executable, "-m", "jupyter", "lab", str(args.chapter.notebook)],
                          cwd=ROOT / "notebooks").returncode


# --------------------------------------------------------------------------- check


def behaviours(tests: list[dict]) -> list[dict]:
    """One result per behaviour: a test's cases (databases, inputs) fold into one line."""
    grouped: dict[str, list[dict]] = {}
    for test in tests:
        grouped.setdefault(test["test"], []).append(test)
    results = []
    for cases in grouped.values():
        failed = [c for c in cases if c["outcome"] == "failed"]
        skipped = [c for c in cases if c["outcome"] == "skipped"]
        if failed:
            state = "failed"
        elif len(skipped) == len(cases):
            state = "skipped"
        else:
            state = "held"
        results.append({
            "state": state, "behaviour": cases[0]["behaviour"],
            "why": failed[0]["why"] if failed else [skipped[0]["skip"]] if skipped else [],
            "failed_on": [c["case"] for c in failed if c["case"] is not None],
            "skipped_on": [c["case"] for c in skipped if c["case"] is not None],
        })
    return results


def verdict(result: dict) -> list[str]:
    """A behaviour's line, and under a ✗ or a behaviour not checked, why (indented)."""
    text, state = result["behaviour"], result["state"]
    if state == "failed":
        if result["failed_on"]:
            text += f" (fails on {', '.join(result['failed_on'])})"
        return [f"✗ {text}", *(f"    {line}" for line in result["why"])]
    if state == "skipped":
        why = result["why"][0].removeprefix("not checked: ")
        return [f"– not checked: {text}", f"    {why}"]
    if result["skipped_on"]:
        text += f" (not checked on {', '.join(result['skipped_on'])})"
    return [f"✓ {text}"]


def pytest_options_without_notebooks() -> list[str]:
    """The repository's pytest options without nbval: a learner's folder has no notebook under test,
    and loading nbval (nbformat, jsonschema) costs a second and a half of every check."""
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    kept = " ".join(opt for opt in options["addopts"] if not opt.startswith("--nbval"))
    return ["-o", f"addopts={kept}", "-p", "no:nbval"]


def cmd_check(args) -> int:
    chapter, folder = args.chapter, Path(args.dir).resolve()
    if not folder.is_dir():
        raise Problem(f"{folder} is not a folder")
    print(f"checking {folder} against {chapter.label} ({chapter.title})…", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        # pytest's own output names the workbook's test files, which the learner does not have:
        # it is shown only when the suites could not run at all.
        run = subprocess.run(
            [sys.executable, "-m", "pytest", *pytest_options_without_notebooks(),
             f"--chapter={chapter.name}", "--chapter-dir",
             str(folder), "--no-coverage", "-q", "--tb=short", "--no-header",
             # First what the code does, through the test client (seconds); the proofs that start
             # servers, workers and a browser (minutes) on request.
             *([] if args.all else ["-m", "not server and not ui"]),
             "-p", "workbook.testing.report", f"--behaviour-report={report}", *(args.tests or ["tests"])],
            cwd=ROOT, capture_output=True, text=True,
        )
        if run.returncode not in (0, 1, 5) or not report.exists():
            raise Problem(f"the tests did not run:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
        data = json.loads(report.read_text())
    results = behaviours(data["tests"])
    print()
    causes = shared_causes(results)
    for result in results:
        shared = causes.get(cause_of(result["why"]))
        if result["state"] != "failed" or shared is None:
            print("\n".join(verdict(result)))
        elif shared[0] is result:  # the first behaviour of a shared cause prints them all
            print("\n".join(cause_verdict(shared)))
    if data["notes"]:
        print()
        for note in data["notes"]:
            print(f"note: {note}")
        print("    (a warning from code a tool wrote in your folder, such as `flask db init`'s "
              "env.py: not yours to fix, not counted)")
    counted = [r for r in results if r["state"] != "skipped"]
    failed = sum(r["state"] == "failed" for r in counted)
    # What to fix: a cause that several behaviours share counts once.
    to_fix = failed - sum(len(shared) - 1 for shared in causes.values())
    unchecked = len(results) - len(counted)
    print(f"\n{len(counted) - failed} of {len(counted)} behaviours hold"
          + ("" if not failed else f"; {to_fix} to fix")
          + ("" if to_fix == failed else f" ({failed} behaviours fail)")
          + ("" if not unchecked else f"; {unchecked} not checked"))
    if not args.all:
        print(f"(the behaviours that need a server process or a browser were not run: "
              f"`{this_command()} check {chapter.number or chapter.name} DIR --all` runs them too)")
    return 1 if failed or not counted else 0


def shared_causes(results: list[dict]) -> dict[tuple, list[dict]]:
    """The failed behaviours that fail for the very same reason, by that reason: one mistake. Only a
    reason that says where (a line of the learner's, a value's origin): two tests that merely fail the
    same way ("DID NOT RAISE ValueError") need not share a cause."""
    by_why: dict[tuple, list[dict]] = {}
    for result in results:
        if result["state"] == "failed" and len(result["why"]) > 1:
            by_why.setdefault(cause_of(result["why"]), []).append(result)
    return {why: shared for why, shared in by_why.items() if len(shared) > 1}


def cause_of(why: list[str]) -> tuple:
    """What identifies a reason: a known mistake's place and fix (however each test saw it), else
    the whole reason."""
    for n, line in enumerate(why):
        if line.startswith("likely fix: "):
            return tuple(why[max(n - 1, 0):n + 1])
    return tuple(why)


def cause_verdict(shared: list[dict]) -> list[str]:
    """One ✗ for one cause: the reason (where, the likely fix), then every behaviour it breaks."""
    return [f"✗ {len(shared)} behaviours fail for one reason:",
            *(f"    {line}" for line in cause_of(shared[0]["why"])),
            *(f"    - {verdict(result)[0].removeprefix('✗ ')}" for result in shared)]


# --------------------------------------------------------------------------- tests


def cmd_tests(args) -> int:
    """The tests that prove chapter N, read from the files (workbook/proved_by.py): printed, or with
    --readme written into the chapter's README."""
    from workbook import proved_by  # (pytest, for selection.py's rules: only this command needs it)

    every = list(chapters.CHAPTERS) if args.chapter == "all" else [args.chapter]
    try:
        for chapter in every:
            if args.readme:
                changed = proved_by.write_readme(chapter)
                print(f"{(chapter.path / 'README.md').relative_to(ROOT)}: "
                      f"{'rewritten' if changed else 'already up to date'}")
            else:
                print(proved_by.text(chapter, proved_by.proved_by(chapter)), end="\n" * (len(every) > 1))
    except proved_by.NotProved as error:
        raise Problem(str(error)) from None
    return 0


# --------------------------------------------------------------------------- entry point


class OneLineParser(argparse.ArgumentParser):
    """A usage mistake is one line saying what to fix (`workbook X --help` has the rest)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message}\n")


def parser() -> argparse.ArgumentParser:
    top = OneLineParser(prog="workbook", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND",
                             parser_class=OneLineParser)
    sub.add_parser("list", help="the chapters, their titles and the book sections each covers"
                   ).set_defaults(func=cmd_list)
    p = sub.add_parser("checkout", help="write chapter N as a standalone folder that passes its tests")
    p.add_argument("chapter", type=chapter_arg, metavar="N")
    p.add_argument("dest", metavar="DEST")
    p.set_defaults(func=cmd_checkout)
    p = sub.add_parser("diff", help="what chapter B changed relative to chapter A (unified diff)")
    p.add_argument("a", type=chapter_arg, metavar="A")
    p.add_argument("b", type=chapter_arg, metavar="B")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="only files under these paths of the chapter, e.g. webapp/templates")
    p.add_argument("--stat", action="store_true", help="one line per changed file, no diff")
    p.add_argument("--docs", action="store_true",
                   help="the READMEs' diff too (without it, the code's, and a line per changed README)")
    p.set_defaults(func=cmd_diff)
    p = sub.add_parser("run", help="start chapter N's development server on 127.0.0.1")
    p.add_argument("chapter", type=chapter_arg, metavar="N", nargs="?",
                   default=chapters.newest())
    p.add_argument("--port", type=int, default=5000)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("flask",
                       help="run chapter N's `flask` command on the database `workbook run N` serves",
                       description="Run `flask --app … ARGS` in chapter N's folder on the database of "
                       "`workbook run N`, e.g. `workbook flask 6 add-role alice poster`.")
    p.add_argument("chapter", type=chapter_arg, metavar="N")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS")
    p.set_defaults(func=cmd_flask)
    p = sub.add_parser("check", help="run chapter N's suites against your own folder DIR")
    p.add_argument("chapter", type=chapter_arg, metavar="N")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("tests", nargs="*", metavar="SUITE",
                   help="only these of the workbook's test files or folders, e.g. tests/unit")
    p.add_argument("--all", action="store_true",
                   help="also the behaviours proved with a server process, Celery workers or a browser")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("tests", help="the tests that apply to chapter N, each file with its behaviours")
    p.add_argument("chapter", type=lambda v: v if v == "all" else chapter_arg(v), metavar="N",
                   nargs="?", default=chapters.newest(),
                   help="a chapter, webapp (the default: the newest), or all")
    p.add_argument("--readme", action="store_true",
                   help="write the list into the chapter's README (its Proved by section) instead")
    p.set_defaults(func=cmd_tests)
    p = sub.add_parser("notebook", help="open chapter N's notebook in JupyterLab")
    p.add_argument("chapter", type=chapter_arg, metavar="N", nargs="?", default=chapters.newest())
    p.set_defaults(func=cmd_notebook)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except Problem as problem:
        print(f"workbook: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `workbook diff 1 2 | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
