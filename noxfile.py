"""Every chapter's suites, one nox session per chapter, all from the pinned lock.

    nox                                   # every chapter, then the tooling
    nox -s "chapter(ch02_models)"         # one chapter
    nox -s tooling                        # the `workbook` command's own tests
    nox -- -m ui                          # arguments after -- go to pytest
"""
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT))
from workbook.chapters import CHAPTERS  # noqa: E402  (standard library only)

nox.options.default_venv_backend = "uv"  # installs from uv's cache: a new environment in seconds
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

LOCK = "requirements/lock.txt"


def install(session):
    session.install("-r", LOCK)
    session.install("--no-deps", "-e", ".")


@nox.session
@nox.parametrize("number", [c.number for c in CHAPTERS], ids=[c.name for c in CHAPTERS])
def chapter(session, number):
    """A chapter's unit, route, UI and notebook suites, with its coverage floor."""
    install(session)
    session.run("python", "-m", "pytest", "--chapter", str(number), *session.posargs)


@nox.session
def tooling(session):
    """The workbook command: list, checkout, diff, run, check."""
    install(session)
    session.run("python", "-m", "pytest", "--tooling", *session.posargs)
