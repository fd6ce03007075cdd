"""A chapter's own tests (chapter 12's, the book's, in its tests/ folder) pass where a reader runs
them: `python -m pytest` in the chapter's folder, which is pytest's rootdir there (its own pytest.ini),
so that nothing of the workbook's (its conftest, its plugins) takes part."""
import os
import re
import subprocess
import sys

import pytest

from workbook import chapters, live

WITH_TESTS = [chapter for chapter in chapters.CHAPTERS if (chapter.path / "tests").is_dir()]
# The book's own chapter 12 tests, ported to Python 3 and Selenium 4: four route tests, one browser test.
BOOKS_TESTS = ["tests/test_urls.py", "tests/test_ui.py"]


def readers_shell() -> dict:
    """As a reader's shell: no database named for it, nothing of the workbook on the path."""
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH")}


@pytest.mark.parametrize("chapter", WITH_TESTS, ids=[chapter.name for chapter in WITH_TESTS])
def test_python_m_pytest_in_the_chapters_folder_runs_its_own_tests(chapter):
    """`python -m pytest` in the chapter's folder runs exactly its tests/ (the book's, with its
    TestConfig on a temporary SQLite file) and they pass, the browser test included."""
    pytest_here = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    listed = subprocess.run([*pytest_here, "--collect-only", "-q"], cwd=chapter.path,
                            env=readers_shell(), capture_output=True, text=True)
    assert listed.returncode == 0, listed.stdout[-3000:] + listed.stderr[-2000:]
    tests = [line for line in listed.stdout.splitlines() if "::" in line]
    assert tests and all(line.startswith("tests/") for line in tests), listed.stdout[-3000:]

    # The book's browser test drives the app that run_test_server.py serves, started first as the
    # book says (on a free port, which TEST_SERVER_URL names).
    with live.book_test_server(chapter.path, readers_shell()) as env:
        run = subprocess.run([*pytest_here, "-ra"], cwd=chapter.path, env=env, capture_output=True,
                             text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert f"rootdir: {chapter.path}\nconfigfile: pytest.ini" in run.stdout
    counts = {word: int(number) for number, word in re.findall(r"(\d+) (\w+)", run.stdout.splitlines()[-1])}
    # Without Chromium the browser test says why it skipped; in CI (CI=true) it fails instead.
    assert counts.get("passed", 0) + counts.get("skipped", 0) == len(tests), run.stdout[-3000:]
    assert not (live.in_ci() and counts.get("skipped")), run.stdout[-3000:]


@pytest.mark.parametrize("chapter", WITH_TESTS, ids=[chapter.name for chapter in WITH_TESTS])
def test_the_books_five_tests_pass_as_printed(chapter):
    """The book's chapter 12 tests, as printed (tests/test_urls.py, tests/test_ui.py, ported to Python
    3 and Selenium 4 only), pass against the app: `python run_test_server.py` started first, then
    `python -m unittest` on the two files, no pytest involved: 5 tests, all passed."""
    with live.book_test_server(chapter.path, readers_shell()) as env:
        run = subprocess.run([sys.executable, "-m", "unittest", "-v", *BOOKS_TESTS],
                             cwd=chapter.path, env=env, capture_output=True, text=True)
    report = run.stderr[-4000:]
    assert run.returncode == 0, report
    assert "Ran 5 tests" in run.stderr and run.stderr.rstrip().endswith("OK"), report
    assert " ... ok" in report and report.count(" ... ok") == 5, report
