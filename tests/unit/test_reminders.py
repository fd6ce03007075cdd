"""Chapter 9 on: a Reminder queues its `remind` task once it is committed, never before; what it
refuses; and `flask add-reminder`. Tasks go to the test configuration's in-process broker: `sent`
lists what was queued (the server suites run them on a real worker)."""
import datetime
import importlib
import socket
import threading
import time

import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.chapters(since=9)

DATE = datetime.datetime(2030, 12, 24, 9, 0)
DUE = datetime.datetime(2020, 12, 24, 9, 0)  # a reminder the tasks run here may send


def reminders(db, models) -> int:
    return db.session.scalar(select(func.count()).select_from(models.Reminder))


def test_a_committed_reminder_queues_remind_for_its_date(db, models, sent):
    """Committing a reminder queues one `remind` task, given the reminder's id, due at its date (UTC)."""
    reminder = models.Reminder(email="ada@example.com", text="Buy a tree", date=DATE)
    db.session.add(reminder)
    db.session.flush()
    assert sent == []  # inserted, not committed: nothing yet
    db.session.commit()
    assert [(task.name, task.args) for task in sent] == [("webapp.tasks.remind", (reminder.id,))]
    assert datetime.datetime.fromisoformat(sent[0].eta) == DATE.replace(tzinfo=datetime.timezone.utc)


def test_a_rolled_back_reminder_queues_nothing(db, models, sent):
    """A reminder inserted then rolled back queues no task, then or at the next commit."""
    db.session.add(models.Reminder(email="ada@example.com", text="Never", date=DATE))
    db.session.flush()  # the INSERT has run: the book's after_insert would have queued it here
    db.session.rollback()
    db.session.add(models.Tag("unrelated"))
    db.session.commit()
    assert sent == []
    assert reminders(db, models) == 0


def test_a_reminder_queues_again_only_when_its_date_changes(db, models, sent):
    """Editing a reminder's text queues nothing new; moving its date queues a task for the new date."""
    reminder = models.Reminder(email="ada@example.com", text="Buy a tree", date=DATE)
    db.session.add(reminder)
    db.session.commit()
    reminder.text = "Buy a bigger tree"
    db.session.commit()
    assert len(sent) == 1
    reminder.date = DATE + datetime.timedelta(days=1)
    db.session.commit()
    assert [task.args for task in sent] == [(reminder.id,)] * 2
    assert datetime.datetime.fromisoformat(sent[1].eta).day == 25


def test_an_address_is_kept_normalized(models):
    """An address is stored as the validator normalizes it: its domain in lower case."""
    assert models.Reminder(email="Ada@Example.COM").email == "Ada@example.com"


BAD_ADDRESSES = ["not an address", "ada@", "@example.com", "ada@example..com", "", None]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_a_bad_address_is_refused(db, models, sent, address):
    """A reminder refuses an address that is not one (ValueError, naming it), and nothing is saved or
    queued."""
    with pytest.raises(ValueError, match="is not an e-mail address"):
        models.Reminder(email=address, text="Hello", date=DATE)
    db.session.commit()
    assert reminders(db, models) == 0 and sent == []


@pytest.mark.parametrize("text", ["NUL \x00 inside", "", "x" * 10_001], ids=["nul", "empty", "too-long"])
def test_a_bad_text_is_refused(models, text):
    """A reminder's text must be 1 to 10,000 characters, without NUL (PostgreSQL cannot store one)."""
    with pytest.raises(ValueError, match="1 to 10000 characters, without NUL"):
        models.Reminder(email="ada@example.com", text=text, date=DATE)


def test_add_reminder_saves_and_queues(runner, db, models, sent):
    """`flask add-reminder ada@example.com "2030-12-24 09:00+00:00" "Buy a tree"` saves the reminder, queues
    its task and says when."""
    result = runner.invoke(args=["add-reminder", "ada@example.com", "2030-12-24 09:00+00:00", "Buy a tree"])
    assert result.exit_code == 0, result.output
    assert result.output == "reminder 1 for ada@example.com at 2030-12-24 09:00 UTC: a worker sends it then\n"
    reminder = db.session.get(models.Reminder, 1)
    assert (reminder.email, reminder.text, reminder.date) == ("ada@example.com", "Buy a tree", DATE)
    assert [task.args for task in sent] == [(1,)]


