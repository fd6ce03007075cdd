"""Branch coverage of the chapter's code, measured in-process on every run; a whole run below the
chapter's floor fails (a run narrowed with -k, -m or paths is measured but not held to it).

With pytest-xdist (`-n 2`, as nox runs the chapters), each worker measures what it runs and saves its
data; the controller combines them and holds the whole to the floor.
"""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest

from workbook.testing.selection import CHAPTER, CODE

MEASURE = pytest.StashKey[object]()
DATA_DIR = pytest.StashKey[tempfile.TemporaryDirectory]()
SUMMARY = pytest.StashKey[str]()


def pytest_addoption(parser):
    parser.getgroup("workbook").addoption(
        "--no-coverage", action="store_true", help="do not measure the chapter's coverage")


def measuring(config) -> bool:
    return not (config.stash[CHAPTER] is None or config.option.no_coverage
                or config.option.collectonly)


def distributing(config) -> bool:
    """This process hands the tests to xdist workers and runs none itself."""
    return (not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", 0))
            and getattr(config.option, "dist", "no") != "no")


def new_measure(code: Path, data_file: str | None = None, suffix: str | None = None):
    import coverage

    measure = coverage.Coverage(
        data_file=data_file, data_suffix=suffix, branch=True, source=[str(code)], config_file=False,
        # What is not the chapter's app: its migrations, its own tests (chapter 12), a checkout's
        # copy of the workbook and its suites.
        omit=[str(code / part) for part in ("migrations/*", "tests/*", "conftest.py", "workbook/*",
                                            "workbook_tests/*")],
    )
    measure.exclude(r"if __name__ == .__main__.:")
    return measure


@pytest.hookimpl(trylast=True)  # after selection.py has put the chapter's code in place
def pytest_configure(config):
    if not measuring(config):
        return
    if distributing(config):
        config.stash[DATA_DIR] = tempfile.TemporaryDirectory(prefix="workbook-coverage-")
        return
    data_file = suffix = None
    if hasattr(config, "workerinput"):  # an xdist worker: its data go to the controller's folder
        data_file = str(Path(config.workerinput["workbook_coverage"]) / "all")
        suffix = config.workerinput["workerid"]
    measure = new_measure(config.stash[CODE], data_file, suffix)
    measure.start()
    config.stash[MEASURE] = measure


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist: tell each worker where to save its coverage data."""
    folder = node.config.stash.get(DATA_DIR, None)
    if folder is not None:
        node.workerinput["workbook_coverage"] = folder.name


def whole_run(config) -> bool:
    """The floor is a promise about the whole suite; a run narrowed with -k, -m or paths skips it."""
    narrowed = config.option.keyword or config.option.markexpr or config.option.deselect
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS and not narrowed


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    measure = config.stash.get(MEASURE, None)
    if measure is not None:
        measure.stop()
        if hasattr(config, "workerinput"):
            measure.save()  # the controller reports
            return
    elif DATA_DIR in config.stash:
        measure = new_measure(config.stash[CODE], str(Path(config.stash[DATA_DIR].name) / "all"))
        measure.combine([config.stash[DATA_DIR].name])
    else:
        return
    report = io.StringIO()
    try:
        percent = measure.report(file=report, show_missing=True, skip_covered=True, precision=1)
    except Exception as error:  # coverage.exceptions.NoDataError: nothing of the chapter ran
        config.stash[SUMMARY] = f"coverage: nothing measured ({error})"
        return
    chapter = config.stash[CHAPTER]
    floor = chapter.coverage_floor
    lines = [report.getvalue().rstrip(),
             f"branch coverage of {chapter.label}: {percent:.1f}% (floor {floor}%)"]
    if not whole_run(config):
        lines.append("(a narrowed run: the floor is not enforced)")
    elif percent < floor and session.exitstatus == 0:
        lines.append(f"FAILED: coverage {percent:.1f}% is below {chapter.label}'s floor of {floor}%")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    config.stash[SUMMARY] = "\n".join(lines)


def pytest_unconfigure(config):
    folder = config.stash.get(DATA_DIR, None)
    if folder is not None:
        folder.cleanup()


def pytest_terminal_summary(terminalreporter, config):
    text = config.stash.get(SUMMARY, None)
    if text:
        terminalreporter.write_sep("-", "chapter coverage")
        terminalreporter.write_line(text)
