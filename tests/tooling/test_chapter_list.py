"""The chapter list (workbook/chapters.toml) and what it gives the harness: a chapter's modules, its
`flask` command, and one chapter's code per process."""
import importlib
import sys
from pathlib import Path

import pytest

from workbook import chapters


def decoy(folder: Path) -> Path:
    """A folder holding modules named like a chapter's, which must never be imported."""
    (folder / "webapp").mkdir(parents=True)
    for module in (folder / "main.py", folder / "config.py", folder / "webapp" / "__init__.py"):
        module.write_text("raise AssertionError('the decoy was imported')\n")
    return folder


def test_a_chapter_imports_only_its_own_modules(clean_imports, tmp_path):
    """With a chapter active, `main`, `config` and `webapp` come from its folder or from nowhere:
    never from the repository root, a folder earlier on sys.path, or the chapter before."""
    two, five = chapters.get(2), chapters.get(5)
    chapters.activate(two.path)
    sys.path.insert(0, str(decoy(tmp_path / "decoy")))
    assert Path(importlib.import_module("main").__file__) == two.path / "main.py"
    assert Path(importlib.import_module("config").__file__) == two.path / "config.py"
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("webapp")  # chapter 2 has no package (the finished app is one)

    chapters.activate(five.path)
    assert Path(importlib.import_module("webapp").__file__) == five.path / "webapp" / "__init__.py"
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("main")  # chapter 2's module is forgotten, and not found again
    assert str(two.path) not in sys.path


def test_each_chapter_loads_its_app_from_its_entry(clean_imports):
    """Every chapter's `app` entry loads a Flask app from the file its `entry_point` names."""
    for chapter in chapters.CHAPTERS:
        chapters.activate(chapter.path)
        app = chapters.load_app(chapter)
        module = sys.modules[chapter.flask_app]
        assert Path(module.__file__) == chapter.path / chapter.entry_point, chapter.name
        assert app.import_name.split(".")[0] == chapter.flask_app


def test_flask_command_names_the_chapters_app():
    """One helper builds every `flask --app …` command: this interpreter, the chapter's module."""
    assert chapters.get(2).flask_command("db", "upgrade") == [
        sys.executable, "-m", "flask", "--app", "main", "db", "upgrade"]
    assert chapters.get(6).flask_command("run", launcher=["flask"]) == ["flask", "--app", "webapp", "run"]


def test_an_entry_without_a_number_is_a_top_level_folder_after_every_chapter():
    """An entry with no number (the finished webapp/) lives at the top level, answers to its slug,
    and comes after every chapter, so every open-ended suite runs on it."""
    entries = chapters.CHAPTERS
    finished = chapters.get("webapp", among=entries)
    assert finished.path == chapters.ROOT / "webapp" and finished.name == "webapp"
    assert finished.notebook == chapters.ROOT / "notebooks" / "webapp.ipynb"
    assert all(finished.rank > chapter.rank for chapter in entries if chapter is not finished)
    assert chapters.get("6", among=entries).name == "ch06_security"
    assert chapters.newest() is finished  # what `workbook run` serves


def test_chapters_are_numbered_in_order_with_every_field():
    """The list holds each chapter once, in the book's order, each naming its app and home page."""
    numbers = [c.number for c in chapters.CHAPTERS if c.number is not None]
    assert numbers == sorted(set(numbers))
    for chapter in chapters.CHAPTERS:
        assert ":" in chapter.app and chapter.home and chapter.sections, chapter.name
