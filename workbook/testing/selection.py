"""Which chapter is under test, and which tests apply to it.

`python -m pytest --chapter N` makes chapter N's snapshot (or a learner's `--chapter-dir`) the one
folder the process imports chapter code from, and keeps the tests whose
`@pytest.mark.chapters(since=…, until=…)` range holds N (a number, or an entry's name: "webapp",
which comes after every chapter). A test's kind follows its folder
(tests/unit → `unit`, …); its docstring's first line is the behaviour `workbook check` prints.
"""
from __future__ import annotations

import collections
import inspect
import os
from pathlib import Path

import pytest

from workbook import chapters

# Jupyter warns at import unless told to use the platform's directories; warnings are errors here.
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")

KINDS = ("unit", "route", "server", "ui")
WAITING_FIRST = {"notebook": 0, "server": 1, "ui": 2}
# Where the workbook's own suites live: tests/ in the repository; in a standalone checkout, tests/ is
# the chapter's own (chapter 12 has the book's tests) and the workbook's suites sit beside it.
SUITES = chapters.ROOT / ("workbook_tests" if chapters.in_checkout() else "tests")

CHAPTER = pytest.StashKey["chapters.Chapter | None"]()
CODE = pytest.StashKey[Path]()


def pytest_addoption(parser):
    group = parser.getgroup("workbook")
    group.addoption("--chapter", default=chapters.newest().name,
                    help="run the suites that apply to this chapter (default: the newest)")
    group.addoption("--chapter-dir", default=None,
                    help="test this folder (a learner's own) instead of the chapter's snapshot")
    group.addoption("--tooling", action="store_true", help="run the tests of the workbook tooling")
    group.addoption("--first-of-each-file", action="store_true",
                    help="a quick run: the first behaviour of each test file (all its cases) and the "
                         "notebook whole; shows that every suite runs here, not all that they check")
    group.addoption("--all", action="store_true", dest="all_kinds",
                    help="also the kinds the ini's slow_kinds leaves out of a run (a checkout's "
                         "server and ui tests: processes, workers, a browser)")
    parser.addini("slow_kinds", type="args", default=[],
                  help="kinds of tests a run leaves out unless --all or -m asks for them (a checkout's "
                       "pytest.ini: server ui, its quick default run)")


def pytest_configure(config):
    config.addinivalue_line("markers", "tooling: tests of the workbook command itself")
    config.addinivalue_line(
        "markers", "snapshot_convention(reason): holds for the workbook's snapshots by the workbook's "
        "own choice, not the book's: not asked of a learner's --chapter-dir")
    if config.option.tooling:
        config.stash[CHAPTER] = None
        return
    try:
        chapter = chapters.get(config.option.chapter)
    except chapters.UnknownChapter as error:
        raise pytest.UsageError(str(error)) from None
    code = Path(config.option.chapter_dir or chapter.path).resolve()
    if not code.is_dir():
        raise pytest.UsageError(f"--chapter-dir {code} is not a folder")
    config.stash[CHAPTER] = chapter
    config.stash[CODE] = code
    chapters.activate(code)
    if config.option.chapter_dir:
        # A learner's folder holds code that tools wrote (`flask db init`'s migrations/env.py, the
        # scripts of `flask db migrate`; Alembic loads them as modules named `env_py`, `<rev>_py`):
        # what they warn about is not the learner's to fix, so it is recorded, not raised.
        config.addinivalue_line("filterwarnings", r"always::Warning:\w*_py\Z")


def pytest_report_header(config):
    chapter = config.stash[CHAPTER]
    if chapter is None:
        return "workbook: tooling tests"
    lines = [f"workbook: {chapter.label} ({chapter.title}) from {config.stash[CODE]}"]
    slow = left_out(config)
    if slow:
        lines.append(f"workbook: the {' and '.join(slow)} tests are left out: `python -m pytest --all` "
                     f"runs them too, `-m \"{' or '.join(slow)}\"` only them")
    return lines


def left_out(config) -> list[str]:
    """The kinds this run leaves out: the ini's slow_kinds (a checkout's quick default run), unless
    --all or -m names what to run."""
    if config.option.all_kinds or config.option.markexpr:
        return []
    return config.getini("slow_kinds")


def pytest_ignore_collect(collection_path, config):
    chapter = config.stash[CHAPTER]
    if collection_path.suffix == ".ipynb":
        # Only the chapter's own notebook, and not when testing a learner's folder or the tooling.
        if chapter is None or config.option.chapter_dir:
            return True
        return collection_path.resolve() != chapter.notebook.resolve()
    if collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        # The tooling's tests and the chapters' suites never run in one process.
        return ("tooling" in collection_path.parts) != bool(config.option.tooling)
    return None


