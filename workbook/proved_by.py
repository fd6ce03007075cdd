"""Which tests prove a chapter, read from the test files themselves: `workbook tests N`.

Instant, unlike `python -m pytest --chapter N --collect-only` (17 s): each file under tests/ is parsed
with `ast`, never imported. A test applies as `workbook.testing.selection.applies` decides, asked
about the closest `@pytest.mark.chapters(since=…, until=…)` (the function's decorators, then its
class's, then the module's `pytestmark`); its behaviour is its docstring's first paragraph, as
`workbook check` prints it. `workbook tests N --readme` writes the same list into the chapter's
README, between the marker lines below; a tooling test checks each README's list is the current one.
"""
from __future__ import annotations

import ast
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from workbook import chapters
from workbook.testing import selection

NOTEBOOK = "every cell run again, each output compared with the stored one (nbval)"
HEADING = "## Proved by"
END = "<!-- /proved-by -->"


class NotProved(Exception):
    """A test the list cannot name: no range of chapters, no docstring, a range not readable."""


@dataclass(frozen=True)
class Listed:
    """A file that proves the chapter: a suite's test file, the notebook, or one of its own tests."""

    path: Path  # relative to the repository's root
    tests: tuple[tuple[str, str], ...]  # (test function, its behaviour), in file order
    kind: str = "suite"  # or "notebook", or "own": the chapter's own tests (chapter 12's, the book's)

    @property
    def behaviours(self) -> tuple[str, ...]:
        return tuple(behaviour for _, behaviour in self.tests)


class _Read:
    """What `selection.applies` asks of a collected test, read from its source instead."""

    def __init__(self, nodeid: str, marks: list):
        self.nodeid, self._marks = nodeid, marks

    def get_closest_marker(self, name: str):
        return self._marks[0] if name == "chapters" and self._marks else None


def _marks(nodes, where: str) -> list[SimpleNamespace]:
    """The `chapters` marks among these expressions (decorators, `pytestmark`'s value), as pytest
    keeps them: `args` and `kwargs`, evaluated."""
    found = []
    for node in nodes:
        if isinstance(node, (ast.List, ast.Tuple)):
            found += _marks(node.elts, where)
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("mark.chapters"):
            try:
                found.append(SimpleNamespace(
                    args=tuple(ast.literal_eval(arg) for arg in node.args),
                    kwargs={kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}))
            except ValueError:
                raise NotProved(f"{where}: write {ast.unparse(node)} with numbers or chapter names, "
                                "so that it can be read without running it") from None
    return found


def _pytestmark(body: list[ast.stmt], where: str) -> list[SimpleNamespace]:
    marks = []
    for node in body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytestmark"
                                                for t in node.targets):
            marks = _marks([node.value], where)
    return marks


def _tests(body: list[ast.stmt]) -> dict[str, ast.FunctionDef]:
    """The test functions pytest collects from a module's or a class's body, in its order (a name
    defined twice: the last definition, where the first stood)."""
    found: dict = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            found[node.name] = node
    return found


