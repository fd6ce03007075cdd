"""Chapter 9 on: a reminder is never lost, even when the broker is down as it is saved. RabbitMQ cut
or hung through a TCP proxy (workbook/testing/faults.py) between the app and the broker; each test
counts the mails the local SMTP server received: exactly one per due reminder. (The database and the
result backend failing under a worker: test_reminders_when_services_fail.py; workers killed or
racing: test_reminders.py.)

The outbox's intervals are settings, shrunk here to fractions of a second (REMINDER_SWEEP_SECONDS,
REMINDER_CLAIM_SECONDS, REMINDER_REQUEUE_SECONDS, REMINDER_RETRY_DELAY). Most tests run the sweeper
(`send_due_reminders`) from the test process, as beat would; one starts beat itself.
"""
import re
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, select

from workbook.testing.celery_worker import utc_in

pytestmark = pytest.mark.chapters(since=9)

# The outbox's timings for the workers these tests start: a claim or a queued task given up on fast.
QUICK = {"REMINDER_CLAIM_SECONDS": "0.5", "REMINDER_REQUEUE_SECONDS": "0.5",
         "REMINDER_SWEEP_SECONDS": "0.3", "REMINDER_RETRY_DELAY": "0.1"}


def quick(on):
    """The test process's app (which sweeps) on the same quick timings."""
    on.app.config.update({name: float(value) for name, value in QUICK.items()})
    return on


def proxied(fault_proxy, url: str) -> tuple[object, str]:
    """A fault proxy to the service at `url`, and `url` pointing at the proxy instead."""
    parts = urlsplit(url)
    proxy = fault_proxy(parts.hostname, parts.port)
    user, at, _ = parts.netloc.rpartition("@")
    return proxy, parts._replace(netloc=f"{user}{at}127.0.0.1:{proxy.port}").geturl()


def forget_other_reminders(on):
    """Delete the reminders earlier tests left in the session worker's database (one left unsent on
    purpose, a mail server down for good): the sweeper would mail them now."""
    on.db.session.execute(delete(on.models.Reminder))
    on.db.session.commit()


def save(on, date=None, email="ada@example.com", text="Water the plants"):
    """Save a reminder, due now unless `date`; its id."""
    return on.add(on.models.Reminder(email=email, text=text, date=date or utc_in(0))).id






@pytest.mark.parametrize("fault", ["cut", "hang"])
def test_a_reminder_saved_while_the_broker_is_down_is_saved_at_once_and_mailed_once(
        connect, rabbitmq_worker, fault_proxy, mailbox, fault):
    """RabbitMQ cut or hung while a reminder is saved: the save returns within REMINDER_QUEUE_TIMEOUT (and a
    few seconds to spare, not the book's 17), the reminder is kept, and once the broker is back the
    sweeper has it mailed, once."""
    proxy, broker = proxied(fault_proxy, rabbitmq_worker.env["CELERY_BROKER_URL"])
    on = quick(connect({**rabbitmq_worker.env, "CELERY_BROKER_URL": broker}, rabbitmq_worker.worker))
    forget_other_reminders(on)
    getattr(proxy, fault)()
    started = time.monotonic()
    pk = save(on)
    # Seconds to spare for a loaded machine; the book's code took 17 s.
    assert time.monotonic() - started < on.app.config["REMINDER_QUEUE_TIMEOUT"] + 4
    time.sleep(0.5)
    assert mailbox.messages == [] and on.sent_at(pk) is None
    proxy.restore()
    [mail] = on.sweep_until_mailed(mailbox)
    assert mail["To"] == "ada@example.com" and on.sent_at(pk) is not None


def test_beat_sweeps_up_a_reminder_the_broker_never_got(
        connect, rabbitmq_worker, celery_workers, fault_proxy, mailbox, tmp_path):
    """`celery beat` with REMINDER_SWEEP_SECONDS=0.3: a reminder saved while the broker was cut is mailed once
    by the sweep beat runs, with nothing else running it."""
    proxy, broker = proxied(fault_proxy, rabbitmq_worker.env["CELERY_BROKER_URL"])
    on = connect({**rabbitmq_worker.env, "CELERY_BROKER_URL": broker}, rabbitmq_worker.worker)
    forget_other_reminders(on)
    proxy.cut()
    pk = save(on)
    beat = celery_workers.beat({**rabbitmq_worker.env, **QUICK}, tmp_path / "celerybeat-schedule")
    try:
        [mail] = mailbox.wait_for(1)
        time.sleep(1)  # three more sweeps: nothing else on its way
        assert len(mailbox.messages) == 1 and on.sent_at(pk) is not None
        assert "Sending due task send-due-reminders (webapp.tasks.send_due_reminders)" in beat.output()
    finally:
        beat.stop()


@pytest.mark.chapters(since=10)
@pytest.mark.parametrize("fault", ["cut", "hang"])
def test_the_admin_saves_a_reminder_at_once_while_the_broker_is_down(
        app, client, db, models, auth, fault_proxy, sent, fault):
    """RabbitMQ cut or hung while an admin saves a reminder in the admin: the form answers within
    REMINDER_QUEUE_TIMEOUT (and seconds to spare, not 17), without an error, and the reminder is kept,
    unsent, for the sweeper."""
    from workbook import workers

    rabbitmq = urlsplit(workers.rabbitmq_broker()["CELERY_BROKER_URL"])
    proxy = fault_proxy(rabbitmq.hostname, rabbitmq.port)
    app.extensions["celery"].conf.broker_url = f"amqp://guest:guest@127.0.0.1:{proxy.port}//"
    getattr(proxy, fault)()
    auth.user("root", "admin")
    auth.login("root")
    html = client.get("/admin/reminder/new/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    started = time.monotonic()
    response = client.post("/admin/reminder/new/", data={
        "csrf_token": token, "email": "ada@example.com", "text": "Hello", "date": "2020-01-01 00:00:00"})
    assert time.monotonic() - started < app.config["REMINDER_QUEUE_TIMEOUT"] + 4  # the book's: 17 s
    assert response.status_code == 302
    [reminder] = db.session.scalars(select(models.Reminder)).all()
    assert (reminder.text, reminder.sent_at) == ("Hello", None)
    assert [task.name for task in sent] == []
