"""A checkout's README, followed to the letter: `workbook checkout N` into a new folder, then each
command of its "Run it" block and of its "This folder" block (after `<!-- checkout-commands -->`), in
that folder, in a shell, as a reader types them: the venv made in the folder (`.venv`), activated for
every later command, the install by `uv pip install` from uv's cache (seconds), the reader's commands as
written. A command that runs until stopped (`flask run`, the mail server, a Celery worker and beat,
JupyterLab) is started, seen to answer (the home page 200, the worker "ready.", beat "Starting..."), and
stopped at the end; the finished app's README (`workbook run`, from the workbook's root) likewise.

Only the workbook's own suites are narrowed, to stay within a tooling run: chapter 2 runs its quick
default run as written (unit and route tests, the notebook, the coverage floor); the rest are collected
(every import resolves in the folder's venv, the default run leaves out the server and UI tests, the
README's `-m` picks exactly those), since each chapter's nox session runs them whole on the same pinned
packages. Chapter 12's own tests (the book's, its browser test among them) run as written, and measured
by `coverage` as its README says.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from workbook import chapters

CHECKED_OUT = [2, 6, 9, 12]
# Where the `uv` (and `python3`) of the workbook's own environment are: the reader's "where uv is
# installed"; the checkout's venv comes first once activated.
TOOLS = Path(sys.executable).parent
# How long a process a command starts may take to answer on a busy 2-core machine.
STARTUP = 120


def readme_commands(readme: str) -> list[str]:
    """The commands of the README's "Run it" block (its first `sh` block) and of the checkout's own
    block, after `<!-- checkout-commands -->`: one a line, as a shell reads them."""
    blocks = []
    for start in (readme.index("```sh", readme.index("## Run it")),
                  readme.index("```sh", readme.index("<!-- checkout-commands -->"))):
        block = readme[start + len("```sh"):]
        blocks.append(block[:block.index("```")])
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def without_comment(command: str) -> str:
    return re.sub(r"\s+#\s.*$", "", command)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Terminal:
    """A reader's terminals in one folder: `. .venv/bin/activate` once typed holds for every later
    command (and in each new terminal the README opens); what runs until stopped runs in the
    background, its output in a log, and is stopped (its whole process group) at the end."""

    def __init__(self, folder: Path, tmp: Path):
        self.folder, self.tmp, self.activated = folder, tmp, False
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("VIRTUAL_ENV", "PYTHONPATH", "DATABASE_URL", "WEBAPP_ENV")}
        self.env.update(PATH=f"{TOOLS}:{self.env['PATH']}", PYTHONUNBUFFERED="1", BROWSER="true")
        self.started: list[tuple[subprocess.Popen, Path]] = []
        self.times: list[tuple[str, float]] = []

    def line(self, command: str) -> str:
        return f". .venv/bin/activate && {command}" if self.activated else command

    def run(self, command: str, input: str = "", env: dict | None = None) -> str:
        began = time.monotonic()
        done = subprocess.run(["bash", "-c", self.line(command)], cwd=self.folder, input=input, text=True,
                              capture_output=True, env={**self.env, **(env or {})}, timeout=600)
        self.times.append((command, time.monotonic() - began))
        assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        if ". .venv/bin/activate" in command:
            self.activated = True
        return done.stdout + done.stderr

    def start(self, command: str, env: dict | None = None) -> tuple[subprocess.Popen, Path]:
        log = self.tmp / f"process-{len(self.started)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(["bash", "-c", self.line(command)],
                                       cwd=self.folder, stdout=out, stderr=subprocess.STDOUT,
                                       env={**self.env, **(env or {})}, start_new_session=True)
        self.started.append((process, log))
        return process, log

    def wait_for(self, command: str, process: subprocess.Popen, log: Path, ready) -> None:
        """Until `ready()` holds; the command failed if its process ends or it takes too long."""
        began = time.monotonic()
        while not ready():
            assert process.poll() is None, f"{command} ended:\n{log.read_text()[-3000:]}"
            assert time.monotonic() - began < STARTUP, f"{command} never answered:\n{log.read_text()[-3000:]}"
            time.sleep(0.3)
        self.times.append((command + "  (until it answered)", time.monotonic() - began))

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self) -> None:
        for process, _ in reversed(self.started):
            self.stop(process)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def says(log: Path, text: str):
    return lambda: text in log.read_text(errors="replace")


@pytest.fixture
def terminal(tmp_path):
    opened = []

    def open_in(folder: Path) -> Terminal:
        opened.append(Terminal(folder, tmp_path))
        return opened[-1]

    yield open_in
    for one in opened:
        one.stop_all()
        print("\n".join(f"{seconds:6.1f} s  {command}" for command, seconds in one.times))


def follow(readme_lines: list[str], term: Terminal, number: int) -> dict[str, str]:
    """Every command of the README, as a reader types it; returns what some of them printed."""
    mail_port, printed = free_port(), {}
    for typed in readme_lines:
        command = without_comment(typed).replace("8025", str(mail_port))
        words = shlex.split(command)
        if re.search(r"\bflask --app \S+ run\b", command):
            url = f"http://127.0.0.1:{free_port()}/"  # `flask run` reads FLASK_RUN_PORT: a free port
            process, log = term.start(command, env={"FLASK_RUN_PORT": url.split(":")[-1].strip("/")})
            term.wait_for(command, process, log, lambda url=url: answers(url))
            term.stop(process)
        elif words == ["python", "run_test_server.py"]:  # the book's, for its browser test: kept running
            url = f"http://localhost:{free_port()}"  # (TEST_SERVER_URL: the book's localhost:5000 elsewhere)
            term.env["TEST_SERVER_URL"] = url
            process, log = term.start(command)
            term.wait_for(command, process, log, lambda url=url: answers(url + "/login"))
        elif words[:3] == ["python", "-m", "aiosmtpd"]:
            process, log = term.start(command)
            term.wait_for(command, process, log, lambda: socket_open(mail_port))
            printed["mail"] = str(log)
        elif " worker" in command and "celery" in words:
            process, log = term.start(command)
            term.wait_for(command, process, log, says(log, " ready."))
        elif " beat" in command and "celery" in words:
            process, log = term.start(command)
            term.wait_for(command, process, log, says(log, "beat: Starting..."))
        elif words[:2] == ["jupyter", "lab"]:
            port = str(free_port())  # JupyterLab reads JUPYTER_PORT; BROWSER=true opens none
            # (As root, as in a container, it wants --allow-root: a reader is not root.)
            process, log = term.start(command + " --allow-root" * (os.geteuid() == 0),
                                      env={"JUPYTER_PORT": port})
            term.wait_for(command, process, log, lambda port=port: answers(f"http://127.0.0.1:{port}/api"))
            term.stop(process)
        elif words[:3] == ["python", "-m", "pytest"] and "tests" not in words:
            printed[command] = the_workbooks_suites(term, command, words, number)
        elif "uv" in words and "install" in words:
            printed["install"] = term.run(command)
            if "uninstall rfc3987-syntax" in (term.folder / "README.md").read_text():  # as it advises
                term.run("uv pip uninstall rfc3987-syntax")
        else:  # a password asked twice (add-user); `flask shell` ends at the end of its input
            printed[command] = term.run(command, input="long enough\nlong enough\n")
    return printed


def socket_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def the_workbooks_suites(term: Terminal, command: str, words: list[str], number: int) -> str:
    """Chapter 2's default run: as written. The rest: collected, and what it selects checked."""
    if number == 2 and "-m" not in words[3:]:
        return term.run(command)
    listed = term.run(command + " --collect-only -q")
    tests = [line for line in listed.splitlines() if "::" in line]
    slow = [test for test in tests if test.startswith(("workbook_tests/server/", "workbook_tests/ui/"))]
    if "-m" in words[3:]:  # the slow proofs, and only those
        assert slow and len(slow) == len(tests), listed[-3000:]
    else:  # the default: the chapter's unit and route tests, its own, its notebook; none of those
        assert tests and not slow, listed[-3000:]
        assert any(test.endswith(".ipynb::Cell 0") for test in tests), listed[-3000:]
    return listed


