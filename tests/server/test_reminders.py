"""Chapter 9 on: reminders and the weekly digest mailed by a real worker on RabbitMQ to a real SMTP
server on 127.0.0.1, and the faults they survive: a mail server down, a worker killed half-way (on
RabbitMQ and on the embedded broker), two workers given the same reminder. (Services cut or hung:
test_reminders_under_faults.py, test_reminders_when_services_fail.py.)"""
import datetime
import time

import pytest

from workbook.testing.celery_worker import TIMEOUT, states_until, utc_in

pytestmark = pytest.mark.chapters(since=9)


def remind(on, sent, date, email="ada@example.com", text="Water the plants"):
    """Save a reminder (its commit queues `remind`); the reminder and the queued task's result."""
    reminder = on.add(on.models.Reminder(email=email, text=text, date=date))
    queued = [task for task in sent if task.name == "webapp.tasks.remind"]
    assert [task.args for task in queued][-1:] == [(reminder.id,)]
    return reminder, on.tasks.remind.AsyncResult(queued[-1].id)


def test_a_saved_reminder_is_mailed(rabbitmq, mailbox, sent):
    """A reminder saved for now arrives at the mail server: to its address, subject "Reminder", its text as
    the body."""
    reminder, result = remind(rabbitmq, sent, utc_in(0), text="Water the plants\nand the tree")
    assert result.get(timeout=TIMEOUT) == "ada@example.com"
    [mail] = mailbox.wait_for(1)
    assert (mail["To"], mail["From"], mail["Subject"]) == ("ada@example.com", "blog@localhost", "Reminder")
    assert mail.get_content().splitlines() == ["Water the plants", "and the tree"]


def test_a_reminder_dated_in_the_past_is_sent_at_once(rabbitmq, mailbox, sent):
    """A reminder dated a month ago is mailed at once, not skipped."""
    _, result = remind(rabbitmq, sent, utc_in(-30 * 24 * 3600), email="bob@example.com")
    assert result.get(timeout=TIMEOUT) == "bob@example.com"
    assert [mail["To"] for mail in mailbox.wait_for(1)] == ["bob@example.com"]


def test_a_deleted_reminder_ends_cleanly(rabbitmq, mailbox, sent):
    """A reminder deleted before it is due: its task succeeds with nothing to send, logs why, and does not
    retry."""
    reminder, result = remind(rabbitmq, sent, utc_in(1.5))
    rabbitmq.db.session.delete(reminder)
    rabbitmq.db.session.commit()
    assert result.get(timeout=TIMEOUT) is None
    assert result.state == "SUCCESS" and mailbox.messages == []
    log = rabbitmq.worker.output()
    assert f"reminder {reminder.id} no longer exists: nothing to send" in log
    assert f"{result.id}] retry" not in log.lower()


def test_a_moved_reminder_is_mailed_once(rabbitmq, mailbox, sent):
    """A reminder moved to a later time is mailed once, at the new time: the task queued for the old time
    sends nothing."""
    reminder, first = remind(rabbitmq, sent, utc_in(1))
    reminder.date = utc_in(2)
    rabbitmq.db.session.commit()
    second = rabbitmq.tasks.remind.AsyncResult(sent[-1].id)
    assert second.id != first.id
    assert first.get(timeout=TIMEOUT) is None
    assert second.get(timeout=TIMEOUT) == "ada@example.com"
    assert len(mailbox.messages) == 1
    assert f"reminder {reminder.id} is due at" in rabbitmq.worker.output()


def test_digest_mails_the_weeks_posts_as_html(rabbitmq, mailbox):
    """The digest due on Saturday at 10:00 UTC mails the posts of the seven days before, from the Saturday
    before at 10:00, as HTML to DIGEST_RECIPIENTS."""
    Post = rabbitmq.models.Post
    dated = {"Before the week": datetime.datetime(2015, 6, 6, 9, 59),
             "Monday at midnight": datetime.datetime(2015, 6, 6, 10, 0),
             "Sunday night": datetime.datetime(2015, 6, 13, 9, 59),
             "The next week": datetime.datetime(2015, 6, 13, 10, 0)}
    posts = []
    for title, date in dated.items():
        posts.append(Post(title))
        posts[-1].publish_date, posts[-1].text = date, "Text of " + title
    rabbitmq.add(*posts)
    assert rabbitmq.tasks.digest.delay("2015-06-13T10:00:00+00:00").get(timeout=TIMEOUT) == 2
    [mail] = mailbox.wait_for(1)
    assert (mail["To"], mail["Subject"]) == ("readers@localhost", "Weekly Digest: 2 posts")
    html = mail.get_body(("html",)).get_content()
    assert "Monday at midnight" in html and "Sunday night" in html
    assert "Before the week" not in html and "The next week" not in html


def test_digest_of_a_week_without_posts_sends_nothing(rabbitmq, mailbox):
    """A week without posts: the digest returns 0 and mails nothing."""
    assert rabbitmq.tasks.digest.delay("1999-01-09T10:00").get(timeout=TIMEOUT) == 0
    assert mailbox.messages == []


