"""Chapter 9 on: a reminder due while the worker's database (PostgreSQL) or result backend (Redis) is
cut is mailed once they are back, exactly once. One worker for the module, on RabbitMQ, reaches both
through TCP proxies of its own (workbook/testing/faults.py), which each test cuts and restores; the
test's app, which saves the reminders and sweeps as beat would, reaches them directly."""
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from sqlalchemy import make_url

from workbook.testing.celery_worker import TIMEOUT, utc_in
from workbook.testing.services import fresh_database

pytestmark = pytest.mark.chapters(since=9)

# The outbox's timings, shrunk: a claim or a queued task given up on fast, retries 0.1 s apart at first.
QUICK = {"REMINDER_CLAIM_SECONDS": "0.5", "REMINDER_REQUEUE_SECONDS": "0.5",
         "REMINDER_SWEEP_SECONDS": "0.3", "REMINDER_RETRY_DELAY": "0.1"}


@dataclass
class Faulty:
    env: dict          # what the tests' app uses: the services themselves
    worker: object     # the module's worker: the same, but Redis and PostgreSQL through the proxies
    redis: object      # FaultProxy to Redis
    postgresql: object  # FaultProxy to PostgreSQL


@pytest.fixture(scope="module")
def module_database():
    yield from fresh_database("postgresql")


@pytest.fixture(scope="module")
def faulty(celery_workers, module_database):
    from workbook.testing.celery_worker import rabbitmq_broker
    from workbook.testing.faults import FaultProxy

    env = {**celery_workers.environment(rabbitmq_broker()), **QUICK, "DATABASE_URL": module_database}
    results = urlsplit(env["CELERY_RESULT_BACKEND"])
    database = make_url(module_database)
    redis = FaultProxy(results.hostname, results.port)
    postgresql = FaultProxy(database.host, database.port or 5432)
    worker = celery_workers.start({
        **env, "CELERY_RESULT_BACKEND": results._replace(netloc=f"127.0.0.1:{redis.port}").geturl(),
        "DATABASE_URL": database.set(host="127.0.0.1", port=postgresql.port).render_as_string(
            hide_password=False)})
    yield Faulty(env, worker, redis, postgresql)
    worker.stop()
    redis.close()
    postgresql.close()


@pytest.fixture
def on(faulty, connect):
    """The test's app on the module worker's queue and database, sweeping on the quick timings."""
    app = connect(faulty.env, faulty.worker)
    app.app.config.update({name: float(value) for name, value in QUICK.items()})
    yield app
    faulty.redis.restore()
    faulty.postgresql.restore()


def wait_in_log(worker, since: int, text: str):
    """Wait until the worker's log, after its first `since` characters, says `text`."""
    deadline = time.monotonic() + TIMEOUT
    while text not in worker.output()[since:]:
        assert time.monotonic() < deadline, \
            f"the worker never said {text!r}:\n{worker.output()[since:][-2000:]}"
        time.sleep(0.1)






def test_a_reminder_due_while_redis_is_cut_is_mailed_once(faulty, on, mailbox):
    """Redis (the results) cut when a reminder is due, so that the worker cannot even record that the task
    started: once Redis is back, the reminder is mailed, once."""
    since = len(faulty.worker.output())
    faulty.redis.cut()
    pk = on.add(on.models.Reminder(email="ada@example.com", text="Redis is back", date=utc_in(0))).id
    wait_in_log(faulty.worker, since, "webapp.tasks.remind")
    time.sleep(0.5)
    assert mailbox.messages == []
    faulty.redis.restore()
    [mail] = on.sweep_until_mailed(mailbox)
    assert mail.get_content().strip() == "Redis is back" and on.sent_at(pk) is not None


def test_a_reminder_due_while_postgresql_is_cut_is_mailed_once(faulty, on, mailbox):
    """PostgreSQL cut from the worker when a reminder is due: `remind` fails on the database and retries with
    a backoff; once the database is back the reminder is mailed, once."""
    since = len(faulty.worker.output())
    faulty.postgresql.cut()
    pk = on.add(on.models.Reminder(email="ada@example.com", text="PostgreSQL is back", date=utc_in(0))).id
    wait_in_log(faulty.worker, since, "OperationalError")
    assert mailbox.messages == []
    faulty.postgresql.restore()
    [mail] = on.sweep_until_mailed(mailbox)
    assert mail.get_content().strip() == "PostgreSQL is back" and on.sent_at(pk) is not None
    assert "retry: Retry in" in faulty.worker.output()[since:]
