"""The code lints clean: `ruff check`, with pyproject.toml's [tool.ruff] rules, over the workbook's own
code and every chapter's. (`ruff format` is not enforced: it would rewrite most files, the chapters'
book-style layout among them.)"""
import subprocess
import sys

import pytest

from workbook import chapters

# What `ruff check` lints: the workbook's code, then the chapters' snapshots and the finished app.
LINTED = ["workbook", "tests", "benchmarks", "noxfile.py", "conftest.py", "chapters", "webapp"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args, "--no-cache"], cwd=chapters.ROOT,
                          capture_output=True, text=True)


def python_files(listing: str) -> set[str]:
    return {line for line in listing.splitlines() if line.endswith(".py")}


def test_ruff_finds_nothing_in_the_workbook_and_the_chapters():
    """`ruff check` finds nothing in workbook/, tests/, benchmarks/, noxfile.py, conftest.py, chapters/
    and webapp/ (the rules and the chapters' book-style exceptions: pyproject.toml's [tool.ruff])."""
    done = ruff("check", "--output-format", "concise", *LINTED)
    if done.returncode != 0:
        pytest.fail(done.stdout[-6000:] + done.stderr[-2000:], pytrace=False)


def test_ruff_check_alone_lints_the_same_files():
    """`ruff check` typed with no path, at the repository's root, lints exactly those files."""
    alone, named = ruff("check", "--show-files"), ruff("check", "--show-files", *LINTED)
    assert alone.returncode == named.returncode == 0, alone.stderr + named.stderr
    assert python_files(alone.stdout) == python_files(named.stdout)
    assert len(python_files(named.stdout)) > 100
