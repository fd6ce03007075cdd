"""`workbook tests N` and each chapter README's "Proved by" list: the tests that apply to a chapter, read
from the test files without running pytest (workbook/proved_by.py), agreeing with what pytest collects."""
import subprocess
import sys
from pathlib import Path

import pytest

from workbook import chapters, proved_by

EVERY = [pytest.param(chapter, id=chapter.name) for chapter in chapters.CHAPTERS]


@pytest.mark.parametrize("chapter", EVERY)
def test_each_readme_holds_the_list_of_its_tests(chapter):
    """Each chapter's README (and webapp/'s) holds, under "Proved by", exactly the list `workbook tests
    N` makes now: `workbook tests all --readme` writes them again after a change to the suites."""
    readme = (chapter.path / "README.md").read_text(encoding="utf-8")
    expected = proved_by.markdown(chapter, proved_by.proved_by(chapter))
    assert proved_by.block_in(readme, chapter) == expected, (
        f"{chapter.path.relative_to(chapters.ROOT)}/README.md: its Proved by list is not the current "
        f"one; run `workbook tests {chapter.number or chapter.name} --readme`")
    assert f"{proved_by.HEADING}\n\n{expected}" in readme


def collected(chapter: chapters.Chapter) -> set[tuple[str, str | None]]:
    """(file, test function) of every test pytest collects for the chapter; (notebook, None)."""
    run = subprocess.run([sys.executable, "-m", "pytest", f"--chapter={chapter.name}", "--collect-only",
                          "-q", "--no-coverage"], cwd=chapters.ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    tests = set()
    for line in run.stdout.splitlines():
        if "::" in line:
            path, *names = line.split("::")
            tests.add((path, None) if path.endswith(".ipynb") else (path, "::".join(names).split("[")[0]))
    return tests


@pytest.mark.parametrize("number", [2, 6])
def test_the_static_reading_agrees_with_pytests_collection(number):
    """The files and test functions `workbook tests N` names are those `python -m pytest --chapter N`
    collects (chapter 2: a range with `until`; chapter 6: a function's range inside its module's)."""
    chapter = chapters.get(number)
    found = proved_by.proved_by(chapter)
    read = set()
    for test_file in found:
        path = test_file.path.as_posix()
        if test_file.kind == "notebook":
            read.add((path, None))
        elif test_file.kind == "suite":
            read |= {(path, name) for name, _ in test_file.tests}
    assert read == collected(chapter)


def suites_with(tmp_path: Path, source: str) -> Path:
    """A repository's tests/ holding one unit test file with `source`."""
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "test_example.py").write_text(source)
    return tmp_path / "tests"


def test_a_test_without_a_docstring_is_named(tmp_path):
    """A test without a docstring stops the list, naming the test: every test says its behaviour."""
    suites = suites_with(tmp_path, 'import pytest\n\npytestmark = pytest.mark.chapters(since=3)\n\n\n'
                                   'def test_says_it():\n    """It says."""\n\n\n'
                                   'def test_silent():\n    assert True\n')
    with pytest.raises(proved_by.NotProved, match=r"tests/unit/test_example.py::test_silent: say the "
                                                  "behaviour it checks in its docstring"):
        proved_by.proved_by(chapters.get(2), suites=suites, root=tmp_path)


def test_a_test_without_a_range_is_named(tmp_path):
    """A test without `@pytest.mark.chapters` stops the list as it stops pytest, naming the test."""
    suites = suites_with(tmp_path, 'def test_anywhere():\n    """Everywhere?"""\n')
    with pytest.raises(proved_by.NotProved, match=r"test_example.py::test_anywhere: say from which"):
        proved_by.proved_by(chapters.get(2), suites=suites, root=tmp_path)


