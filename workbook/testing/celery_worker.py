"""Real Celery workers for the task suites (chapter 9 on), never eager mode: a local SMTP server
(`mailbox`), the brokers (RabbitMQ with Redis, what CI runs the suites on, and the embedded one that
needs no server), and workers that run the chapter's code on a database the test shares with them.

A worker takes seconds to start: `rabbitmq` and `embedded` give each test the chapter's app on a worker
shared by the session (a queue and a SQLite database of its own); `start_worker` starts one for a
test alone (one it may kill). The app is built from the environment the worker reads (DATABASE_URL,
CELERY_*, MAIL_PORT, REMINDER_RETRY_DELAY), so `.delay()` from the test reaches that worker. A worker
runs under coverage (coverage_floor.measured_launcher): the tasks' code counts towards the floor.

workbook.workers is imported where used: a standalone checkout of an earlier chapter has no such module.
"""
from __future__ import annotations

import datetime
import importlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from workbook import chapters, live
from workbook.testing.coverage_floor import measured_launcher
from workbook.testing.services import need

if TYPE_CHECKING:  # (imported where used: see above)
    from workbook import workers

def pytest_configure(config):
    # The harness imports the chapter afresh at times (chapters.load_app: the first app, a test that
    # asks for fresh modules), and each import of webapp/tasks.py declares its shared tasks again;
    # the next Celery app to be finalized finds two callables under one name. A worker imports the
    # module once: the warning is about the harness, not the chapter (the test process only sends
    # tasks by name; the worker runs them).
    config.addinivalue_line(
        "filterwarnings", r"ignore:Task name 'webapp\.tasks\.\w+' is already registered")
    # kombu's SQLAlchemy transport (the embedded broker, kombu 5.7) maps its tables with the `noload`
    # strategy, which SQLAlchemy 2.1 deprecates: kombu's to change, not the chapter's.
    config.addinivalue_line(
        "filterwarnings", r"ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning")


# How long `remind` first waits before trying again, doubled at each retry, in the tests (the
# chapter's default: 300 s): five retries take 3 s at most.
RETRY_DELAY = "0.1"


@pytest.fixture(scope="session")
def smtp():
    """The session's SMTP server on 127.0.0.1 (one per test process); a test takes it as `mailbox`."""
    from workbook import workers

    with workers.smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def mailbox(smtp) -> workers.Mailbox:
    """The local SMTP server the workers mail to, empty, up and accepting; left so after the test."""
    smtp.reset()
    yield smtp
    smtp.reset()


def rabbitmq_broker() -> dict[str, str]:
    """RabbitMQ for the tasks and Redis for the results, or `need` them."""
    from workbook import workers

    try:
        return workers.rabbitmq_broker()
    except live.Unavailable as missing:
        need(f"{missing} (WORKBOOK_RABBITMQ_URL, WORKBOOK_REDIS_URL name others)")


@dataclass
class Workers:
    """Starts workers for the chapter in this test process, each on the environment it is given."""
    config: pytest.Config
    code: Path
    folder: Path
    smtp: workers.Mailbox
    started: list = field(default_factory=list)
    queues: list = field(default_factory=list)

    def environment(self, broker: dict[str, str]) -> dict[str, str]:
        """What a worker and the test's app read: the broker, a queue and a SQLite database of their
        own, the test configuration, the local mail server, a short retry delay."""
        from workbook import workers

        queue = workers.own_queue()
        self.queues.append({**broker, **queue})
        return {**os.environ, **broker, **queue, "WEBAPP_ENV": "test",
                "DATABASE_URL": f"sqlite:///{self.folder / (queue['CELERY_TASK_DEFAULT_QUEUE'] + '.db')}",
                "MAIL_SERVER": self.smtp.host, "MAIL_PORT": str(self.smtp.port),
                "REMINDER_RETRY_DELAY": RETRY_DELAY}

    def start(self, env: dict[str, str], pool: str = "solo") -> workers.Worker:
        from workbook import workers

        log = self.folder / f"worker-{len(self.started) + 1:02d}.log"
        worker = workers.start_worker(self.code, env, log, pool=pool, timeout=60,
                                      launcher=measured_launcher(self.config, "celery"))
        self.started.append(worker)
        return worker

    def beat(self, env: dict[str, str], schedule: Path) -> workers.Worker:
        """`celery -A celery_runner beat` on `env`, its state in `schedule`; stopped with the workers."""
        from workbook import workers

        log = self.folder / f"beat-{len(self.started) + 1:02d}.log"
        beat = workers.start_beat(self.code, env, log, schedule, timeout=60,
                                  launcher=measured_launcher(self.config, "celery"))
        self.started.append(beat)
        return beat

    def stop_all(self) -> None:
        """Stop every worker still running, and remove the RabbitMQ queues (they would outlive the run)."""
        from kombu import Connection

        from workbook import workers

        workers.stop_all(self.started)
        for env in self.queues:
            if env["CELERY_BROKER_URL"].startswith("amqp://"):
                with Connection(env["CELERY_BROKER_URL"]) as connection:
                    connection.default_channel.queue_delete(env["CELERY_TASK_DEFAULT_QUEUE"])


@pytest.fixture(scope="session")
def celery_workers(pytestconfig, chapter_code, tmp_path_factory, smtp):
    """Every worker this test process starts, stopped (warm: coverage is saved) at the end."""
    started = Workers(pytestconfig, chapter_code, tmp_path_factory.mktemp("celery"), smtp)
    yield started
    started.stop_all()


@dataclass
class Running:
    """A worker and the environment it runs on."""
    env: dict[str, str]
    worker: workers.Worker


@pytest.fixture(scope="session")
def rabbitmq_worker(celery_workers):
    """The session's worker on RabbitMQ and Redis."""
    env = celery_workers.environment(rabbitmq_broker())
    return Running(env, celery_workers.start(env))


