"""The book's Celery tasks: `log`, `multiply`, `remind` and the weekly `digest`; and
`send_due_reminders`, which beat runs every REMINDER_SWEEP_SECONDS so that no reminder is lost.

A worker runs them (`celery -A celery_runner worker`), each inside the Flask app's context (the task
class of `celery_init_app`, webapp/extensions.py). They take ids, never model objects: a worker reads
the row as it is when the task runs, not as it was when the task was sent.
"""
import datetime
import smtplib
from email import policy
from email.message import EmailMessage

from celery import shared_task
from celery.utils.log import get_task_logger
from flask import current_app, render_template
from sqlalchemy import or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError

from webapp.models import Post, Reminder, db

logger = get_task_logger(__name__)


@shared_task()
def log(msg):
    return msg


@shared_task()
def multiply(x, y):
    return x * y


def send_mail(message):
    """Send an EmailMessage through the configured SMTP server (MAIL_SERVER, MAIL_PORT…).

    Written out with the standard library's SMTP policy: CRLF line ends, headers folded, and a body
    line longer than the 998 bytes SMTP allows is sent quoted-printable or base64 (set_content
    chooses), never as one line a strict server refuses. (Addresses are ASCII: webapp/models.py.)
    """
    config = current_app.config
    message['From'] = config['MAIL_DEFAULT_SENDER']
    with smtplib.SMTP(config['MAIL_SERVER'], config['MAIL_PORT'],
                      timeout=config['MAIL_TIMEOUT']) as server:
        if config['MAIL_USE_TLS']:
            server.starttls()
        if config['MAIL_USERNAME']:
            server.login(config['MAIL_USERNAME'], config['MAIL_PASSWORD'])
        server.send_message(message)


def new_message(subject, to):
    message = EmailMessage(policy=policy.SMTP)
    message['To'] = to
    message['Subject'] = subject
    return message


# What a later try may cure: the mail server down, refusing for now or not answering (smtplib's
# errors are OSErrors), the database down or locked. A bug (any other exception) fails at once.
TRANSIENT = (OSError, OperationalError, InterfaceError)


def retry_later(task, error, **options):
    """Retry `task` after REMINDER_RETRY_DELAY seconds, doubled at each retry. (Celery's own
    retry_backoff counts in whole seconds; the tests' delays are fractions of one.)"""
    delay = current_app.config['REMINDER_RETRY_DELAY'] * 2 ** task.request.retries
    return task.retry(exc=error, countdown=delay, **options)