def test_beat_sends_the_weekly_digest_when_it_is_due(rabbitmq, mailbox, celery_workers, tmp_path):
    """`celery -A celery_runner beat`, whose schedule file says the digest last went out eight days ago, sends
    it at once, and it is mailed: the week to the Saturday 10:00 it was due."""
    from celery.beat import PersistentScheduler

    post = rabbitmq.models.Post("Posted that week")
    now = datetime.datetime.now(datetime.timezone.utc)
    with rabbitmq.app.app_context():
        due = rabbitmq.tasks.last_digest_time(now).replace(tzinfo=None)
    post.publish_date, post.text = due - datetime.timedelta(hours=1), "Fresh"
    rabbitmq.add(post)
    schedule = tmp_path / "celerybeat-schedule"
    state = PersistentScheduler(app=rabbitmq.app.extensions["celery"], schedule_filename=str(schedule))
    state.schedule["weekly-digest"].last_run_at = state.app.now() - datetime.timedelta(days=8)
    state.sync()
    state.close()
    beat = celery_workers.beat(rabbitmq.env, schedule)
    [mail] = mailbox.wait_for(1, timeout=TIMEOUT)
    assert mail["Subject"] == "Weekly Digest: 1 posts"
    assert "Sending due task weekly-digest (webapp.tasks.digest)" in beat.output()
    beat.stop()


def test_mail_server_not_ready_at_first_retries_then_delivers_once(rabbitmq, mailbox, sent):
    """The mail server refuses the first two tries: `remind` goes to RETRY, then the mail is delivered,
    once."""
    mailbox.refuse(2)
    _, result = remind(rabbitmq, sent, utc_in(0))
    assert "RETRY" in states_until(result, "SUCCESS")
    assert mailbox.refused == 2
    assert len(mailbox.wait_for(1)) == 1
    time.sleep(0.5)  # nothing else on its way
    assert len(mailbox.messages) == 1


def test_mail_server_down_for_good_fails_with_the_reason(rabbitmq, mailbox, sent):
    """No mail server through every retry: `remind` ends in FAILURE, the refused connection as its reason, and
    the worker carries on."""
    mailbox.down()
    _, result = remind(rabbitmq, sent, utc_in(0))
    with pytest.raises(ConnectionRefusedError):
        result.get(timeout=TIMEOUT)
    assert result.state == "FAILURE"
    assert rabbitmq.worker.output().count(f"{result.id}] retry") == 5
    assert rabbitmq.tasks.multiply.delay(6, 7).get(timeout=TIMEOUT) == 42


def test_a_worker_killed_while_mailing_leaves_the_reminder_to_the_next(
        connect, rabbitmq_env, start_worker, mailbox, sent):
    """A worker killed (SIGKILL) while mailing a reminder: once a new worker starts, the reminder arrives,
    exactly once."""
    # The prefork pool, Celery's default: its main process would acknowledge the message while the
    # child runs the task, unless acks_late. (The solo pool runs the task in the main process, whose
    # event loop cannot send an early acknowledgement before the task ends: it passes either way.)
    # The new worker finds the reminder claimed by the dead one: it tries again once that claim
    # expires (REMINDER_CLAIM_SECONDS, shrunk).
    rabbitmq_env = {**rabbitmq_env, "REMINDER_CLAIM_SECONDS": "0.5"}
    first = start_worker(rabbitmq_env, pool="prefork")
    on = connect(rabbitmq_env, first)
    mailbox.hold()  # the mail server keeps the worker waiting before it accepts the mail
    _, result = remind(on, sent, utc_in(0))
    mailbox.wait_held()
    first.kill()
    mailbox.release()
    assert mailbox.messages == []
    start_worker(rabbitmq_env)
    assert result.get(timeout=TIMEOUT) == "ada@example.com"
    time.sleep(0.5)  # nothing else on its way
    assert len(mailbox.messages) == 1




def test_a_worker_killed_while_mailing_on_the_embedded_broker_loses_nothing(
        connect, celery_workers, tmp_path, start_worker, mailbox, sent):
    """The embedded broker's worker killed (SIGKILL) while mailing a reminder, its message never given back
    (kombu's SQLAlchemy transport): once the claim expires the sweeper queues it again, and a new worker mails
    it, once."""
    from workbook import workers

    env = {**celery_workers.environment(workers.embedded_broker(tmp_path)),
           "REMINDER_CLAIM_SECONDS": "0.5", "REMINDER_REQUEUE_SECONDS": "0.5"}
    first = start_worker(env)
    on = connect(env, first)
    on.app.config.update(REMINDER_CLAIM_SECONDS=0.5, REMINDER_REQUEUE_SECONDS=0.5)
    mailbox.hold()  # the mail server keeps the worker waiting before it accepts the mail
    reminder, _ = remind(on, sent, utc_in(0))
    mailbox.wait_held()
    first.kill()
    mailbox.release()
    assert mailbox.messages == []
    start_worker(env)
    [mail] = on.sweep_until_mailed(mailbox)
    on.db.session.refresh(reminder)
    assert mail["To"] == "ada@example.com" and reminder.sent_at is not None


def test_two_workers_given_one_reminder_mail_it_once(rabbitmq, start_worker, mailbox, sent):
    """Two workers each given a task for the same reminder at the same moment: one claims it and mails it, the
    other leaves it; one mail."""
    second = start_worker(rabbitmq.env)  # a second worker on the session worker's queue
    mailbox.hold()
    reminder, _ = remind(rabbitmq, sent, utc_in(0))
    rabbitmq.tasks.remind.delay(reminder.id)  # a second task for it, as a sweep would queue
    mailbox.wait_held()
    time.sleep(1)  # the other task has run meanwhile, and found it claimed
    assert mailbox.held == 1
    mailbox.release()
    [mail] = mailbox.wait_for(1)
    time.sleep(0.5)
    assert len(mailbox.messages) == 1
    assert any(f"reminder {reminder.id} is being mailed by another worker" in worker.output()
               for worker in (rabbitmq.worker, second))
