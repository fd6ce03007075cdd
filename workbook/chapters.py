"""The chapter list, and where a chapter's code lives.

Two layouts are understood: the repository (snapshots under chapters/) and a standalone checkout
written by `workbook checkout`, whose code sits beside this package and which holds one chapter.
Standard library only: a checkout copies this module.
"""
from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
CHECKOUT_MARKER = PACKAGE_DIR / "checkout.toml"
# Module names a chapter defines at its top level; two chapters never share them in one process.
CHAPTER_MODULES = {"main", "config", "webapp", "manage", "celery_runner"}


@dataclass(frozen=True)
class Chapter:
    number: int
    slug: str
    title: str
    shape: str
    sections: tuple[str, ...]
    coverage_floor: int

    @property
    def name(self) -> str:
        return f"ch{self.number:02d}_{self.slug}"

    @property
    def path(self) -> Path:
        """The chapter's code: its snapshot in the repository, or the checkout folder itself."""
        if in_checkout():
            return ROOT
        return ROOT / "chapters" / self.name

    @property
    def notebook(self) -> Path:
        folder = ROOT if in_checkout() else ROOT / "notebooks"
        return folder / f"{self.name}.ipynb"

    @property
    def app_import(self) -> str:
        """What `flask --app` takes for this chapter."""
        return "main" if self.shape == "module" else "webapp"


def in_checkout() -> bool:
    return CHECKOUT_MARKER.exists()


def _load() -> tuple[Chapter, ...]:
    data = tomllib.loads((PACKAGE_DIR / "chapters.toml").read_text(encoding="utf-8"))
    chapters = tuple(
        Chapter(**{**entry, "sections": tuple(entry["sections"])}) for entry in data["chapter"]
    )
    if in_checkout():
        number = tomllib.loads(CHECKOUT_MARKER.read_text(encoding="utf-8"))["chapter"]
        chapters = tuple(c for c in chapters if c.number == number)
    return chapters


CHAPTERS = _load()


class UnknownChapter(LookupError):
    def __str__(self) -> str:
        valid = ", ".join(str(c.number) for c in CHAPTERS)
        return f"no chapter {self.args[0]}; chapters are: {valid}"


def get(number: int | str) -> Chapter:
    for chapter in CHAPTERS:
        if str(chapter.number) == str(number).lstrip("0") or chapter.name == str(number):
            return chapter
    raise UnknownChapter(number)


def newest() -> Chapter:
    return CHAPTERS[-1]


def forget_chapter_modules() -> None:
    """Drop the imported chapter modules, so the next import reads the chapter (and its config) afresh."""
    for name in list(sys.modules):
        if name.split(".")[0] in CHAPTER_MODULES:
            del sys.modules[name]


def files(folder: Path) -> dict[str, Path]:
    """A chapter's own files by relative path: no caches, instance/ folder or local databases."""
    skip = {"__pycache__", "instance", ".ipynb_checkpoints"}
    return {
        path.relative_to(folder).as_posix(): path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not skip & set(path.relative_to(folder).parts)
        and path.suffix not in (".pyc", ".db")
    }
