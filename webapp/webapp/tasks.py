"""The book's Celery tasks: `log`, `multiply`, `remind` and the weekly `digest`.

A worker runs them (`celery -A celery_runner worker`), each inside the Flask app's context (the task
class of `celery_init_app`, webapp/extensions.py). They take ids, never model objects: a worker reads
the row as it is when the task runs, not as it was when the task was sent.
"""
import datetime
import smtplib

from celery import shared_task
from celery.utils.log import get_task_logger
from flask import current_app, render_template
from flask_mail import Message
from sqlalchemy import select

from webapp.extensions import mail
from webapp.models import Post, Reminder, db

logger = get_task_logger(__name__)


@shared_task()
def log(msg):
    return msg


@shared_task()
def multiply(x, y):
    return x * y


def schedule_remind(pk, date):
    """Queue `remind` for reminder `pk`, due at `date` (naive UTC; a past date: at once)."""
    return remind.apply_async((pk,), eta=date.replace(tzinfo=datetime.timezone.utc))


def stale(eta, date):
    """Whether a task queued to run at `eta` (ISO 8601, or None for "at once") was queued for
    another date than the reminder's `date` (naive UTC) now is."""
    if eta is None or date is None:
        return False
    queued_for = datetime.datetime.fromisoformat(eta).astimezone(datetime.timezone.utc)
    return abs(queued_for - date.replace(tzinfo=datetime.timezone.utc)) > datetime.timedelta(seconds=1)


# Bound (`self` is the task) so that it can retry itself: the book's five times, 300 s apart.
@shared_task(bind=True, max_retries=5, default_retry_delay=300)
def remind(self, pk):
    """Mail reminder `pk` to its address. Returns the address, or None when there is nothing to send."""
    reminder = db.session.get(Reminder, pk)
    if reminder is None:
        # Deleted after it was scheduled: nothing to send, and nothing to retry.
        logger.info('reminder %s no longer exists: nothing to send', pk)
        return None
    if self.request.retries == 0 and stale(self.request.eta, reminder.date):
        # Queued for a date the reminder no longer has (it was moved): the task queued for the new
        # date sends it, once.
        logger.info('reminder %s was moved to %s: this task is not the one to send it', pk,
                    reminder.date)
        return None
    # Flask-Mail's Message, from MAIL_DEFAULT_SENDER, sent to MAIL_SERVER:MAIL_PORT (chapter 10).
    message = Message('Reminder', recipients=[reminder.email], body=reminder.text)
    try:
        mail.send(message)
    except (smtplib.SMTPException, OSError) as error:
        # The mail server is down or refused: try again later. After the last retry, the task
        # fails with this error as its reason (and the worker carries on with other tasks).
        raise self.retry(exc=error, countdown=current_app.config['REMINDER_RETRY_DELAY'])
    return reminder.email


def this_week(today):
    """Monday 00:00 of `today`'s ISO week, and the Monday after (the book's own arithmetic ended the
    week on Sunday at 00:00, leaving out Sunday's posts)."""
    monday = datetime.datetime.combine(today - datetime.timedelta(days=today.weekday()),
                                       datetime.time())
    return monday, monday + datetime.timedelta(days=7)


@shared_task()
def digest(day=None):
    """Mail the posts of the week (of `day`, an ISO date; default today) to DIGEST_RECIPIENTS.

    Returns how many posts it mailed; with none, it sends nothing.
    """
    today = datetime.date.fromisoformat(day) if day else datetime.date.today()
    start, end = this_week(today)
    posts = db.session.scalars(
        select(Post)
        .filter(Post.publish_date >= start, Post.publish_date < end)
        .order_by(Post.publish_date)
    ).all()
    if not posts:
        return 0
    mail.send(Message(
        'Weekly Digest: {} posts'.format(len(posts)),
        recipients=current_app.config['DIGEST_RECIPIENTS'],
        body='{} posts this week; the digest is an HTML mail.'.format(len(posts)),
        html=render_template('digest.html', posts=posts, start=start),
    ))
    return len(posts)
