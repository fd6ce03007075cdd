"""What the tooling tests share: the `workbook` command, run as a learner runs it."""
import subprocess
import sys

import pytest

from workbook import chapters


@pytest.fixture
def workbook():
    """Run `workbook ARGS…` in a process of its own, from the repository's root; returns the result."""

    def run(*args, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "workbook.cli", *args], cwd=chapters.ROOT,
                              capture_output=True, text=True, **kwargs)

    return run


@pytest.fixture
def clean_imports(monkeypatch, tmp_path):
    """Leave sys.path, the import hooks and the imported chapter modules as they were."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.setattr(chapters._GUARD, "folder", chapters._GUARD.folder)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    yield
    chapters.forget_chapter_modules()
