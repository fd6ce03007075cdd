"""`workbook checkout`: a chapter as a standalone folder that installs from its own requirements and
passes its tests there, every command of its README working as written. (Its own file, first in the
tooling session's order: the checkout tests are the longest, and start first.)"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbook import chapters

# The newest chapter: a checkout is of a chapter with its notebook, not of the finished webapp/.
NEWEST = [chapter for chapter in chapters.CHAPTERS if chapter.number is not None][-1]
# Chapters with tests of their own in their folder (chapter 12's tests/, the book's).
OWN_TESTS = {chapter.number for chapter in chapters.CHAPTERS
             if chapter.number is not None and (chapter.path / "tests").is_dir()}


def test_checkout_refuses_a_folder_that_is_not_empty(tmp_path, workbook):
    """`workbook checkout` into a non-empty folder says so in one line and touches nothing."""
    (tmp_path / "mine.txt").write_text("keep me")
    result = workbook("checkout", "1", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == f"workbook: {tmp_path} is not empty: name a new or empty folder\n"
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_the_finished_webapp_is_not_checked_out(tmp_path, workbook):
    """`workbook checkout webapp` (no notebook: a folder to copy) says so in one line, writes nothing."""
    result = workbook("checkout", "webapp", str(tmp_path / "app"))
    assert result.returncode == 1
    assert result.stderr == (f"workbook: webapp is not a chapter with a notebook: copy "
                             f"{chapters.get('webapp').path} instead\n")
    assert not (tmp_path / "app").exists()


def fresh_checkout(workbook, number, tmp_path):
    """`workbook checkout N` into a folder, installed in a new venv from its own requirements."""
    dest = tmp_path / "chapter"
    result = workbook("checkout", str(number), str(dest))
    assert result.returncode == 0, result.stderr
    chapter = chapters.get(number)
    for name in ("README.md", "requirements.txt", "constraints.txt", "conftest.py", "pytest.ini",
                 chapter.notebook.name, "workbook_tests"):
        assert (dest / name).exists(), name
    assert not (dest / "workbook_tests" / "tooling").exists()
    assert (dest / "workbook" / "workers.py").exists()  # the suites' Celery worker and mail server
    venv = tmp_path / "venv"
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    # --compile-bytecode: as pip does. Without it every first import compiles from source, and the
    # chapter 9 suites' processes (a worker, gunicorn, the kernel) start late on a busy machine.
    subprocess.run([*uv, "pip", "install", "-q", "--compile-bytecode", "--python",
                    str(venv / "bin" / "python"), "-r", "requirements.txt"], cwd=dest, check=True)
    # As nox's environment session does, and the README of a checkout advises (workbook.cli.SLOW_START):
    # over a second of CPU in each process that imports Flask-RESTX (chapter 9's suites start some
    # thirty), for a format nothing here checks.
    subprocess.run([*uv, "pip", "uninstall", "-q", "--python", str(venv / "bin" / "python"),
                    "rfc3987-syntax"], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return dest, venv, env


def run_readme_commands(dest, venv, env):
    """Every command of the README's "Run it", as written, in the venv (what would run until stopped,
    the server, a Celery worker and beat, only asked for --help: each loads the app)."""
    for command in run_it_commands((dest / "README.md").read_text()):
        if "pip install" in command or command.startswith("python -m pytest"):
            continue  # the install is done; the tests run on their own
        command = re.sub(r" run( --debug)?$", " run --help", command)
        command = re.sub(r"^(celery -A \S+ (worker|beat)) .*$", r"\1 --help", command)
        if command.startswith("jupyter lab"):
            command = "jupyter lab --version"
        done = subprocess.run(command, shell=True, cwd=dest, capture_output=True, text=True,
                              input="long enough\nlong enough\n",
                              env={**env, "PATH": f"{venv / 'bin'}:{env['PATH']}"})
        assert done.returncode == 0, f"{command}:\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("number", sorted({6} - {2, NEWEST.number}))
def test_every_readme_command_works_in_a_checkout(number, tmp_path, workbook):
    """In `workbook checkout 6`, every command of the README's "Run it" works as written. (In the
    workbook's environment: that its requirements.txt brings what its code imports is
    test_chapter_requirements.py's; chapters 2 and 12 are installed afresh below.)"""
    dest = tmp_path / "chapter"
    result = workbook("checkout", str(number), str(dest))
    assert result.returncode == 0, result.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    run_readme_commands(dest, Path(sys.executable).parent.parent, env)
    says_how_to_start_faster(dest, number)


