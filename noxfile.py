"""Every chapter's suites, one nox session per chapter, all in one environment built from the lock.

    nox                                   # every chapter, then the tooling
    nox -s "chapter(ch02_models)"         # one chapter
    nox -s tooling                        # the `workbook` command's own tests
    nox -s report                         # the table of the last run: tests, coverage, seconds
    nox -- -m ui                          # arguments after -- go to pytest
"""
import json
import os
import sys
import time
from pathlib import Path

import nox

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT))
from workbook.chapters import CHAPTERS, get  # noqa: E402  (standard library only)

nox.options.default_venv_backend = "uv"  # installs from uv's cache: a new environment in seconds
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

LOCK = "requirements/lock.txt"
ENVIRONMENT = ROOT / ".nox" / "environment"
# Each chapter's suites run in as many pytest-xdist workers as chapters.toml's test_processes says; a
# test file stays on one worker, so a notebook's cells share one kernel.
PARALLEL = ["--dist", "loadfile"]

# Python writes no bytecode cache when this is set, and every process (each pytest worker, notebook
# kernel and `flask` subprocess) would compile every module it imports again from source.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@nox.session
def environment(session):
    """The one environment every session runs in: the pinned lock and the workbook command."""
    session.install("-r", LOCK)
    session.install("--no-deps", "-e", ".")
    # jsonschema, which Flask-RESTX imports (chapter 8 on), builds an IRI grammar with Lark at import
    # when rfc3987-syntax is installed (jupyterlab's jsonschema[format-nongpl] brings it): 2.7 s of CPU
    # in every process that imports a chapter's app. Nothing here checks the "iri" format.
    session.run("uv", "pip", "uninstall", "rfc3987-syntax", external=True)


# Each chapter session's figures (tests, branch coverage, seconds), for `report` at the end of a run.
RESULTS = Path(os.environ.get("WORKBOOK_RESULTS", ROOT / ".nox" / "results"))


def pytest(session, *args, result: str | None = None, figures: bool = True):
    """Run the suites; `result`: the name under which to keep the run's figures (`figures`: the ones
    pytest writes, tests and coverage; not the tooling's, whose tests run chapters' suites of their
    own), with its seconds."""
    started = time.monotonic()
    session.run(str(ENVIRONMENT / "bin" / "python"), "-m", "pytest", *args, *session.posargs,
                external=True, env={"WORKBOOK_RESULTS": str(RESULTS)} if result and figures else {})
    if result:
        kept = RESULTS / f"{result}.json"
        written = json.loads(kept.read_text()) if kept.exists() else {"chapter": result}
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(json.dumps({**written, "seconds": round(time.monotonic() - started)}))


@nox.session(venv_backend="none", requires=["environment"])
@nox.parametrize("name", [c.name for c in CHAPTERS], ids=[c.name for c in CHAPTERS])
def chapter(session, name):
    """A chapter's unit, route, server, UI and notebook suites, with its coverage floor."""
    (RESULTS / f"{name}.json").unlink(missing_ok=True)
    pytest(session, f"--chapter={name}", "--numprocesses", str(get(name).test_processes), *PARALLEL,
           result=name)


@nox.session(venv_backend="none", requires=["environment"])
def tooling(session):
    """The workbook command: list, checkout, diff, run, check, and the chapter list."""
    # worksteal: the checkout tests take minutes, the rest seconds; an idle worker takes over waiting ones.
    (RESULTS / "tooling.json").unlink(missing_ok=True)
    pytest(session, "--tooling", "--numprocesses", "auto", "--maxprocesses", "4", "--dist", "worksteal",
           result="tooling", figures=False)


@nox.session(venv_backend="none")
def report(session):
    """The table of the last run of each session: tests, branch coverage against its floor, seconds."""
    rows = ["| session | tests | branch coverage (floor) | seconds |", "|---|---:|---:|---:|"]
    total = 0
    for name in [c.name for c in CHAPTERS] + ["tooling"]:
        figures = RESULTS / f"{name}.json"
        if not figures.exists():
            rows.append(f"| {name} | not run | | |")
            continue
        result = json.loads(figures.read_text())
        total += result.get("seconds", 0)
        coverage = f"{result['coverage']:.1f}% ({result['floor']}%)" if "coverage" in result else ""
        rows.append(f"| {result['chapter']} | {result.get('tests', '')} | {coverage} | "
                    f"{result.get('seconds', '')} |")
    rows.append(f"| all | | | {total} |")
    print("\n".join(rows))