def utcnow():
    """Now, as Reminder.date holds a moment (naive UTC)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def schedule_remind(pk, date):
    """Queue `remind` for reminder `pk`, due at `date` (naive UTC; a past date: at once).

    Called by the web app (or `flask add-reminder`) once the reminder is saved: an optimisation, so
    that it goes at its time to the second. It waits at most REMINDER_QUEUE_TIMEOUT seconds for the
    broker, and tries once: a broker down or hung raises here, and `send_due_reminders` queues the
    reminder when it is due (the row, not the broker, is the truth).
    """
    celery = current_app.extensions['celery']  # this app's (a process may hold several: the tests')
    timeout = current_app.config['REMINDER_QUEUE_TIMEOUT']
    # One try at connecting (kombu would try again, two seconds later), for `timeout` seconds.
    once = {**celery.conf.broker_transport_options, 'max_retries': 0}
    with celery.connection_for_write(connect_timeout=timeout, transport_options=once) as connection:
        return celery.tasks[remind.name].apply_async(
            (pk,), eta=date.replace(tzinfo=datetime.timezone.utc), connection=connection, retry=False)


def unsent_due(now):
    """The reminders due at `now`, not sent, and not taken by a worker (or taken longer than
    REMINDER_CLAIM_SECONDS ago: that worker died)."""
    config = current_app.config
    claim_expired = now - datetime.timedelta(seconds=config['REMINDER_CLAIM_SECONDS'])
    return (Reminder.sent_at.is_(None), Reminder.date <= now,
            or_(Reminder.claimed_at.is_(None), Reminder.claimed_at < claim_expired))


# Every REMINDER_SWEEP_SECONDS (beat, webapp/config.py): the outbox's sweeper. No result kept: it
# runs often, and what it did is in the rows and the log.
@shared_task(ignore_result=True)
def send_due_reminders():
    """Queue `remind` for every reminder due and not sent, unless one was queued for it less than
    REMINDER_REQUEUE_SECONDS ago. Returns how many it queued.

    What it catches: a reminder saved while the broker was down, a task lost with a worker killed on
    the embedded broker, a task dropped after its retries (mail server down for hours), a result
    backend that failed under a task. A reminder queued twice is still mailed once (`remind` claims
    it).
    """
    now = utcnow()
    requeue = now - datetime.timedelta(seconds=current_app.config['REMINDER_REQUEUE_SECONDS'])
    pks = db.session.scalars(
        select(Reminder.id)
        .where(*unsent_due(now), or_(Reminder.queued_at.is_(None), Reminder.queued_at < requeue))
        .order_by(Reminder.date)
    ).all()
    if not pks:
        return 0
    # Marked first, committed after the tasks are queued: a broker down leaves them unmarked, for
    # the next sweep; a database down after the queueing queues them again next time (harmless).
    db.session.execute(update(Reminder).where(Reminder.id.in_(pks)).values(queued_at=now))
    try:
        for pk in pks:
            current_app.extensions['celery'].tasks[remind.name].delay(pk)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    logger.info('queued %d due reminders: %s', len(pks), pks)
    return len(pks)


# Bound (`self` is the task) so that it can retry itself: the book's five times, now with a backoff.
@shared_task(bind=True, max_retries=5)
def remind(self, pk, mailed_at=None):
    """Mail reminder `pk` to its address, once. Returns the address, or None when there is nothing
    to send (deleted, already sent, not due yet).

    The row is claimed first (an UPDATE that only one worker can win: two tasks for one reminder
    never both mail it), then mailed, then marked sent. After a failure the claim is let go and the
    task retries; a worker killed meanwhile holds the claim REMINDER_CLAIM_SECONDS at most.
    """
    config = current_app.config
    if mailed_at is not None:  # mailed on an earlier try; only the mark was left to do
        return mark_sent(self, pk, datetime.datetime.fromisoformat(mailed_at))
    now = utcnow()
    try:
        claimed = db.session.execute(
            update(Reminder).where(Reminder.id == pk, *unsent_due(now)).values(claimed_at=now)
        ).rowcount
        db.session.commit()
        reminder = db.session.get(Reminder, pk)
    except TRANSIENT as error:
        db.session.rollback()
        raise retry_later(self, error)
    if reminder is None:
        # Deleted after it was scheduled: nothing to send, and nothing to retry.
        logger.info('reminder %s no longer exists: nothing to send', pk)
        return None
    if not claimed:
        if reminder.sent_at is not None:
            logger.info('reminder %s was sent at %s: nothing to send', pk, reminder.sent_at)
        elif reminder.date is None or reminder.date > now:
            # Moved to a later date (the task queued for that date sends it), or no date at all.
            logger.info('reminder %s is due at %s, not now: nothing to send', pk, reminder.date)
        else:
            # Another worker is mailing it: try again once its claim would have expired (or at
            # once, if it has let go of it meanwhile).
            left = 0.0
            if reminder.claimed_at is not None:
                expires = reminder.claimed_at + datetime.timedelta(seconds=config['REMINDER_CLAIM_SECONDS'])
                left = max(0.0, (expires - now).total_seconds())
            logger.info('reminder %s is being mailed by another worker', pk)
            raise self.retry(countdown=left + 0.1)
        return None
    message = new_message('Reminder', reminder.email)
    message.set_content(reminder.text)
    try:
        send_mail(message)
    except TRANSIENT as error:
        # The mail server is down or refused: let the claim go, try again later. After the last
        # retry the task fails with this error as its reason, and the sweeper queues it again.
        release(pk, now)
        raise retry_later(self, error)
    return mark_sent(self, pk, utcnow(), reminder.email)


def release(pk, claimed_at):
    """Let go of the claim taken at `claimed_at`, if it is still ours (best effort: unreleased, it
    expires after REMINDER_CLAIM_SECONDS)."""
    try:
        db.session.execute(update(Reminder).where(Reminder.id == pk, Reminder.claimed_at == claimed_at)
                           .values(claimed_at=None))
        db.session.commit()
    except TRANSIENT:
        db.session.rollback()


def mark_sent(task, pk, mailed_at, email=None):
    """Mark reminder `pk` sent at `mailed_at`; with the database down, retry only this (the mail
    went: it must not go again)."""
    try:
        db.session.execute(update(Reminder).where(Reminder.id == pk)
                           .values(sent_at=mailed_at, claimed_at=None))
        db.session.commit()
    except TRANSIENT as error:
        db.session.rollback()
        raise retry_later(task, error, kwargs={'mailed_at': mailed_at.isoformat()})
    if email is None:
        email = db.session.scalar(select(Reminder.email).where(Reminder.id == pk))
    return email


def last_digest_time(now):
    """When beat's `weekly-digest` entry was last due at or before `now` (aware, UTC)."""
    schedule = current_app.config['CELERY']['beat_schedule']['weekly-digest']['schedule']
    due = now - datetime.timedelta(days=8)
    while True:
        last, delta, _ = schedule.remaining_delta(due, tz=datetime.timezone.utc)
        following = last + delta
        if following > now:
            return due
        due = following


@shared_task(bind=True, max_retries=5)
def digest(self, end=None):
    """Mail the posts of the seven days before `end` to DIGEST_RECIPIENTS.

    `end` (ISO 8601, UTC): the time the digest was due, by default the last time beat's
    `weekly-digest` entry was due (Saturday 10:00 UTC). Each week's digest starts where the last one
    ended: every post is in exactly one, whenever the task runs, however late. A mail server down:
    it retries, on the same week. Returns how many posts it mailed; with none, it sends nothing.
    """
    if end is None:
        end = last_digest_time(datetime.datetime.now(datetime.timezone.utc))
    else:
        end = datetime.datetime.fromisoformat(end)
        if end.tzinfo is not None:
            end = end.astimezone(datetime.timezone.utc)
    end = end.replace(tzinfo=None)
    start = end - datetime.timedelta(days=7)
    try:
        posts = db.session.scalars(
            select(Post)
            .filter(Post.publish_date >= start, Post.publish_date < end)
            .order_by(Post.publish_date)
        ).all()
        if not posts:
            return 0
        message = new_message('Weekly Digest: {} posts'.format(len(posts)),
                              ', '.join(current_app.config['DIGEST_RECIPIENTS']))
        message.set_content('{} posts this week; the digest is an HTML mail.'.format(len(posts)))
        message.add_alternative(render_template('digest.html', posts=posts, start=start),
                                subtype='html')
        send_mail(message)
    except TRANSIENT as error:
        db.session.rollback()
        raise retry_later(self, error, args=(end.isoformat(),))
    return len(posts)