def checked_out(workbook, number, tmp_path) -> tuple[Path, list[str]]:
    dest = tmp_path / f"ch{number}"
    began = time.monotonic()
    result = workbook("checkout", str(number), str(dest))
    assert result.returncode == 0, result.stderr
    print(f"{time.monotonic() - began:6.1f} s  workbook checkout {number}")
    assert not (dest / "workbook_tests" / "tooling").exists()
    return dest, readme_commands((dest / "README.md").read_text())


@pytest.mark.parametrize("number", CHECKED_OUT)
def test_a_checkouts_readme_works_as_written(number, tmp_path, workbook, terminal):
    """In `workbook checkout N` (chapters 2, 6, 9 and 12), every command of the README's "Run it" and
    "This folder" works as written, in a venv made in the folder: the install, the migrations and demo
    data, the server answering, the worker and beat ready and the mail a reminder sends received, the
    tests the README names."""
    dest, lines = checked_out(workbook, number, tmp_path)
    assert lines[0] == "python3 -m venv .venv && . .venv/bin/activate", lines[0]
    term = terminal(dest)
    printed = follow(lines, term, number)
    assert (dest / ".venv" / "bin" / "python").exists()
    assert "pip install -r requirements.txt" in lines[1]  # the pip way, said beside the uv way

    if "mail" in printed:  # the reminder the README adds reached the mail server it starts
        reminder = next(line for line in lines if "add-reminder" in line)
        text = shlex.split(without_comment(reminder))[-1]
        log = Path(printed["mail"])
        began = time.monotonic()
        while text not in log.read_text():
            assert time.monotonic() - began < STARTUP, f"no mail saying {text!r}:\n{log.read_text()}"
            time.sleep(0.3)

    if number == 2:
        default = next(out for command, out in printed.items() if command.startswith("python -m pytest")
                       and "-m" not in shlex.split(command)[3:])
        assert "branch coverage of chapter 2" in default and "floor" in default, default[-2000:]
        stale_notebook_fails(term, chapters.get(2).notebook.name)
    if number == 12:
        the_books_tests_and_their_coverage(dest, term, printed)