@pytest.fixture(scope="session")
def embedded_worker(celery_workers, tmp_path_factory):
    """The session's worker on the embedded broker: kombu's SQLAlchemy transport, no server at all."""
    from workbook import workers

    env = celery_workers.environment(workers.embedded_broker(tmp_path_factory.mktemp("embedded")))
    return Running(env, celery_workers.start(env))


@dataclass
class OnWorker:
    """The chapter's app (its context pushed), on the same broker, queue and database as `worker`:
    `tasks` is the chapter's webapp.tasks, `models` its models, `db` its Flask-SQLAlchemy."""
    app: object
    worker: workers.Worker
    env: dict[str, str]

    @property
    def db(self):
        return self.app.extensions["sqlalchemy"]

    @property
    def tasks(self):
        return importlib.import_module("webapp.tasks")

    @property
    def models(self):
        return importlib.import_module("webapp.models")

    def add(self, *rows):
        """Insert and commit rows (a Reminder's commit queues its task)."""
        self.db.session.add_all(rows)
        self.db.session.commit()
        return rows[0] if len(rows) == 1 else rows

    def sweep_until_mailed(self, mailbox, count: int = 1, timeout: float = 30) -> list:
        """Run the reminders' sweeper every 0.2 s, as beat would, until `count` mails arrived; then
        four sweeps more (a duplicate would arrive meanwhile); the mails."""
        sweep = self.app.extensions["celery"].tasks["webapp.tasks.send_due_reminders"]
        deadline = time.monotonic() + timeout
        while len(mailbox.messages) < count:
            assert time.monotonic() < deadline, \
                f"{len(mailbox.messages)} mails after {timeout} s, not {count}"
            sweep.apply()
            time.sleep(0.2)
        for _ in range(4):
            sweep.apply()
            time.sleep(0.2)
        return list(mailbox.messages)

    def sent_at(self, pk):
        """When reminder `pk` was marked sent, as the database says now (None: not yet)."""
        self.db.session.expire_all()
        return self.db.session.get(self.models.Reminder, pk).sent_at


@pytest.fixture
def connect(chapter, monkeypatch, compiled_templates):
    """Build the chapter's app on a worker's environment: `connect(env, worker)` → OnWorker."""
    built = []

    def on(env: dict[str, str], worker=None) -> OnWorker:
        for name, value in env.items():
            if name.startswith(("CELERY_", "MAIL_", "REMINDER_")) or name in ("DATABASE_URL",):
                monkeypatch.setenv(name, value)
        app = chapters.load_app(chapter, "TestConfig")
        app.jinja_env.bytecode_cache = compiled_templates
        context = app.app_context()
        context.push()
        app.extensions["sqlalchemy"].create_all()  # the worker's database: tables made once
        built.append((app, context))
        return OnWorker(app, worker, env)

    yield on
    for app, context in reversed(built):
        app.extensions["sqlalchemy"].session.remove()
        app.extensions["sqlalchemy"].engine.dispose()
        context.pop()
        app.extensions["celery"].close()


@pytest.fixture
def rabbitmq(connect, rabbitmq_worker) -> OnWorker:
    """The chapter's app with its tasks going to the session's worker on RabbitMQ (results in Redis)."""
    return connect(rabbitmq_worker.env, rabbitmq_worker.worker)


@pytest.fixture
def embedded(connect, embedded_worker) -> OnWorker:
    """The chapter's app with its tasks going to the session's worker on the embedded broker."""
    return connect(embedded_worker.env, embedded_worker.worker)


@pytest.fixture
def rabbitmq_env(celery_workers) -> dict[str, str]:
    """An environment on RabbitMQ and Redis with a queue and a database of the test's own, for
    workers the test starts itself (`start_worker`)."""
    return celery_workers.environment(rabbitmq_broker())


@pytest.fixture
def start_worker(celery_workers):
    """Start a worker of the test's own: `start_worker(env, pool="solo")`; stopped after the test if
    still running."""
    mine = []

    def start(env: dict[str, str], pool: str = "solo") -> workers.Worker:
        mine.append(celery_workers.start(env, pool))
        return mine[-1]

    yield start
    from workbook import workers

    workers.stop_all(mine)


@dataclass
class Sent:
    """A task message the app sent: the task's name, its id, its arguments and its eta (or None)."""
    name: str
    id: str
    args: tuple
    eta: str | None


@pytest.fixture
def sent() -> list[Sent]:
    """Every task message this process sends during the test, in order (Celery's after_task_publish
    signal: what went to the broker, whichever broker it is)."""
    from celery.signals import after_task_publish

    published = []

    def record(sender=None, headers=None, body=None, **kwargs):
        published.append(Sent(headers["task"], headers["id"], tuple(body[0]), headers.get("eta")))

    after_task_publish.connect(record, weak=False)
    yield published
    after_task_publish.disconnect(record)


# --------------------------------------------------------------------------- for the tests

TIMEOUT = 30  # seconds a task's result may take on a loaded machine


def states_until(result, final: str, timeout: float = TIMEOUT) -> list[str]:
    """The states a task goes through, as seen by polling its result, until it reaches `final`."""
    seen = [result.state]
    deadline = time.monotonic() + timeout
    while seen[-1] != final:
        assert time.monotonic() < deadline, f"still {seen[-1]} after {timeout} s (seen: {seen})"
        time.sleep(0.02)
        if result.state != seen[-1]:
            seen.append(result.state)
    return seen


def utc_in(seconds: float) -> datetime.datetime:
    """Now plus `seconds`, as a Reminder's date holds it (naive UTC)."""
    return (datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(seconds=seconds)).replace(tzinfo=None)
