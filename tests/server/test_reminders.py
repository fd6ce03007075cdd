"""Chapter 9 on: reminders and the weekly digest mailed by a real worker on RabbitMQ to a real SMTP
server on 127.0.0.1, and the faults they survive: a mail server down, a worker killed half-way."""
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
    """A reminder saved for now arrives at the mail server: to its address, subject "Reminder", its text as the body."""
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
    """A reminder deleted before it is due: its task succeeds with nothing to send, logs why, and does not retry."""
    reminder, result = remind(rabbitmq, sent, utc_in(1.5))
    rabbitmq.db.session.delete(reminder)
    rabbitmq.db.session.commit()
    assert result.get(timeout=TIMEOUT) is None
    assert result.state == "SUCCESS" and mailbox.messages == []
    log = rabbitmq.worker.output()
    assert f"reminder {reminder.id} no longer exists: nothing to send" in log
    assert f"{result.id}] retry" not in log.lower()


def test_a_moved_reminder_is_mailed_once(rabbitmq, mailbox, sent):
    """A reminder moved to a later time is mailed once, at the new time: the task queued for the old time sends nothing."""
    reminder, first = remind(rabbitmq, sent, utc_in(1))
    reminder.date = utc_in(2)
    rabbitmq.db.session.commit()
    second = rabbitmq.tasks.remind.AsyncResult(sent[-1].id)
    assert second.id != first.id
    assert first.get(timeout=TIMEOUT) is None
    assert second.get(timeout=TIMEOUT) == "ada@example.com"
    assert len(mailbox.messages) == 1
    assert f"reminder {reminder.id} was moved" in rabbitmq.worker.output()


def test_digest_mails_the_weeks_posts_as_html(rabbitmq, mailbox):
    """The digest mails the week's posts, Monday 00:00 to the next Monday 00:00, as HTML to DIGEST_RECIPIENTS."""
    Post = rabbitmq.models.Post
    dated = {"Before the week": datetime.datetime(2015, 6, 7, 23, 59),
             "Monday at midnight": datetime.datetime(2015, 6, 8, 0, 0),
             "Sunday night": datetime.datetime(2015, 6, 14, 23, 59),
             "The next week": datetime.datetime(2015, 6, 15, 0, 0)}
    posts = []
    for title, date in dated.items():
        posts.append(Post(title))
        posts[-1].publish_date, posts[-1].text = date, "Text of " + title
    rabbitmq.add(*posts)
    assert rabbitmq.tasks.digest.delay("2015-06-10").get(timeout=TIMEOUT) == 2
    [mail] = mailbox.wait_for(1)
    assert (mail["To"], mail["Subject"]) == ("readers@localhost", "Weekly Digest: 2 posts")
    html = mail.get_body(("html",)).get_content()
    assert "Monday at midnight" in html and "Sunday night" in html
    assert "Before the week" not in html and "The next week" not in html


def test_digest_of_a_week_without_posts_sends_nothing(rabbitmq, mailbox):
    """A week without posts: the digest returns 0 and mails nothing."""
    assert rabbitmq.tasks.digest.delay("1999-01-06").get(timeout=TIMEOUT) == 0
    assert mailbox.messages == []


def test_beat_sends_the_weekly_digest_when_it_is_due(rabbitmq, mailbox, celery_workers, tmp_path):
    """`celery -A celery_runner beat`, whose schedule file says the digest last went out eight days ago, sends it at once, and it is mailed."""
    from celery.beat import PersistentScheduler

    post = rabbitmq.models.Post("Posted this week")
    post.publish_date, post.text = utc_in(0), "Fresh"
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
    """The mail server refuses the first two tries: `remind` goes to RETRY, then the mail is delivered, once."""
    mailbox.refuse(2)
    _, result = remind(rabbitmq, sent, utc_in(0))
    assert "RETRY" in states_until(result, "SUCCESS")
    assert mailbox.refused == 2
    assert len(mailbox.wait_for(1)) == 1
    time.sleep(0.5)  # nothing else on its way
    assert len(mailbox.messages) == 1


def test_mail_server_down_for_good_fails_with_the_reason(rabbitmq, mailbox, sent):
    """No mail server through every retry: `remind` ends in FAILURE, the refused connection as its reason, and the worker carries on."""
    mailbox.down()
    _, result = remind(rabbitmq, sent, utc_in(0))
    with pytest.raises(ConnectionRefusedError):
        result.get(timeout=TIMEOUT)
    assert result.state == "FAILURE"
    assert rabbitmq.worker.output().count(f"{result.id}] retry") == 5
    assert rabbitmq.tasks.multiply.delay(6, 7).get(timeout=TIMEOUT) == 42


def test_a_worker_killed_while_mailing_leaves_the_reminder_to_the_next(
        connect, rabbitmq_env, start_worker, mailbox, sent):
    """A worker killed (SIGKILL) while mailing a reminder: once a new worker starts, the reminder arrives, exactly once."""
    # The prefork pool, Celery's default: its main process would acknowledge the message while the
    # child runs the task, unless acks_late. (The solo pool runs the task in the main process, whose
    # event loop cannot send an early acknowledgement before the task ends: it passes either way.)
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
