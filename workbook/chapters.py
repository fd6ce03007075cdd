"""The chapter list, where a chapter's code lives, and how to load it.

Two layouts are understood: the repository (snapshots under chapters/) and a standalone checkout
written by `workbook checkout`, whose code sits beside this package and which holds one chapter.
Standard library only: a checkout copies this module, and nox reads it before anything is installed.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
CHECKOUT_MARKER = PACKAGE_DIR / "checkout.toml"
# Module names a chapter defines at its top level; two chapters never share them in one process.
CHAPTER_MODULES = {"main", "config", "webapp", "manage", "celery_runner"}
# Where an entry without a number (a top-level folder such as webapp/) stands among the chapters.
AFTER_EVERY_CHAPTER = 1000


@dataclass(frozen=True)
class Chapter:
    number: int | None
    slug: str
    title: str
    app: str  # "module:object", as `flask --app` takes it
    config: str  # the module of the configuration classes
    models: str  # the module of the models
    home: str  # the endpoint of the home page
    sections: tuple[str, ...]
    coverage_floor: int
    test_processes: int = 2

    @property
    def name(self) -> str:
        return self.slug if self.number is None else f"ch{self.number:02d}_{self.slug}"

    @property
    def rank(self) -> int:
        """Where the chapter stands for `@pytest.mark.chapters(since=…, until=…)`."""
        return AFTER_EVERY_CHAPTER if self.number is None else self.number

    @property
    def label(self) -> str:
        return self.slug if self.number is None else f"chapter {self.number}"

    @property
    def path(self) -> Path:
        """The chapter's code: its snapshot in the repository, or the checkout folder itself."""
        if in_checkout():
            return ROOT
        return ROOT / self.name if self.number is None else ROOT / "chapters" / self.name

    @property
    def notebook(self) -> Path:
        folder = ROOT if in_checkout() else ROOT / "notebooks"
        return folder / f"{self.name}.ipynb"

    @property
    def flask_app(self) -> str:
        """What `flask --app` takes: the module; Flask finds the app or the `create_app` factory."""
        return self.app.split(":")[0]

    @property
    def entry_point(self) -> Path:
        """The file that defines the app, relative to the chapter's folder."""
        module = Path(*self.flask_app.split("."))
        package = self.path / module / "__init__.py"
        return package.relative_to(self.path) if package.exists() else module.with_suffix(".py")

    def flask_command(self, *args: str, launcher: list[str] | None = None) -> list[str]:
        """`flask --app <the chapter's app> ARGS…`, run by this interpreter unless told otherwise."""
        return [*(launcher or [sys.executable, "-m", "flask"]), "--app", self.flask_app, *args]


def in_checkout() -> bool:
    return CHECKOUT_MARKER.exists()


def parse(text: str) -> tuple[Chapter, ...]:
    """The entries of a chapters.toml text, in their order."""
    return tuple(
        Chapter(**{"number": None, **entry, "sections": tuple(entry.get("sections", ()))})
        for entry in tomllib.loads(text)["chapter"]
    )


def _load() -> tuple[Chapter, ...]:
    chapters = parse((PACKAGE_DIR / "chapters.toml").read_text(encoding="utf-8"))
    if in_checkout():
        name = tomllib.loads(CHECKOUT_MARKER.read_text(encoding="utf-8"))["chapter"]
        chapters = tuple(c for c in chapters if name in (c.number, c.name))
    return chapters


CHAPTERS = _load()


class UnknownChapter(LookupError):
    def __str__(self) -> str:
        valid = ", ".join(str(c.number or c.name) for c in CHAPTERS)
        return f"no chapter {self.args[0]}; chapters are: {valid}"


def get(number: int | str, among: tuple[Chapter, ...] = CHAPTERS) -> Chapter:
    """A chapter by its number (`2`, `02`), its folder name (`ch02_models`) or its slug (`webapp`)."""
    wanted = str(number)
    for chapter in among:
        if wanted in (chapter.name, chapter.slug) or (
                chapter.number is not None and wanted.lstrip("0") == str(chapter.number)):
            return chapter
    raise UnknownChapter(number)