def test_add_reminder_now(runner, db, models, sent):
    """`flask add-reminder ADDRESS now TEXT` is due at once."""
    result = runner.invoke(args=["add-reminder", "ada@example.com", "now", "Now"])
    assert result.exit_code == 0, result.output
    due = datetime.datetime.fromisoformat(sent[0].eta)
    assert abs(due - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(minutes=1)


@pytest.mark.parametrize("arguments, message", [
    (["ada@example.com", "tomorrow", "Hello"], "'tomorrow' is not a date and time"),
    (["ada@", "now", "Hello"], "'ada@' is not an e-mail address"),
    (["ada@example.com", "now", "NUL \x00"], "without NUL"),
], ids=["bad-date", "bad-address", "bad-text"])
def test_add_reminder_refuses_bad_input_in_one_line(runner, db, models, sent, arguments, message):
    """`flask add-reminder` with a bad date, address or text exits non-zero with one line saying why, and
    saves nothing."""
    result = runner.invoke(args=["add-reminder", *arguments])
    assert result.exit_code != 0
    [line] = result.output.splitlines()
    assert line.startswith("Error: ") and message in line
    assert reminders(db, models) == 0 and sent == []


def test_add_reminder_without_tables_says_what_to_do(make_app, tmp_path):
    """On a database with no tables, `flask add-reminder` stops and says to run `flask db upgrade` first."""
    app = make_app(f"sqlite:///{tmp_path / 'empty.db'}")
    result = app.test_cli_runner().invoke(args=["add-reminder", "ada@example.com", "now", "Hello"])
    assert result.exit_code != 0
    assert "run `flask db upgrade` first" in result.output


def test_add_reminder_with_the_broker_down_saves_it_and_says_the_sweeper_queues_it(
        make_app, tmp_path, monkeypatch):
    """With no broker answering, `flask add-reminder` saves the reminder at once, says its task was not queued
    (the sweeper queues it when due), and exits 0."""
    monkeypatch.setenv("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:9//")  # nothing listens there
    app = make_app(f"sqlite:///{tmp_path / 'test.db'}")
    with app.app_context():
        app.extensions["sqlalchemy"].create_all()
    started = time.monotonic()
    result = app.test_cli_runner().invoke(args=["add-reminder", "ada@example.com", "now", "Hello"])
    assert time.monotonic() - started < app.config["REMINDER_QUEUE_TIMEOUT"] + 2
    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    assert line.startswith("reminder 1 for ada@example.com at ")
    assert "saved; the broker did not take its task now" in line and "the sweeper queues it" in line
    with app.app_context():
        assert app.extensions["sqlalchemy"].session.get(
            importlib.import_module("webapp.models").Reminder, 1).text == "Hello"


@pytest.mark.parametrize("when, saved", [
    ("9999-12-31T23:59:59+14:00", True),  # 09:59:59 UTC on the last day a date can hold
    ("9999-12-31T23:59:59-12:00", False),  # 11:59:59 UTC on 1 January 10000
    ("0001-01-01T00:00:00+00:00", True),
    ("0001-01-01T00:00:00+14:00", False),  # 31 December of year 0
    ("31/12/2030", False), ("\x00", False), ("", False),
], ids=["last-day", "after-9999", "year-1", "before-year-1", "day-first", "nul", "empty"])
def test_add_reminder_says_in_one_line_whether_it_saved_any_date(runner, db, models, sent, when, saved):
    """`flask add-reminder` with any date, even one out of the range a date can hold, says in one line whether
    the reminder was saved, never with a traceback."""
    result = runner.invoke(args=["add-reminder", "ada@example.com", when, "Hello"])
    [line] = result.output.splitlines()
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if saved:
        assert result.exit_code == 0 and line.startswith("reminder 1 for ada@example.com at ")
        assert reminders(db, models) == 1
    else:
        assert result.exit_code == 1 and line.startswith("Error: not saved: ")
        assert reminders(db, models) == 0 and sent == []


def test_add_reminder_with_the_database_down_says_it_is_not_saved(make_app, tmp_path):
    """With the database gone, `flask add-reminder` says in one line that the reminder is not saved, and exits
    1."""
    app = make_app("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")  # nothing listens there
    result = app.test_cli_runner().invoke(args=["add-reminder", "ada@example.com", "now", "Hello"])
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: not saved: the database did not answer")


def test_a_reminder_needs_a_date(models):
    """A reminder refuses an empty date (it would never be due): ValueError, saying so."""
    for empty in (None, ""):
        with pytest.raises(ValueError, match="a reminder needs a date and time"):
            models.Reminder(email="ada@example.com", text="Hello", date=empty)


def test_an_address_that_needs_smtputf8_is_refused_where_entered(runner, db, models):
    """An address whose local part is not ASCII (josé@example.com) is refused where it is entered, saying why;
    a domain that is not ASCII is kept in its ASCII form."""
    with pytest.raises(ValueError, match="(?i)is not an e-mail address.*internationalized"):
        models.Reminder(email="josé@example.com")
    assert models.Reminder(email="ada@bücher.example").email == "ada@xn--bcher-kva.example"
    result = runner.invoke(args=["add-reminder", "josé@example.com", "now", "Hello"])
    assert result.exit_code == 1 and result.output.startswith("Error: not saved: 'josé@example.com' is not")
    assert reminders(db, models) == 0


def test_a_moved_reminder_is_unsent_again(db, models):
    """A sent reminder given a new date is unsent again (mailed at the new date); a new text alone changes
    nothing."""
    reminder = models.Reminder(email="ada@example.com", text="Buy a tree", date=DATE)
    db.session.add(reminder)
    db.session.commit()
    reminder.sent_at = reminder.queued_at = DATE
    db.session.commit()
    reminder.text = "Buy a bigger tree"
    db.session.commit()
    assert reminder.sent_at == DATE
    reminder.date = DATE + datetime.timedelta(days=1)
    db.session.commit()
    assert (reminder.sent_at, reminder.claimed_at, reminder.queued_at) == (None, None, None)


# The outbox's sweeper, run here (`apply`): what it queues goes to the in-process broker (`sent`).

def sweep(app):
    return app.extensions["celery"].tasks["webapp.tasks.send_due_reminders"].apply().get()


def test_the_sweeper_queues_each_due_unsent_reminder_once_per_requeue_time(app, db, models, sent):
    """The sweeper queues `remind` for each reminder due and unsent, not for a future, sent or claimed one,
    and not again before REMINDER_REQUEUE_SECONDS."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    hour = datetime.timedelta(hours=1)
    rows = {name: models.Reminder(email="ada@example.com", text=name, date=date) for name, date in
            [("due", now - hour), ("long due", now - 1000 * hour), ("future", now + hour),
             ("sent", now - hour), ("claimed", now - hour), ("claim expired", now - hour)]}
    db.session.add_all(rows.values())
    db.session.commit()
    rows["sent"].sent_at = now
    rows["claimed"].claimed_at = now
    claim = datetime.timedelta(seconds=app.config["REMINDER_CLAIM_SECONDS"])
    rows["claim expired"].claimed_at = now - claim - datetime.timedelta(seconds=1)
    db.session.commit()
    sent.clear()
    assert sweep(app) == 3
    assert sorted(task.args for task in sent if task.name == "webapp.tasks.remind") == sorted(
        [(rows[name].id,) for name in ("due", "long due", "claim expired")])
    sent.clear()
    assert sweep(app) == 0 and sent == []  # queued a moment ago: not yet again
    app.config["REMINDER_REQUEUE_SECONDS"] = 0
    assert sweep(app) == 3


def test_beat_runs_the_sweeper_every_reminder_sweep_seconds(config_module):
    """Beat's schedule runs `send_due_reminders` every REMINDER_SWEEP_SECONDS, each sweep expiring when the
    next is due."""
    entry = config_module.Config.CELERY["beat_schedule"]["send-due-reminders"]
    assert entry["task"] == "webapp.tasks.send_due_reminders"
    seconds = config_module.Config.REMINDER_SWEEP_SECONDS
    assert entry["schedule"] == seconds and entry["options"] == {"expires": seconds}


# Mail sent by the tasks, run here in the test process (`apply`) against the local SMTP server.

@pytest.fixture
def mailing(make_app, database_url, monkeypatch):
    """An app with its tables, its mail going to 127.0.0.1:`port` (MAIL_PORT), and a saved reminder, due;
    returns the app, the reminder and the app's own `remind` task."""
    def make(port):
        monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
        monkeypatch.setenv("MAIL_PORT", str(port))
        app = make_app(database_url)
        db = app.extensions["sqlalchemy"]
        with app.app_context():
            db.create_all()
            reminder = importlib.import_module("webapp.models").Reminder(
                email="ada@example.com", text="Water the plants\nand the tree", date=DUE)
            db.session.add(reminder)
            db.session.commit()
            return app, reminder.id, app.extensions["celery"].tasks["webapp.tasks.remind"]

    return make


def test_remind_mails_the_text_to_the_address_even_while_testing(mailing, mailbox):
    """`remind` mails the reminder to its address, from MAIL_DEFAULT_SENDER, subject "Reminder", its text as
    the body, with TESTING on."""
    app, pk, remind = mailing(mailbox.port)
    assert app.testing
    assert remind.apply((pk,)).get() == "ada@example.com"
    [mail] = mailbox.wait_for(1)
    assert (mail["To"], mail["From"], mail["Subject"]) == ("ada@example.com", "blog@localhost", "Reminder")
    assert mail.get_content().splitlines() == ["Water the plants", "and the tree"]


def test_a_mail_server_that_never_answers_is_retried_not_waited_for(mailing):
    """A mail server that takes the connection and never answers: each try gives up after MAIL_TIMEOUT, and
    `remind` retries, then fails with the timeout."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never accepts nor greets
        app, pk, remind = mailing(silent.getsockname()[1])
        app.config["MAIL_TIMEOUT"] = 0.2
        # Without a timeout the task would wait for good: closing the server after 10 s ends the
        # wait with another error than a timeout.
        guard = threading.Timer(10, silent.close)
        guard.start()
        started = time.monotonic()
        result = remind.apply((pk,))
        guard.cancel()
    assert result.state == "FAILURE" and "timed out" in str(result.result)
    assert 6 * 0.2 <= time.monotonic() - started < 5  # six tries of 0.2 s each, not one stuck for good


def lines_of(mail) -> list[bytes]:
    return mail.as_bytes().splitlines()


def test_a_reminder_is_mailed_once_however_often_its_task_runs(mailing, mailbox):
    """`remind` run twice for one reminder mails it once, and marks it sent; the second run finds it sent."""
    app, pk, remind = mailing(mailbox.port)
    assert remind.apply((pk,)).get() == "ada@example.com"
    assert remind.apply((pk,)).get() is None
    assert len(mailbox.messages) == 1
    with app.app_context():
        Reminder = importlib.import_module("webapp.models").Reminder
        assert app.extensions["sqlalchemy"].session.get(Reminder, pk).sent_at is not None


def test_a_one_line_reminder_of_10000_characters_reaches_a_strict_mail_server(mailing, mailbox):
    """A reminder of one line of 10,000 characters (accents included) is accepted by a mail server that
    refuses lines over 998 bytes, and reads back the same."""
    app, pk, remind = mailing(mailbox.port)
    text = ("é" + "x" * 99) * 100
    with app.app_context():
        Reminder = importlib.import_module("webapp.models").Reminder
        app.extensions["sqlalchemy"].session.get(Reminder, pk).text = text
        app.extensions["sqlalchemy"].session.commit()
    assert remind.apply((pk,)).get() == "ada@example.com"
    [mail] = mailbox.wait_for(1)
    assert max(map(len, lines_of(mail))) <= 998
    assert mail.get_content().splitlines() == [text]


def test_a_digest_with_a_long_title_reaches_a_strict_mail_server(mailing, mailbox):
    """A post whose title is 3,000 characters long is in the digest, which a mail server that refuses lines
    over 998 bytes accepts."""
    app, _, _ = mailing(mailbox.port)
    models = importlib.import_module("webapp.models")
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        post = models.Post("Long " * 600)
        post.text, post.publish_date = "Text", datetime.datetime(2025, 6, 12, 9, 0)
        db.session.add(post)
        db.session.commit()
        assert app.extensions["celery"].tasks["webapp.tasks.digest"].apply(("2025-06-14T10:00",)).get() == 1
    [mail] = mailbox.wait_for(1)
    assert max(map(len, lines_of(mail))) <= 998
    assert "Long Long" in mail.get_body(("html",)).get_content()


def test_the_digest_is_retried_when_the_mail_server_refuses(mailing, mailbox):
    """The mail server refuses the digest twice: it is retried, on the same week, and mailed once."""
    app, _, _ = mailing(mailbox.port)
    app.config["REMINDER_RETRY_DELAY"] = 0.01
    models = importlib.import_module("webapp.models")
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        post = models.Post("News")
        post.text, post.publish_date = "Text", datetime.datetime(2025, 6, 12, 9, 0)
        db.session.add(post)
        db.session.commit()
        mailbox.refuse(2)
        assert app.extensions["celery"].tasks["webapp.tasks.digest"].apply(("2025-06-14T10:00",)).get() == 1
    assert mailbox.refused == 2 and len(mailbox.wait_for(1)) == 1


def test_every_post_is_in_exactly_one_weekly_digest(mailing, mailbox):
    """Two digests a week apart, each due on Saturday at 10:00 UTC: every post of the fortnight is in exactly
    one, those of Saturday after 10:00 and of Sunday included."""
    app, _, _ = mailing(mailbox.port)
    models = importlib.import_module("webapp.models")
    db = app.extensions["sqlalchemy"]
    dated = {"Saturday 09:59": datetime.datetime(2025, 6, 7, 9, 59),
             "Saturday 10:00": datetime.datetime(2025, 6, 7, 10, 0),
             "Sunday": datetime.datetime(2025, 6, 8, 12, 0),
             "Friday": datetime.datetime(2025, 6, 13, 23, 0),
             "Next Saturday 09:59": datetime.datetime(2025, 6, 14, 9, 59),
             "Next Saturday 10:00": datetime.datetime(2025, 6, 14, 10, 0)}
    with app.app_context():
        for title, date in dated.items():
            post = models.Post(title)
            post.text, post.publish_date = "Text", date
            db.session.add(post)
        db.session.commit()
        digest = app.extensions["celery"].tasks["webapp.tasks.digest"]
        for end in ("2025-06-07T10:00:00+00:00", "2025-06-14T10:00:00+00:00", "2025-06-21T10:00:00+00:00"):
            digest.apply((end,)).get()
    mails = [mail.get_body(("html",)).get_content() for mail in mailbox.wait_for(3)]
    for title in dated:
        assert sum("<h2>{}</h2>".format(title) in html for html in mails) == 1, title
    assert "<h2>Saturday 10:00</h2>" in mails[1] and "<h2>Sunday</h2>" in mails[1]


def test_the_digest_ends_when_beat_last_had_it_due(app):
    """Without a date, the digest covers the seven days to the last time beat had it due: on a Wednesday, the
    Saturday before at 10:00 UTC; at 10:00 that Saturday, that moment."""
    tasks = importlib.import_module("webapp.tasks")
    utc = datetime.timezone.utc
    with app.app_context():
        assert tasks.last_digest_time(datetime.datetime(2026, 1, 7, 12, 0, tzinfo=utc)) == \
            datetime.datetime(2026, 1, 3, 10, 0, tzinfo=utc)
        assert tasks.last_digest_time(datetime.datetime(2026, 1, 10, 10, 0, tzinfo=utc)) == \
            datetime.datetime(2026, 1, 10, 10, 0, tzinfo=utc)
        assert tasks.last_digest_time(datetime.datetime(2026, 1, 10, 9, 59, tzinfo=utc)) == \
            datetime.datetime(2026, 1, 3, 10, 0, tzinfo=utc)


@pytest.mark.chapters(since=10)
def test_the_digest_shows_an_html_posts_text_not_its_tags(mailing, mailbox):
    """A post written as HTML (chapter 10's editor) reads as text in the weekly digest: no tags shown
    escaped, no script."""
    app, _, _ = mailing(mailbox.port)
    models = importlib.import_module("webapp.models")
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        post = models.Post("Bold news")
        post.text = "<p>Some <strong>bold</strong> news<script>x()</script></p>"
        post.publish_date = datetime.datetime(2025, 6, 12, 9, 0)
        db.session.add(post)
        db.session.commit()
        assert app.extensions["celery"].tasks["webapp.tasks.digest"].apply(("2025-06-14T10:00",)).get() == 1
    [mail] = mailbox.wait_for(1)
    html = mail.get_body(("html",)).get_content()
    assert "Some bold news" in html
    assert "&lt;" not in html and "<strong>" not in html and "x()" not in html