def read(path: Path, root: Path, chapter: chapters.Chapter, strict: bool = True) -> tuple:
    """(name, behaviour) of the tests in `path` that apply to `chapter` (all, if not `strict`: the
    chapter's own tests, plain pytest: no range, and a missing docstring is the test's name)."""
    name = path.relative_to(root).as_posix()
    module = ast.parse(path.read_text(encoding="utf-8"), filename=name)
    module_marks = _pytestmark(module.body, name)
    scopes = [("", module.body, [])]
    for node in module.body:  # classes pytest collects: Test…, without an __init__
        if isinstance(node, ast.ClassDef) and (node.name.startswith("Test") and not any(
                getattr(n, "name", None) == "__init__" for n in node.body) or any(
                ast.unparse(base).endswith("TestCase") for base in node.bases)):
            where = f"{name}::{node.name}"
            scopes.append((f"{node.name}::", node.body,
                           _pytestmark(node.body, where) + _marks(reversed(node.decorator_list), where)))
    behaviours = []
    for prefix, body, class_marks in scopes:
        for test in _tests(body).values():
            nodeid = f"{name}::{prefix}{test.name}"
            doc = ast.get_docstring(test, clean=False)
            if strict:  # as selection.py: every test says its behaviour, then its range is asked
                if not (doc or "").strip():
                    raise NotProved(f"{nodeid}: say the behaviour it checks in its docstring")
                marks = _marks(reversed(test.decorator_list), nodeid) + class_marks + module_marks
                try:
                    if not selection.applies(_Read(nodeid, marks), chapter):
                        continue
                except pytest.UsageError as error:
                    raise NotProved(str(error)) from None
            # selection.behaviour, given what it reads of a collected test: one definition of it.
            shown = SimpleNamespace(obj=SimpleNamespace(__doc__=doc), name=test.name)
            behaviours.append((prefix + test.name, selection.behaviour(shown).strip()))
    return tuple(behaviours)


def proved_by(chapter: chapters.Chapter, suites: Path = selection.SUITES,
              root: Path = chapters.ROOT) -> list[Listed]:
    """The workbook's test files that apply to the chapter (unit, route, server, ui), each with its
    behaviours; then its notebook; then the chapter's own tests folder, if it has one."""
    files = []
    for path in sorted(suites.rglob("test_*.py")):
        folder = path.relative_to(suites).parts[0]
        if folder == "tooling":
            continue
        if folder not in selection.KINDS:
            raise NotProved(f"{path.relative_to(root)}: a suite's test lives in one of "
                            f"{', '.join(f'{suites.name}/{k}' for k in selection.KINDS)}")
        behaviours = read(path, root, chapter)
        if behaviours:
            files.append((selection.KINDS.index(folder), Listed(path.relative_to(root), behaviours)))
    found = [test_file for _, test_file in sorted(files, key=lambda pair: (pair[0], pair[1].path))]
    notebook = root / chapter.notebook.relative_to(chapters.ROOT)
    if notebook.exists():
        found.append(Listed(notebook.relative_to(root), (("", NOTEBOOK),), kind="notebook"))
    own = root / chapter.path.relative_to(chapters.ROOT) / "tests"
    for path in sorted(own.glob("test_*.py")):
        found.append(Listed(path.relative_to(root), read(path, root, chapter, strict=False), kind="own"))
    return found


def _counts(found: list[Listed]) -> str:
    suites = [f for f in found if f.kind == "suite"]
    return f"{sum(len(f.behaviours) for f in suites)} behaviours in {len(suites)} test files"


def _ref(chapter: chapters.Chapter) -> str:
    return str(chapter.number or chapter.name)


def text(chapter: chapters.Chapter, found: list[Listed]) -> str:
    """What `workbook tests N` prints: each file, its behaviours indented under it."""
    lines = [f"{chapter.label} ({chapter.title}): {_counts(found)}, run by "
             f"`python -m pytest --chapter={_ref(chapter)}`"]
    for test_file in found:
        note = " (its own: `python -m pytest` in its folder runs it)" if test_file.kind == "own" else ""
        lines += ["", f"{test_file.path.as_posix()}{note}", *(f"    {b}" for b in test_file.behaviours)]
    return "\n".join(lines) + "\n"


def _md(behaviour: str) -> str:
    """A behaviour as Markdown shows it as written: outside `code`, a `<`, `*`, `\\` or an `_` at a
    word's edge (`<id>`, `__pycache__`, `CACHE_*`) escaped, not taken for HTML or emphasis."""
    def escape(match: re.Match) -> str:
        return "".join("\\" + char for char in match.group(0))

    parts = re.split(r"(`[^`]*`)", behaviour)
    return "".join(part if i % 2 else re.sub(r"[\\<*]|(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])", escape, part)
                   for i, part in enumerate(parts))


