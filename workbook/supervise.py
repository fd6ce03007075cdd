"""Several processes started and stopped as one: `workbook run` of a chapter with Celery (the web app,
a worker, beat).

Each process is the leader of a process group of its own, so a Ctrl-C typed in the terminal reaches
this process only; it then stops every one (and whatever each started) in its own time:

    with Group() as group:                # Ctrl-C and SIGTERM now ask the group to stop
        group.add("the web app", subprocess.Popen([...], start_new_session=True))
        status = group.wait()             # until a signal, or until one of them exits
    # leaving the block stopped them all: Ctrl-C, then SIGKILL for any still there after a while

Standard library only.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Child:
    name: str  # "the worker": what a message calls it
    process: subprocess.Popen
    log: Path | None = None  # where its output goes, when not to the terminal



def last_line(log: Path | None) -> str:
    """The last line a log holds that is not blank ("" without one)."""
    if log is None or not log.exists():
        return ""
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines()]
    return next((line for line in reversed(lines) if line), "")


def exit_status(returncode: int) -> int:
    """A process's status as a shell gives it: 128 + N when signal N ended it."""
    return 128 - returncode if returncode < 0 else returncode


class Group:
    """Processes that live and stop together. Inside `with`, SIGINT and SIGTERM are noted (`wait`
    returns) instead of ending this process half-way; leaving the block stops every child."""

    def __init__(self, grace: float = 20, say=print):
        self.children: list[Child] = []
        self.grace = grace  # seconds a child has to stop after Ctrl-C, before SIGKILL
        self.say = say
        self.signal: int | None = None  # the signal that asked us to stop, once one did
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Group:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._note)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stop()
        finally:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)

    def _note(self, signum, frame) -> None:
        self.signal = signum

    def add(self, name: str, process: subprocess.Popen, log: Path | None = None) -> Child:
        """Take care of `process` (started with start_new_session=True: it leads its own group)."""
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def wait(self, poll: float = 0.2) -> int:
        """Until a signal asks us to stop (128 + its number) or a child exits (its status, with a
        one-line reason said)."""
        while self.signal is None:
            for child in self.children:
                if child.process.poll() is not None:
                    status = exit_status(child.process.returncode)
                    why = last_line(child.log)
                    self.say(f"workbook: {child.name} stopped (exit status {status})"
                             + (f": {why}" if why else "") + "; stopping the others", flush=True)
                    return status
            time.sleep(poll)
        return 128 + self.signal

    def stop(self) -> None:
        """Ctrl-C to every child's process group, then SIGKILL to any group still there after
        `grace` seconds; returns once every child has ended."""
        running = [c for c in self.children if c.process.poll() is None]
        if running:
            self.say(f"stopping {', '.join(c.name for c in running)}…", flush=True)
        for child in running:
            _signal_group(child.process.pid, signal.SIGINT)
        deadline = time.monotonic() + self.grace
        for child in self.children:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{child.name} did not stop in {self.grace:.0f} s: killed", flush=True)
            # Whatever it started and left behind (a pool process, a reloader's child) goes too.
            _signal_group(child.process.pid, signal.SIGKILL)
            child.process.wait()


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):  # the group has no process left
        pass