def says_how_to_start_faster(dest, number):
    """From chapter 8 on (Flask-RESTX), the README says how to start every process a second faster."""
    assert ("pip uninstall rfc3987-syntax" in (dest / "README.md").read_text()) == (number >= 8)


@pytest.mark.parametrize("number", sorted({2, NEWEST.number} | OWN_TESTS))
def test_checkout_installs_and_passes_on_its_own(number, tmp_path, workbook):
    """A checked-out chapter installs from its own requirements in a new venv and passes its tests, and
    every command of its README works as written."""
    dest, venv, env = fresh_checkout(workbook, number, tmp_path)
    chapter = chapters.get(number)
    python = str(venv / "bin" / "python")
    pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    every = subprocess.run([*pytest, "--collect-only"], cwd=dest, capture_output=True, text=True, env=env)
    assert every.returncode == 0, every.stdout[-3000:]  # a package the checkout lacks fails an import
    assert "deselected" not in every.stdout.splitlines()[-1]  # no other chapter's tests came along
    # Chapter 2 runs all its tests here, coverage included. The newest chapter, whose whole suite its
    # nox session runs on the same pinned packages, runs the first behaviour of each of its test files
    # (every case of it: each database, each cache) and its notebook whole: what a checkout could lack
    # shows there, in a server, a Celery worker, Chromium, the notebook kernel or a database driver.
    narrow = [] if number == 2 else ["--first-of-each-file", "--no-coverage"]  # its floor: in its session
    # In parallel, as the README's second command says (the first, serial, runs the same tests), in
    # as many processes as nox runs the chapter in.
    processes = ["-n", str(chapter.test_processes), "--dist", "loadfile"]
    junit = tmp_path / "run.xml"
    tests = subprocess.run([*pytest, *narrow, *processes, f"--junitxml={junit}"], cwd=dest,
                           capture_output=True, text=True, env=env)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "passed" in tests.stdout.splitlines()[-1]
    assert (f"branch coverage of chapter {number}" in tests.stdout) == (number == 2)
    if number in OWN_TESTS:  # the quick run keeps the chapter's own tests whole
        ran_its_own_tests(junit, every.stdout)

    run_readme_commands(dest, venv, env)
    says_how_to_start_faster(dest, number)

    if number != 2:
        return
    # A stale stored output makes the notebook suite fail, naming the cell.
    notebook = dest / chapter.notebook.name
    document = json.loads(notebook.read_text())
    code_cells = [c for c in document["cells"] if c["cell_type"] == "code"]
    cell = next(c for c in code_cells if any(o.get("name") == "stdout" for o in c["outputs"]))
    stream = next(o for o in cell["outputs"] if o.get("name") == "stdout")
    stream["text"] = ["an output the code does not print\n"]
    notebook.write_text(json.dumps(document))
    stale = subprocess.run([python, "-m", "pytest", "-q", "--no-coverage", notebook.name], cwd=dest,
                           capture_output=True, text=True, env=env)
    assert stale.returncode == 1
    assert f"::Cell {code_cells.index(cell)} - " in stale.stdout, stale.stdout[-2000:]


def ran_its_own_tests(junit: Path, collected: str):
    """The chapter's own tests (tests/, the book's), every one of them, passed in the checkout's run
    beside the workbook's suites: none skipped (in CI the browser test may not skip)."""
    import xml.etree.ElementTree as ElementTree

    own = {line for line in collected.splitlines() if line.startswith("tests/")}
    outcomes = [[child.tag for child in case] for case in ElementTree.parse(junit).iter("testcase")
                if case.get("classname", "").startswith("tests.")]
    assert own and len(outcomes) == len(own), (sorted(own), len(outcomes))
    assert all(outcome == [] for outcome in outcomes), outcomes  # no <skipped/>, <failure/>, <error/>


def run_it_commands(readme: str) -> list[str]:
    """The commands of a README's "Run it" block and of its checkout section, comments left out."""
    commands = []
    for heading in ("## Run it", "## This folder"):
        block = readme[readme.index("```sh", readme.index(heading)) + 5:]
        block = block[:block.index("```")]
        commands += [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    return commands
