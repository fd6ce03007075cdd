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
    """A reminder refuses an address that is not one (ValueError, naming it), and nothing is saved or queued."""
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
    """`flask add-reminder ada@example.com "2030-12-24 09:00+00:00" "Buy a tree"` saves the reminder, queues its task and says when."""
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
    """`flask add-reminder` with a bad date, address or text exits non-zero with one line saying why, and saves nothing."""
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


def test_add_reminder_with_the_broker_down_says_the_task_is_not_queued(make_app, tmp_path, monkeypatch):
    """With no broker answering, `flask add-reminder` keeps the reminder but says its task was not queued, and exits 1."""
    monkeypatch.setenv("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:9//")  # nothing listens there
    app = make_app(f"sqlite:///{tmp_path / 'test.db'}")
    with app.app_context():
        app.extensions["sqlalchemy"].create_all()
    result = app.test_cli_runner().invoke(args=["add-reminder", "ada@example.com", "now", "Hello"])
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: reminder 1 is saved, but the broker did not take its task")


# Mail sent by the tasks, run here in the test process (`apply`) against the local SMTP server.

@pytest.fixture
def mailing(make_app, database_url, monkeypatch):
    """An app with its tables, its mail going to 127.0.0.1:`port` (MAIL_PORT), and a saved reminder;
    returns the app, the reminder and the app's own `remind` task."""
    def make(port):
        monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
        monkeypatch.setenv("MAIL_PORT", str(port))
        app = make_app(database_url)
        db = app.extensions["sqlalchemy"]
        with app.app_context():
            db.create_all()
            reminder = importlib.import_module("webapp.models").Reminder(
                email="ada@example.com", text="Water the plants\nand the tree", date=DATE)
            db.session.add(reminder)
            db.session.commit()
            return app, reminder.id, app.extensions["celery"].tasks["webapp.tasks.remind"]

    return make


def test_remind_mails_the_text_to_the_address_even_while_testing(mailing, mailbox):
    """`remind` mails the reminder to its address, from MAIL_DEFAULT_SENDER, subject "Reminder", its text as the body, with TESTING on."""
    app, pk, remind = mailing(mailbox.port)
    assert app.testing
    assert remind.apply((pk,)).get() == "ada@example.com"
    [mail] = mailbox.wait_for(1)
    assert (mail["To"], mail["From"], mail["Subject"]) == ("ada@example.com", "blog@localhost", "Reminder")
    assert mail.get_content().splitlines() == ["Water the plants", "and the tree"]


def test_a_mail_server_that_never_answers_is_retried_not_waited_for(mailing):
    """A mail server that takes the connection and never answers: each try gives up after MAIL_TIMEOUT, and `remind` retries, then fails with the timeout."""
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
        assert app.extensions["celery"].tasks["webapp.tasks.digest"].apply(("2025-06-14",)).get() == 1
    [mail] = mailbox.wait_for(1)
    html = mail.get_body(("html",)).get_content()
    assert "Some bold news" in html
    assert "&lt;" not in html and "<strong>" not in html and "x()" not in html