def kind_of(item) -> str | None:
    """The kind of one of the workbook's tests: the folder it sits in under the suites."""
    if item.path.suffix == ".ipynb":
        return "notebook"
    try:
        folder = item.path.relative_to(SUITES).parts[0]
    except ValueError:
        return None  # a chapter's own test (chapter 12): plain pytest, none of the workbook's rules
    if folder not in KINDS:
        raise pytest.UsageError(f"{item.nodeid}: a suite's test lives in one of "
                                f"{', '.join(f'{SUITES.name}/{k}' for k in KINDS)}")
    return folder


def applies(item, chapter: chapters.Chapter) -> bool:
    marker = item.get_closest_marker("chapters")
    if marker is None:
        raise pytest.UsageError(f"{item.nodeid}: say from which chapter it holds: "
                                "@pytest.mark.chapters(since=N)")
    since = marker.kwargs.get("since", marker.args[0] if marker.args else None)
    until = marker.kwargs.get("until", marker.args[1] if len(marker.args) > 1 else None)
    since, until = (chapters.get(end).rank if isinstance(end, str) else end for end in (since, until))
    return since <= chapter.rank and (until is None or chapter.rank <= until)


def behaviour(item) -> str:
    """The behaviour a test checks, in a reader's words: the first paragraph of its docstring, as
    one line (a sentence wrapped in the source is still one sentence)."""
    obj = getattr(item, "obj", None)
    doc = inspect.getdoc(obj) if obj is not None else None
    return " ".join(doc.split("\n\n")[0].split()) if doc else item.name


@pytest.hookimpl(tryfirst=True)  # kinds are known before `-m` selects by them
def pytest_collection_modifyitems(session, config, items):
    chapter = config.stash[CHAPTER]
    keep, drop = [], []
    for item in items:
        if chapter is None:
            item.add_marker("tooling")
            keep.append(item)
            continue
        kind = kind_of(item)
        if kind is not None:
            other = [k for k in KINDS if k != kind and item.get_closest_marker(k)]
            if other:
                raise pytest.UsageError(f"{item.nodeid}: marked {other[0]} but in the {kind} folder")
            item.add_marker(kind)
        if kind in (None, "notebook"):
            keep.append(item)
            continue
        if not inspect.getdoc(item.obj):
            raise pytest.UsageError(f"{item.nodeid}: say the behaviour it checks in its docstring")
        (keep if applies(item, chapter) else drop).append(item)
        convention = item.get_closest_marker("snapshot_convention")
        if convention is not None and config.option.chapter_dir:
            item.add_marker(pytest.mark.skip(reason=f"not checked: {convention.args[0]}"))
        item.user_properties.append(("behaviour", behaviour(item)))
        callspec = getattr(item, "callspec", None)
        if callspec is not None:  # one behaviour, several cases (databases, roles, inputs)
            item.user_properties.append(("case", callspec.id))
    if chapter is not None and config.option.first_of_each_file:
        keep, more = first_of_each_file(keep)
        drop += more
    slow = left_out(config)
    if chapter is not None and slow:
        drop += [item for item in keep if kind_of(item) in slow]
        keep = [item for item in keep if kind_of(item) not in slow]
    if drop:
        config.hook.pytest_deselected(items=drop)
    # The kinds that wait (on a kernel, a Celery worker, a server, a browser) first: xdist hands out
    # files in this order, and a long wait started last would leave the other workers idle at the end.
    # Then the files with the most tests (cases: databases, roles, inputs), the longest to run: a
    # long file handed out last would leave the other workers idle at the end too.
    if chapter is not None and hasattr(config, "workerinput"):  # unsorted in a serial run's report
        tests_in = collections.Counter(item.path for item in keep)
        keep.sort(key=lambda item: (WAITING_FIRST.get(kind_of(item), len(WAITING_FIRST)),
                                    -tests_in[item.path], str(item.path)))
    items[:] = keep


def first_of_each_file(items: list) -> tuple[list, list]:
    """The items of each file's first test function (every case of it), every notebook cell (a
    notebook's cells run in order, each on what the ones before it did) and every test of the
    chapter's own (chapter 12's, the book's: a few seconds): kept, dropped."""
    first: dict = {}
    keep, drop = [], []
    for item in items:
        name = first.setdefault(item.path, getattr(item, "originalname", item.name))
        whole = kind_of(item) in ("notebook", None)
        (keep if whole or getattr(item, "originalname", item.name) == name else drop).append(item)
    return keep, drop


@pytest.fixture(scope="session")
def chapter(pytestconfig) -> chapters.Chapter:
    """The chapter under test (number, title, its modules and folder)."""
    chosen = pytestconfig.stash[CHAPTER]
    if chosen is None:
        pytest.skip("not a chapter run")
    return chosen


@pytest.fixture(scope="session")
def chapter_code(pytestconfig, chapter) -> Path:
    """The folder whose code is under test: the chapter's snapshot, or a learner's --chapter-dir."""
    return pytestconfig.stash[CODE]