def newest() -> Chapter:
    return CHAPTERS[-1]


# --------------------------------------------------------------------------- one chapter at a time


class _ChapterOnly:
    """An import hook: a chapter's module names (main, config, webapp…) come only from the active
    chapter's folder, never from the repository root, another chapter or the current directory."""

    folder: Path | None = None

    def find_spec(self, name, path=None, target=None):
        if self.folder is None or path is not None or name not in CHAPTER_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, [str(self.folder)])
        if spec is None:
            raise ModuleNotFoundError(f"No module named {name!r} in {self.folder}", name=name)
        return spec


_GUARD = _ChapterOnly()


def forget_chapter_modules() -> None:
    """Drop the imported chapter modules, so the next import reads the chapter (and its config) afresh."""
    for name in list(sys.modules):
        if name.split(".")[0] in CHAPTER_MODULES:
            del sys.modules[name]


def activate(folder: Path) -> None:
    """Make `folder` the one chapter this process imports from (the harness and the notebooks)."""
    folder = Path(folder).resolve()
    forget_chapter_modules()
    others = {str(c.path) for c in CHAPTERS} | {str(_GUARD.folder)}
    sys.path[:] = [p for p in sys.path if p not in others]
    sys.path.insert(0, str(folder))
    _GUARD.folder = folder
    if _GUARD not in sys.meta_path:
        sys.meta_path.insert(0, _GUARD)


def load_app(chapter: Chapter, config: str = "TestConfig", fresh: bool = False):
    """The chapter's app: the module's app, or a new one from the factory called with `config`.

    A chapter whose module is its app (chapters 1-4) is imported afresh each time: the app is built
    at import. A factory's modules are imported once per process, as a server imports them, and each
    app is built by a new call of the factory (cookiecutter-flask's tests do the same); only the
    configuration module is read again, since its classes read the environment (DATABASE_URL…) when
    it is imported. Importing the whole chapter again for each test cost 40% of the CPU of its unit and
    route suites. `fresh=True` imports everything afresh, for a test that needs module state of its
    own (a new import of extensions.py: Authlib keeps each provider's client for the process).
    """
    module, _, attribute = chapter.app.partition(":")
    if fresh or not _factory_imported(chapter, module, attribute):
        forget_chapter_modules()
    else:
        sys.modules.pop(chapter.config, None)
    target = getattr(importlib.import_module(module), attribute)
    if hasattr(target, "wsgi_app"):  # already an app (chapters 1-4 configure it themselves)
        return target
    return target(f"{chapter.config}.{config}")


def _factory_imported(chapter: Chapter, module: str, attribute: str) -> bool:
    """Whether the chapter's app module is imported, from the folder this process imports chapter code
    from (the snapshot, or a learner's --chapter-dir: `activate`), and holds a factory."""
    imported = sys.modules.get(module)
    folder = _GUARD.folder or chapter.path
    if imported is None or not str(getattr(imported, "__file__", "")).startswith(str(folder)):
        return False
    target = getattr(imported, attribute, None)
    return target is not None and not hasattr(target, "wsgi_app")


# What is never part of a chapter: caches, the instance folder, local databases, (chapter 10 on)
# the bundles Flask-Assets builds at start into static/gen/, and (chapter 12) what `coverage run` and
# `coverage html` leave in the chapter's folder.
NOT_THE_CHAPTERS_FOLDERS = ("__pycache__", "instance", ".ipynb_checkpoints", "gen", "htmlcov", ".coverage")
NOT_THE_CHAPTERS_SUFFIXES = (".pyc", ".db")


def files(folder: Path) -> dict[str, Path]:
    """A chapter's own files by relative path (see NOT_THE_CHAPTERS_FOLDERS)."""
    return {
        path.relative_to(folder).as_posix(): path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not set(NOT_THE_CHAPTERS_FOLDERS) & set(path.relative_to(folder).parts)
        and path.suffix not in NOT_THE_CHAPTERS_SUFFIXES
    }
