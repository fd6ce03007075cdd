"""Every chapter's suites, one nox session per chapter, all in one environment built from the lock.

    nox                                   # every chapter, then the tooling
    nox -s "chapter(ch02_models)"         # one chapter
    nox -s tooling                        # the `workbook` command's own tests
    nox -- -m ui                          # arguments after -- go to pytest
"""
import os
import sys
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
# Each chapter's suites run in pytest-xdist workers, as many as chapters.toml's test_processes says
# (two: one per core of the CI machine; chapter 9's, which wait on Celery workers, four: 81 s, not 107).
# A test file stays on one worker, so a notebook's cells share one kernel.
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


def pytest(session, *args):
    session.run(str(ENVIRONMENT / "bin" / "python"), "-m", "pytest", *args, *session.posargs,
                external=True)


@nox.session(venv_backend="none", requires=["environment"])
@nox.parametrize("name", [c.name for c in CHAPTERS], ids=[c.name for c in CHAPTERS])
def chapter(session, name):
    """A chapter's unit, route, server, UI and notebook suites, with its coverage floor."""
    pytest(session, "--chapter", name, "--numprocesses", str(get(name).test_processes), *PARALLEL)


@nox.session(venv_backend="none", requires=["environment"])
def tooling(session):
    """The workbook command: list, checkout, diff, run, check, and the chapter list."""
    # worksteal: the checkout tests take minutes, the rest seconds; an idle worker takes over waiting ones.
    pytest(session, "--tooling", "--numprocesses", "auto", "--maxprocesses", "4", "--dist", "worksteal")