def test_ranges_are_read_as_pytest_reads_them(tmp_path):
    """A function's range wins over its module's; `until` is inclusive; a chapter's name counts as
    where it stands (webapp: after every chapter); each behaviour is its docstring's first paragraph."""
    suites = suites_with(tmp_path, '''import pytest

pytestmark = pytest.mark.chapters(since=3)


@pytest.mark.parametrize("n", [1, 2])
def test_from_three(n):
    """From three on,
    whatever n."""


@pytest.mark.chapters(since=6)
def test_from_six():
    """From six on."""


@pytest.mark.chapters(3, until=4)
def test_three_and_four():
    """Three and four."""


@pytest.mark.chapters(since="webapp")
def test_finished():
    """The finished app."""
''')
    def behaviours(number):
        found = proved_by.proved_by(chapters.get(number), suites=suites, root=tmp_path)
        return [b for test_file in found if test_file.path.parts[0] == "tests" for b in test_file.behaviours]

    assert behaviours(2) == []
    assert behaviours(4) == ["From three on, whatever n.", "Three and four."]
    assert behaviours(6) == ["From three on, whatever n.", "From six on."]
    assert behaviours("webapp") == ["From three on, whatever n.", "From six on.", "The finished app."]


def test_the_readme_block_is_written_and_rewritten(tmp_path):
    """`--readme` appends a "Proved by" section to a README without one, replaces only the block
    between its marker lines in one that has it, and a second run changes nothing."""
    chapter = chapters.get(6)
    readme = tmp_path / "README.md"
    readme.write_text("# Chapter 6\n\nProse.\n")
    assert proved_by.write_readme(chapter, readme)
    block = proved_by.markdown(chapter, proved_by.proved_by(chapter))
    assert readme.read_text() == f"# Chapter 6\n\nProse.\n\n## Proved by\n\n{block}\n"
    assert not proved_by.write_readme(chapter, readme)

    stale = readme.read_text().replace(block.splitlines()[-2], "- an old line") + "\n## After\n"
    readme.write_text(stale)
    assert proved_by.write_readme(chapter, readme)
    assert readme.read_text() == f"# Chapter 6\n\nProse.\n\n## Proved by\n\n{block}\n\n## After\n"
    assert "](../../tests/unit/test_accounts.py)" in block


def test_workbook_tests_prints_each_file_and_its_behaviours(workbook):
    """`workbook tests 6` prints each file that applies with its behaviours under it, and the
    notebook, at once; an unknown chapter is one line."""
    result = workbook("tests", "6")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("chapter 6 (Securing Your App): ")
    assert "tests/unit/test_accounts.py" in lines and "notebooks/ch06_security.ipynb" in lines
    first = lines.index("tests/unit/test_accounts.py")
    assert lines[first + 1].startswith("    ") and "tests/route/test_hello_page.py" not in lines
    assert result.stdout == proved_by.text(chapters.get(6), proved_by.proved_by(chapters.get(6)))

    wrong = workbook("tests", "7")
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1


def test_a_behaviour_shows_in_markdown_as_written():
    """In a README, `<id>`, `__pycache__` and `CACHE_*` show as written, not as HTML or emphasis;
    what is in backticks, and an underscore inside a word, are left as they are."""
    assert proved_by._md("GET /post/<id> drops __pycache__ and CACHE_* in set_password `a_b <c>`") == (
        r"GET /post/\<id> drops \_\_pycache\_\_ and CACHE\_\* in set_password `a_b <c>`")


def test_a_checkouts_readme_links_to_its_own_copies(tmp_path):
    """In a `workbook checkout`, the README's list links to the checkout's copies of the suites and
    its notebook, and says how to run them there."""
    from workbook import cli

    chapter = chapters.get(12)
    dest = tmp_path / "ch12"
    cli.checkout(chapter, dest)
    block = proved_by.block_in((dest / "README.md").read_text(), chapter)
    targets = [line.split("](", 1)[1].split(")", 1)[0] for line in block.splitlines() if "](" in line]
    assert targets and all((dest / target).exists() for target in targets), targets
    assert "`python -m pytest --all` runs them." in " ".join(block.split())