def the_books_tests_and_their_coverage(dest: Path, term: Terminal, printed: dict[str, str]) -> None:
    """`python -m pytest tests` ran the book's tests alone, all passed (the browser test may skip,
    saying why, outside CI), unmeasured by the workbook; `coverage report` says the figure the README's
    Coverage section gives."""
    own = printed["python -m pytest tests"]
    assert "workbook_tests" not in own and ".ipynb" not in own, own[-3000:]
    assert "branch coverage of chapter" not in own, own[-3000:]
    last = own.splitlines()[-1]
    assert re.search(r"\d+ passed", last) and "failed" not in last and "error" not in last, own[-3000:]
    report = printed["coverage report"]
    measured = int(re.search(r"^TOTAL\s.*?(\d+)%$", report, re.MULTILINE).group(1))
    assert "webapp/" in report and "workbook/" not in report, report
    said = re.search(r"\*\*(\d+)%\*\*", (dest / "README.md").read_text().split("## Coverage")[1])
    assert said and abs(int(said.group(1)) - measured) <= 5, (said and said.group(0), measured)
    assert (dest / "htmlcov" / "index.html").exists()


def stale_notebook_fails(term: Terminal, name: str) -> None:
    """A stale stored output makes the notebook suite fail, naming the cell."""
    notebook = term.folder / name
    document = json.loads(notebook.read_text())
    code_cells = [c for c in document["cells"] if c["cell_type"] == "code"]
    cell = next(c for c in code_cells if any(o.get("name") == "stdout" for o in c["outputs"]))
    stream = next(o for o in cell["outputs"] if o.get("name") == "stdout")
    stream["text"] = ["an output the code does not print\n"]
    notebook.write_text(json.dumps(document))
    stale = subprocess.run(["bash", "-c", term.line(f"python -m pytest -q -x --no-coverage {name}")],
                           cwd=term.folder, capture_output=True, text=True, env=term.env)
    assert stale.returncode == 1
    assert f"::Cell {code_cells.index(cell)} - " in stale.stdout, stale.stdout[-2000:]


def test_the_finished_apps_readme_works_as_written(tmp_path, terminal):
    """The finished app's README: `workbook run` from the workbook's root (in the environment the root
    README's run command installs) serves the home page and says its worker, beat and mail server
    are up, and a reminder added from a second terminal is mailed at once; Ctrl-C stops it all."""
    readme = (chapters.get("webapp").path / "README.md").read_text()
    lines = readme_commands_of_run_it(readme)
    assert lines == ["workbook run"], lines
    term = terminal(chapters.ROOT)
    term.env["WORKBOOK_DATA"] = str(tmp_path / "data")  # not the reader's .workbook/
    port = free_port()  # (its --port: 5000 may be taken on a shared machine)
    process, log = term.start(f"{lines[0]} --port {port}")
    from workbook.cli import RUN_STARTED

    term.wait_for(lines[0], process, log, says(log, RUN_STARTED))
    assert answers(f"http://127.0.0.1:{port}/")
    reminder = re.search(r"`(workbook flask webapp add-reminder [^`]*)`", readme).group(1)
    term.run(reminder)
    term.wait_for(reminder, process, log, says(log, "mail to you@example.com"))
    term.stop(process)
    assert process.returncode in (0, 130, -signal.SIGINT), log.read_text()[-3000:]


def readme_commands_of_run_it(readme: str) -> list[str]:
    start = readme.index("```sh", readme.index("## Run it")) + len("```sh")
    block = readme[start:readme.index("```", start)]
    return [without_comment(line.strip()) for line in block.splitlines() if line.strip()]
