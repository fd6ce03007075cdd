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
