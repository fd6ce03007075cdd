"""`workbook run` (the README's run command: the newest chapter, 9 on): the web app, a Celery worker,
beat and a mail server started as one, and stopped as one, nothing left running (workbook.supervise)."""
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from workbook import chapters, live
from workbook.cli import RUN_STARTED
from workbook.testing.servers import wait_for

ROOT = chapters.ROOT
NEWEST = chapters.newest()


def process_table() -> dict[int, tuple[int, int]]:
    """{pid: (parent pid, process group)} of every process on this machine (Linux: /proc)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (name) "
            if fields[0] != "Z":  # a zombie has ended: only its parent has not asked yet
                table[int(entry.name)] = (int(fields[1]), int(fields[2]))
    return table


def family(pid: int) -> set[int]:
    """`pid`, its children, their children…"""
    table, found, grew = process_table(), {pid}, True
    while grew:
        more = {p for p, (parent, _) in table.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found


def left_running(pids: set[int]) -> set[int]:
    """Which of `pids`, or of the process groups they lead, still run."""
    return {pid for pid, (_, group) in process_table().items() if pid in pids or group in pids}


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts processes in /proc (Linux)")
def test_run_serves_mails_a_reminder_and_ctrl_c_stops_every_process(tmp_path, workbook):
    """`workbook run` (the newest chapter) serves the site, a reminder added with `workbook flask N
    add-reminder … now` arrives in the mail folder (and is printed), and Ctrl-C stops the web app, the
    worker and beat: no process of theirs is left."""
    number, name = str(NEWEST.number or NEWEST.name), NEWEST.name
    env = {**os.environ, "WORKBOOK_DATA": str(tmp_path / "data")}
    port, output = live.free_port(), tmp_path / "output.txt"
    with open(output, "wb") as out:
        run = subprocess.Popen([sys.executable, "-m", "workbook.cli", "run", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)
    started = {run.pid}
    try:
        # Under load, the first run's migrations and demo data take a while.
        wait_for(lambda: RUN_STARTED in output.read_text(), 240, "workbook run started",
                 run, output)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.status == 200
        started = family(run.pid)
        assert len(started) >= 4, started  # workbook, the web app, the worker, beat
        text = output.read_text()
        mail = tmp_path / "data" / f"{name}-mail"
        assert f"kept in {mail}" in text
        assert f'workbook flask {number} add-reminder you@example.com now "hello"' in text
        # The broker's files are beside the database, not in the chapter's folder.
        assert (tmp_path / "data" / f"{name}-celery" / "celery-broker.sqlite").exists()

        added = workbook("flask", number, "add-reminder", "you@example.com", "now", "hello", env=env)
        assert added.returncode == 0, added.stderr
        mails = wait_for(lambda: list(mail.glob("*.eml")), 60, "the reminder's mail", run, output)
        assert len(mails) == 1 and "hello" in mails[0].read_text()
        wait_for(lambda: "mail to you@example.com: Reminder" in output.read_text(), 10,
                 "the mail printed", run, output)

        run.send_signal(signal.SIGINT)
        assert run.wait(60) == 128 + signal.SIGINT
        assert left_running(started) == set()
    finally:
        for pid in left_running(started):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        run.wait()


# A group of two children, each of which starts a grandchild of its own; it reports the status
# `Group.wait` returned. `first` exits with FIRST_STATUS after FIRST_SECONDS.
GROUP = textwrap.dedent("""
    import subprocess, sys
    from workbook import supervise

    def child(name, seconds, status):
        code = (f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
                f"'import time; time.sleep(60)']); time.sleep({seconds}); sys.exit({status})")
        return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)

    with supervise.Group(grace=5) as group:
        group.add("first", child("first", float(sys.argv[1]), int(sys.argv[2])))
        group.add("second", child("second", 60, 0))
        print("started", flush=True)
        status = group.wait()
    sys.exit(status)
""")


def start_group(tmp_path, first_seconds, first_status):
    process = subprocess.Popen([sys.executable, "-c", GROUP, str(first_seconds), str(first_status)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    assert process.stdout.readline() == "started\n"
    return process


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts processes in /proc (Linux)")
def test_sigterm_stops_every_process_of_the_group(tmp_path):
    """SIGTERM to the supervisor stops each child and what each child started: nothing is left."""
    group = start_group(tmp_path, 60, 0)
    deadline = time.monotonic() + 30
    while len(started := family(group.pid)) < 5:  # the supervisor, 2 children, 2 grandchildren
        assert time.monotonic() < deadline, started
        time.sleep(0.1)
    group.send_signal(signal.SIGTERM)
    output = group.communicate(timeout=30)[0]
    assert group.returncode == 128 + signal.SIGTERM, output
    assert "stopping first, second…" in output
    assert left_running(started) == set()


def test_a_child_that_ends_stops_the_others_with_its_status():
    """A child that exits early stops the rest; the supervisor exits with its status, saying so in
    one line."""
    group = start_group(None, 0.5, 3)
    output = group.communicate(timeout=30)[0]
    assert group.returncode == 3
    assert "workbook: first stopped (exit status 3); stopping the others\n" in output