def begin(chapter: chapters.Chapter) -> str:
    return f"<!-- proved-by: generated by `workbook tests {_ref(chapter)} --readme`; do not edit -->"


def markdown(chapter: chapters.Chapter, found: list[Listed]) -> str:
    """The README's block, marker lines included: a bullet per file (a link from the chapter's
    folder), its behaviours under it."""
    def link(path: Path) -> str:
        target = os.path.relpath(chapters.ROOT / path, chapter.path).replace(os.sep, "/")
        return f"[`{path.as_posix()}`]({target})"

    ref = _ref(chapter)
    intro = (f"The workbook's tests that apply to {chapter.label}, {_counts(found)}, each file with the "
             "behaviours it proves (the first paragraph of each test's docstring): "
             f"`python -m pytest --chapter={ref}` runs them, `workbook tests {ref}` prints this list.")
    lines = [begin(chapter), *textwrap.wrap(intro, 100, break_on_hyphens=False), ""]
    for test_file in found:
        if test_file.kind == "own":
            continue
        if test_file.kind == "notebook":
            lines.append(f"- {link(test_file.path)}: {NOTEBOOK}")
            continue
        lines += [f"- {link(test_file.path)}", *(f"  - {_md(b)}" for b in test_file.behaviours)]
    own = [f for f in found if f.kind == "own"]
    if own:
        lines.append(f"- {link(own[0].path.parent)}, the book's own tests "
                     "(`python -m pytest` in this folder runs them):")
        for test_file in own:
            lines += [f"  - {link(test_file.path)}", *(f"    - {_md(b)}" for b in test_file.behaviours)]
    return "\n".join([*lines, END])


def for_checkout(readme_text: str, chapter: chapters.Chapter, suites: str) -> str:
    """The README's block as it reads in a `workbook checkout` of the chapter: the suites under
    `suites`, the notebook beside the README, and plain `python -m pytest` to run them."""
    block = block_in(readme_text, chapter)
    if block is None:
        return readme_text
    ref = _ref(chapter)
    moved = (block.replace("](../../tests/", f"]({suites}/").replace("[`tests/", f"[`{suites}/")
             .replace("](../../notebooks/", "]("))
    run = (r"`python\s+-m\s+pytest\s+--chapter={0}`\s+runs\s+them,\s+`workbook\s+tests\s+{0}`"
           r"\s+prints\s+this\s+list\.")
    moved = re.sub(run.format(ref), "`python -m pytest --all` runs them.", moved)
    return readme_text.replace(block, moved, 1)


def block_in(readme_text: str, chapter: chapters.Chapter) -> str | None:
    """The generated block a README holds (marker lines included), or None."""
    match = re.search(re.escape(begin(chapter)) + r"\n.*?^" + re.escape(END) + "$", readme_text,
                      re.DOTALL | re.MULTILINE)
    return match.group(0) if match else None


def with_block(readme_text: str, chapter: chapters.Chapter, block: str) -> str:
    """The README with its block replaced by `block`, or with a `## Proved by` section at its end."""
    old = block_in(readme_text, chapter)
    if old is not None:
        return readme_text.replace(old, block, 1)
    if begin(chapter).split(" generated")[0] in readme_text:
        raise NotProved("the README's proved-by block has lost its end line, or names another "
                        f"chapter: mend it by hand ({END} closes it)")
    return f"{readme_text.rstrip()}\n\n{HEADING}\n\n{block}\n"


def write_readme(chapter: chapters.Chapter, readme: Path | None = None) -> bool:
    """Rewrite the chapter's README block (or `readme`, a copy); whether the file changed."""
    readme = readme or chapter.path / "README.md"
    old = readme.read_text(encoding="utf-8")
    new = with_block(old, chapter, markdown(chapter, proved_by(chapter)))
    if new != old:
        readme.write_text(new, encoding="utf-8")
    return new != old
