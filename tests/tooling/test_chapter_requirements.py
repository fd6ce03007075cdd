"""Each chapter's requirements.txt holds what its code imports: a reader who installs only that file
(as a checkout does) can run every module of the chapter. Checked without installing anything: the
packages each chapter's modules import, against the distributions its requirements name and what
those bring with them, as installed in the workbook's environment (the lock's versions)."""
import re
import sys
from importlib import metadata

import pytest
from packaging.requirements import Requirement

from workbook import chapters, cli

# What a chapter's own tests/ folder (chapter 12's, the book's) imports is in its requirements too.
FOLDERS_OF_CODE = ("webapp", "tests")


def requirement_names(chapter) -> list[Requirement]:
    lines = (chapter.path / "requirements.txt").read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith(("#", "-"))]


def installed_closure(requirements: list[Requirement]) -> set[str]:
    """The distributions these requirements install: them, and what each requires (with the extras
    asked for), as the environment's metadata says."""
    found, waiting = set(), [(r.name, frozenset(r.extras)) for r in requirements]
    while waiting:
        name, extras = waiting.pop()
        key = (canonical(name), extras)
        if key in found:
            continue
        found.add(key)
        for line in metadata.requires(name) or ():
            need = Requirement(line)
            if need.marker is None or any(need.marker.evaluate({"extra": e}) for e in extras or {""}):
                waiting.append((need.name, frozenset(need.extras)))
    return {name for name, _ in found}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def chapter_sources(chapter) -> list[str]:
    """The chapter's own Python files: its modules, its package, its own tests."""
    paths = [p for p in chapter.path.glob("*.py")]
    for folder in FOLDERS_OF_CODE:
        paths += (chapter.path / folder).rglob("*.py")
    return [p.read_text() for p in paths if "migrations" not in p.parts]


@pytest.mark.parametrize("chapter", chapters.CHAPTERS, ids=[c.name for c in chapters.CHAPTERS])
def test_requirements_hold_every_package_the_chapters_code_imports(chapter):
    """Every third-party package a module of the chapter imports comes with its requirements.txt."""
    own = set(chapters.CHAPTER_MODULES)
    distributions = metadata.packages_distributions()
    installed = installed_closure(requirement_names(chapter))
    missing = {}
    for module in cli.imported_packages(chapter_sources(chapter)):
        module = module.replace("-", "_")
        if module in own or module in sys.stdlib_module_names or module not in distributions:
            continue
        providers = {canonical(d) for d in distributions[module]}
        if not providers & installed:
            missing[module] = sorted(providers)
    assert missing == {}, f"{chapter.name}'s requirements.txt lacks what these modules come from"
