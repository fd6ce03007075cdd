"""A real Celery worker (and beat) for a chapter's code, and a real SMTP server on 127.0.0.1 that keeps
what it receives: shared by the task suites, the notebooks, `workbook run` and the benchmark.

Standard library at import time; aiosmtpd is imported when a mail server starts.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

from workbook import live

RABBITMQ_URL = os.environ.get("WORKBOOK_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS_RESULTS_URL = os.environ.get("WORKBOOK_REDIS_URL", "redis://127.0.0.1:6379") + "/0"


def embedded_broker(folder: Path) -> dict[str, str]:
    """The environment that puts a chapter's Celery on the embedded broker, in `folder`: kombu's
    SQLAlchemy transport and the database result backend, one SQLite file each."""
    return {"CELERY_BROKER_URL": f"sqla+sqlite:///{folder / 'celery-broker.sqlite'}",
            "CELERY_RESULT_BACKEND": f"db+sqlite:///{folder / 'celery-results.sqlite'}"}


def rabbitmq_broker() -> dict[str, str]:
    """RabbitMQ for the tasks, Redis for the results (what the chapter's production config uses).

    Unavailable, in one line, when either does not answer."""
    import socket
    from urllib.parse import urlsplit

    for name, url in (("RabbitMQ", RABBITMQ_URL), ("Redis", REDIS_RESULTS_URL)):
        parts = urlsplit(url)
        try:
            socket.create_connection((parts.hostname, parts.port), timeout=2).close()
        except OSError as error:
            raise live.Unavailable(f"no {name} at {parts.hostname}:{parts.port}: {error}") from None
    return {"CELERY_BROKER_URL": RABBITMQ_URL, "CELERY_RESULT_BACKEND": REDIS_RESULTS_URL}


def own_queue() -> dict[str, str]:
    """The environment that gives one test (or one notebook) a queue of its own: workers of parallel
    runs on one RabbitMQ never take each other's tasks."""
    return {"CELERY_TASK_DEFAULT_QUEUE": f"workbook-{uuid.uuid4().hex[:12]}"}


@dataclass
class Worker:
    """A `celery -A celery_runner worker` process; its output is in `log`."""
    process: subprocess.Popen
    log: Path
    argv: list[str] = field(default_factory=list)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the worker (and its pool) die at once, as in a power cut."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 20) -> None:
        """Ctrl-C: a warm shutdown, then SIGKILL if it is still there after `timeout` seconds."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()


def celery_command(*args: str) -> list[str]:
    """`celery ARGS`, with the Python that runs the workbook (its venv's Celery)."""
    return [sys.executable, "-m", "celery", *args]


def start_celery(argv: list[str], code: Path, env: dict[str, str], log: Path, ready: str,
                 timeout: float) -> Worker:
    """Start a Celery command in `code` with `env`, its output in `log`; return once the output
    shows `ready` (RuntimeError, with the output, if it ends or takes more than `timeout` s)."""
    with open(log, "ab") as out:
        process = subprocess.Popen(argv, cwd=code, env={**env, "C_FORCE_ROOT": "1"}, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    started = Worker(process, log, argv)
    deadline = time.monotonic() + timeout
    while ready not in started.output():
        if process.poll() is not None or time.monotonic() > deadline:
            started.kill()
            raise RuntimeError(f"{' '.join(argv)} did not start:\n{started.output()[-3000:]}")
        time.sleep(0.1)
    return started


def start_worker(code: Path, env: dict[str, str], log: Path, *, pool: str = "solo",
                 concurrency: int = 1, timeout: float = 30,
                 launcher: list[str] | None = None) -> Worker:
    """Start a worker for the chapter in `code` with `env` (broker, queue, database, mail server…),
    and return once it is ready to take tasks. `launcher`: what runs `-m celery` (default: this
    Python; the suites put coverage in front of it)."""
    argv = [*(launcher or celery_command()), "-A", "celery_runner", "worker", "--loglevel=INFO",
            f"--pool={pool}", f"--concurrency={concurrency}", "--without-gossip", "--without-mingle",
            f"--hostname=workbook-{uuid.uuid4().hex[:8]}@%h"]
    return start_celery(argv, code, env, log, " ready.", timeout)


def start_beat(code: Path, env: dict[str, str], log: Path, schedule: Path, *, timeout: float = 30,
               launcher: list[str] | None = None) -> Worker:
    """Start `celery -A celery_runner beat` for the chapter in `code`, keeping its state (when each
    entry last ran) in `schedule`; return once it has started."""
    argv = [*(launcher or celery_command()), "-A", "celery_runner", "beat", "--loglevel=INFO",
            f"--schedule={schedule}"]
    return start_celery(argv, code, env, log, "beat: Starting...", timeout)


def stop_all(workers: list[Worker], timeout: float = 20) -> None:
    """Stop several workers warm, side by side (each takes a second or two), SIGKILL what remains."""
    running = [worker for worker in workers if worker.process.poll() is None]
    for worker in running:
        os.killpg(worker.process.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    for worker in running:
        try:
            worker.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()


@contextmanager
def worker_running(code: Path, env: dict[str, str], log: Path, **options):
    """A worker for the duration of a `with` block, stopped (warm) after it."""
    worker = start_worker(code, env, log, **options)
    try:
        yield worker
    finally:
        worker.stop()


# --------------------------------------------------------------------------- mail


@dataclass
class Mailbox:
    """What the local SMTP server received: each message whole, parsed. The server can also be
    taken down and brought back (`down`, `up`), refuse the next mails (`refuse`), or hold each new
    mail before accepting it (`hold`, `release`): the faults a task that mails must survive."""
    host: str
    port: int
    messages: list = field(default_factory=list)
    refused: int = 0  # mails refused so far (see `refuse`)
    held: int = 0  # mails that have reached the hold (see `hold`)
    _refusing: int = 0
    _holding: bool = False
    _controller: object = None
    _start: object = None

    def wait_for(self, count: int, timeout: float = 30) -> list:
        """The messages, once there are at least `count` (AssertionError after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} mails arrived, not {count}")
            time.sleep(0.05)
        return list(self.messages)

    def down(self) -> None:
        """Stop listening: a client's connection is refused, as with no mail server at all."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def up(self) -> None:
        """Listen again, on the same port."""
        if self._controller is None:
            self._controller = self._start()

    def refuse(self, count: int) -> None:
        """Answer the next `count` mails "451 try again later" (a server that is not ready)."""
        self._refusing = count

    def hold(self) -> None:
        """Keep each new mail's connection waiting, before the server accepts the mail, until
        `release`: `held` counts the mails waiting (or that waited). Nothing is lost by holding: a
        client that gives up (or dies) meanwhile has sent nothing that counts."""
        self._holding = True

    def wait_held(self, count: int = 1, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.held < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.held} mails reached the hold, not {count}")
            time.sleep(0.05)

    def release(self) -> None:
        self._holding = False

    def reset(self) -> None:
        """Up, accepting, holding nothing, and empty: as new."""
        self.release()
        self._refusing = 0
        self.up()
        self.messages.clear()
        self.refused = self.held = 0


@contextmanager
def smtp_server(port: int | None = None, folder: Path | None = None, on_mail=None):
    """A real SMTP server on 127.0.0.1 (aiosmtpd): yields its Mailbox. `folder`: also write each
    mail there as an .eml file, for a person to open. `on_mail(message, path)`: called with each
    mail as it arrives, and its .eml file (None without a folder)."""
    import asyncio

    from aiosmtpd.controller import Controller

    mailbox = Mailbox("127.0.0.1", port or live.free_port())

    class Keep:
        async def handle_MAIL(self, server, session, envelope, address, mail_options):
            if mailbox._refusing > 0:
                mailbox._refusing -= 1
                mailbox.refused += 1
                return "451 4.3.0 Not ready: try again later"
            envelope.mail_from = address
            envelope.mail_options.extend(mail_options)
            return "250 OK"

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if mailbox._holding:
                mailbox.held += 1
                while mailbox._holding:
                    await asyncio.sleep(0.05)
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            message = message_from_bytes(envelope.content, policy=policy.default)
            mailbox.messages.append(message)
            path = None
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{len(mailbox.messages):04d}.eml"
                path.write_bytes(envelope.content)
            if on_mail is not None:
                on_mail(message, path)
            return "250 Message accepted for delivery"

    def start():
        controller = Controller(Keep(), hostname=mailbox.host, port=mailbox.port)
        controller.start()
        return controller

    mailbox._start = start
    mailbox.up()
    try:
        yield mailbox
    finally:
        mailbox.release()
        mailbox.down()
