"""`--first-of-each-file`: the quick run a checkout of the newest chapter makes (test_checkout.py)."""
import re
import subprocess
import sys

from workbook import chapters


def collected(*options: str) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "--chapter", "3", "--collect-only", "-q",
                           "-p", "no:cacheprovider", *options], cwd=chapters.ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_a_quick_run_keeps_each_files_first_behaviour_with_its_cases_and_the_notebook_whole():
    """A quick run keeps, of each test file, its first test function with every case of it (each
    database…), and every cell of the notebook; nothing else."""
    every, quick = collected(), collected("--first-of-each-file")
    function = lambda nodeid: re.sub(r"\[.*\]$", "", nodeid)  # noqa: E731
    first = {}
    for nodeid in every:
        first.setdefault(nodeid.split("::")[0], function(nodeid))
    expected = [nodeid for nodeid in every
                if nodeid.endswith(".ipynb") or ".ipynb::" in nodeid
                or function(nodeid) == first[nodeid.split("::")[0]]]
    assert quick == expected
    assert len(set(map(function, quick))) < len(set(map(function, every)))
    assert any("[" in nodeid for nodeid in quick)  # a behaviour's cases all came along
