"""Chapter 9 on: when beat sends what, for a fixed clock: the chapter's weekly digest, and the book's
crontab examples (Celery's schedules as documentation: the chapter's config holds only the digest
and the reminders' sweeper)."""
import datetime

import pytest

pytestmark = pytest.mark.chapters(since=9)

UTC = datetime.timezone.utc
# A fixed clock: Wednesday 7 January 2026, 12:00 UTC; its week starts on Monday the 5th.
NOW = datetime.datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
MONDAY = datetime.datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
WEEK = datetime.timedelta(days=7)


def next_due(schedule, after: datetime.datetime) -> datetime.datetime:
    """When `schedule` is next due after the moment `after` (beat's own arithmetic)."""
    last, delta, _ = schedule.remaining_delta(after, tz=UTC)
    return last + delta


def due_times(schedule, start: datetime.datetime, end: datetime.datetime) -> list[datetime.datetime]:
    """Every moment in [start, end) at which beat sends the entry."""
    times, moment = [], start - datetime.timedelta(minutes=1)
    while (moment := next_due(schedule, moment)) < end:
        times.append(moment)
    return times


def test_the_chapters_schedule_is_the_weekly_digest_and_the_reminders_sweeper(config_module):
    """Beat's schedule holds two entries: `weekly-digest`, which sends webapp.tasks.digest, and
    `send-due-reminders`, the reminders' sweeper."""
    schedule = config_module.Config.CELERY["beat_schedule"]
    assert list(schedule) == ["weekly-digest", "send-due-reminders"]
    assert schedule["weekly-digest"]["task"] == "webapp.tasks.digest"
    assert schedule["send-due-reminders"]["task"] == "webapp.tasks.send_due_reminders"


def test_weekly_digest_is_due_on_saturday_at_ten_utc_once_a_week(config_module):
    """On a Wednesday, the digest is next due on Saturday at 10:00 UTC; over four weeks it is sent four
    times."""
    schedule = config_module.Config.CELERY["beat_schedule"]["weekly-digest"]["schedule"]
    assert next_due(schedule, NOW) == datetime.datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
    assert due_times(schedule, MONDAY, MONDAY + 4 * WEEK) == [
        datetime.datetime(2026, 1, day, 10, 0, tzinfo=UTC) for day in (10, 17, 24, 31)]


def test_the_books_crontab_without_a_minute_sends_sixty_digests():
    """The book's `crontab(day_of_week=6, hour='10')` is due every minute from 10:00 to 10:59: sixty digests a
    Saturday."""
    from celery.schedules import crontab

    times = due_times(crontab(day_of_week=6, hour="10"), MONDAY, MONDAY + WEEK)
    assert len(times) == 60
    assert (times[0].time(), times[-1].time()) == (datetime.time(10, 0), datetime.time(10, 59))


CRONTABS = {  # the book's examples: (arguments, next due after NOW, how many times in a week)
    "every day at midnight": (dict(minute=0, hour=0), datetime.datetime(2026, 1, 8, 0, 0), 7),
    "at 5, 10, 15 and 20 o'clock": (dict(minute=0, hour=[5, 10, 15, 20]),
                                   datetime.datetime(2026, 1, 7, 15, 0), 28),
    "every half hour": (dict(minute="*/30"), datetime.datetime(2026, 1, 7, 12, 30), 336),
    # The minute left out again: every minute of 1:00 and of every even hour, on Mondays.
    "every minute of some hours on Monday": (dict(day_of_week=1, hour="*/2, 1"),
                                             datetime.datetime(2026, 1, 12, 0, 0), 13 * 60),
}


@pytest.mark.parametrize("arguments, due, per_week", CRONTABS.values(), ids=CRONTABS)
def test_the_books_crontab_examples(arguments, due, per_week):
    """The book's crontab examples: when each is next due on a Wednesday at noon, and how often in a week."""
    from celery.schedules import crontab

    schedule = crontab(**arguments)
    assert next_due(schedule, NOW) == due.replace(tzinfo=UTC)
    assert len(due_times(schedule, MONDAY, MONDAY + WEEK)) == per_week
