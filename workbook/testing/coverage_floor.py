"""Branch coverage of the chapter's code, measured in-process on every run; a whole run below the
chapter's floor fails (a run narrowed with -k, -m or paths is measured but not held to it).

With pytest-xdist (`-n 2`, as nox runs the chapters), each worker measures what it runs and saves its
data; the controller combines them and holds the whole to the floor. A process a test starts that runs
the chapter's code (a Celery worker) is measured too: `measured_launcher` puts coverage in front of it,
saving beside the rest.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

from workbook.testing.selection import CHAPTER, CODE

MEASURE = pytest.StashKey[object]()
PERCENT = pytest.StashKey[float]()
DATA_DIR = pytest.StashKey[tempfile.TemporaryDirectory]()
SUMMARY = pytest.StashKey[str]()


def pytest_addoption(parser):
    parser.getgroup("workbook").addoption(
        "--no-coverage", action="store_true", help="do not measure the chapter's coverage")


def measuring(config) -> bool:
    return not (config.stash[CHAPTER] is None or config.option.no_coverage
                or config.option.collectonly or measured_from_outside() or only_its_own_tests(config))


def only_its_own_tests(config) -> bool:
    """Whether the run names only the chapter's own tests (`python -m pytest tests` in a checkout of
    chapter 12: the book's), which run as in the chapter's folder, unmeasured by the workbook."""
    own = config.stash[CODE] / "tests"
    if config.args_source != pytest.Config.ArgsSource.ARGS or not own.is_dir():
        return False
    named = [Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args]
    return bool(named) and all(path == own or own in path.parents for path in named)


def measured_from_outside() -> bool:
    """Whether `coverage run -m pytest` already measures this process (a chapter README's coverage
    commands): a second measurement would take the tracer from it, and its report would be empty."""
    import coverage

    return coverage.Coverage.current() is not None


def distributing(config) -> bool:
    """This process hands the tests to xdist workers and runs none itself."""
    return (not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", 0))
            and getattr(config.option, "dist", "no") != "no")


def not_measured(code: Path) -> list[str]:
    """What is not the chapter's app: its migrations, its own tests (chapter 12) and the book's
    server for them (run_test_server.py), a checkout's copy of the workbook and its suites."""
    return [str(code / part) for part in ("migrations/*", "tests/*", "run_test_server.py",
                                          "conftest.py", "workbook/*", "workbook_tests/*")]


def new_measure(code: Path, data_file: str | None = None, suffix: str | None = None):
    import coverage

    measure = coverage.Coverage(
        data_file=data_file, data_suffix=suffix, branch=True, source=[str(code)], config_file=False,
        omit=not_measured(code),
    )
    # A run of the notebook alone runs the chapter's code in the kernel, not here: nothing to
    # measure, which is no error (the floor is only held on whole runs).
    measure.set_option("run:disable_warnings", ["no-data-collected"])
    measure.exclude(r"if __name__ == .__main__.:")
    return measure


@pytest.hookimpl(trylast=True)  # after selection.py has put the chapter's code in place
def pytest_configure(config):
    if not measuring(config):
        return
    if not hasattr(config, "workerinput"):  # the process that reports: the data come here
        config.stash[DATA_DIR] = tempfile.TemporaryDirectory(prefix="workbook-coverage-")
    if distributing(config):
        return
    suffix = config.workerinput["workerid"] if hasattr(config, "workerinput") else "main"
    measure = new_measure(config.stash[CODE], data_file(config), suffix)
    measure.start()
    config.stash[MEASURE] = measure


def data_file(config) -> str:
    """Where this process's measurements go (an xdist worker's: the controller's folder); the
    reporting process combines every `all.*` file there."""
    folder = (config.workerinput["workbook_coverage"] if hasattr(config, "workerinput")
              else config.stash[DATA_DIR].name)
    return str(Path(folder) / "all")


def measured_launcher(config, module: str) -> list[str]:
    """The command that runs `python -m module` in a subprocess started in the chapter's folder,
    measured like the tests' own process when coverage is on (workbook.testing.measured; saved when
    it exits normally: stop it warm, not with SIGKILL)."""
    if not measuring(config):
        return [sys.executable, "-m", module]
    code = config.stash[CODE]
    return [sys.executable, "-m", "workbook.testing.measured", data_file(config), str(code),
            ",".join(not_measured(code)), config.stash[CHAPTER].flask_app, module]


class MeasuredOnce:
    """Blocks the tracer measures only the first time each runs with the same key in this process.

    Every route test builds the chapter's app, and building one calls some thousands of functions
    in Flask, Werkzeug and the extensions; coverage's tracer (Python 3.11's sys.settrace, which
    cannot leave other code alone) made each build three times slower. The chapter's own lines in
    a build are the same for the same configuration and environment: measured once, they are
    counted, and a later identical build runs untraced (only in this thread: a live server's thread
    stays measured). This can only count fewer lines, never more.
    """

    def __init__(self):
        self.seen = set()

    @contextlib.contextmanager
    def __call__(self, key):
        tracer = sys.gettrace()
        if tracer is None or key not in self.seen:
            self.seen.add(key)
            yield
            return
        sys.settrace(None)
        try:
            yield
        finally:
            sys.settrace(tracer)  # coverage's C tracer installs itself again when called this way


measured_once = MeasuredOnce()


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
        measure.save()
    if hasattr(config, "workerinput") or DATA_DIR not in config.stash:
        return  # an xdist worker (the controller reports), or nothing measured
    measure = new_measure(config.stash[CODE], data_file(config))
    measure.combine([config.stash[DATA_DIR].name])
    report = io.StringIO()
    try:
        percent = measure.report(file=report, show_missing=True, skip_covered=True, precision=1)
    except Exception as error:  # coverage.exceptions.NoDataError: nothing of the chapter ran
        config.stash[SUMMARY] = f"coverage: nothing measured ({error})"
        return
    chapter = config.stash[CHAPTER]
    floor = chapter.coverage_floor
    if whole_run(config):
        config.stash[PERCENT] = percent
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
    record_result(terminalreporter, config)


def record_result(terminalreporter, config):
    """With WORKBOOK_RESULTS naming a folder (nox sets it), a whole run leaves its figures there for
    the table at the end of a full run (`nox -s report`): tests passed, branch coverage, its floor."""
    folder = os.environ.get("WORKBOOK_RESULTS")
    if not folder or PERCENT not in config.stash:
        return
    chapter = config.stash[CHAPTER]
    result = {"chapter": chapter.label, "tests": len(terminalreporter.stats.get("passed", ())),
              "coverage": round(config.stash[PERCENT], 1), "floor": chapter.coverage_floor}
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / f"{chapter.name}.json").write_text(json.dumps(result))
