"""Chapter 9 on: every workflow of the book's chapter, run by a real worker on RabbitMQ (results in
Redis), and the same workflows on the embedded broker, with no server at all."""
import time
import uuid

import pytest

from workbook.testing.celery_worker import TIMEOUT, states_until, utc_in

pytestmark = pytest.mark.chapters(since=9)


def test_delay_then_ready_and_get(rabbitmq):
    """`log.delay("Message")` returns at once; the result is ready once the worker ran it, and `get()` gives
    "Message"."""
    result = rabbitmq.tasks.log.delay("Message")
    assert result.get(timeout=TIMEOUT) == "Message"
    assert result.ready() and result.successful()


def test_states_pending_started_success(rabbitmq, mailbox, sent):
    """A task is PENDING until its time, STARTED while the worker runs it, then SUCCESS with its result."""
    models = rabbitmq.models
    mailbox.hold()  # `remind` waits at the mail server until released: long enough to see STARTED
    reminder = rabbitmq.add(models.Reminder(email="ada@example.com", text="States",
                                            date=utc_in(1.5)))
    result = rabbitmq.tasks.remind.AsyncResult(sent[-1].id)
    assert result.state == "PENDING"
    assert states_until(result, "STARTED")[-2:] == ["PENDING", "STARTED"]
    mailbox.wait_held()
    mailbox.release()
    assert states_until(result, "SUCCESS")[-2:] == ["STARTED", "SUCCESS"]
    assert result.get(timeout=TIMEOUT) == reminder.email


def test_failure_keeps_its_reason(rabbitmq):
    """A task that raises ends in FAILURE, and its result is the exception, with the reason."""
    result = rabbitmq.tasks.multiply.delay("two", "three")
    with pytest.raises(TypeError, match="can't multiply sequence"):
        result.get(timeout=TIMEOUT)
    assert result.state == "FAILURE" and result.failed()
    assert "can't multiply sequence" in result.traceback


def test_signature_with_options(rabbitmq):
    """A signature (the book's subtask) holds the arguments and the options: `multiply.signature((4, 4),
    countdown=1)`."""
    sent_at = time.monotonic()
    result = rabbitmq.tasks.multiply.signature((4, 4), countdown=1).delay()
    assert result.get(timeout=TIMEOUT) == 16
    assert time.monotonic() - sent_at >= 1


def test_partial_gets_its_last_argument_later(rabbitmq):
    """A partial: `multiply.s(2)` holds the first argument, `.delay(5)` gives the second: 10."""
    partial = rabbitmq.tasks.multiply.s(2)
    assert partial.delay(5).get(timeout=TIMEOUT) == 10


def test_link_calls_back_with_the_result(rabbitmq):
    """`link=log.s()`: when multiply(4, 4) succeeds, log is called with its result, 16."""
    tasks = rabbitmq.tasks
    callback = tasks.log.s().set(task_id=str(uuid.uuid4()))
    result = tasks.multiply.apply_async((4, 4), link=callback)
    assert result.get(timeout=TIMEOUT) == 16
    assert tasks.log.AsyncResult(callback.id).get(timeout=TIMEOUT) == 16


def test_link_error_calls_back_with_the_failed_task(rabbitmq):
    """`link_error=log.s()`: when a task fails, the error callback runs, given the failed task's id."""
    tasks = rabbitmq.tasks
    errback = tasks.log.s().set(task_id=str(uuid.uuid4()))
    result = tasks.multiply.apply_async(("two", "three"), link_error=errback)
    assert tasks.log.AsyncResult(errback.id).get(timeout=TIMEOUT) == result.id
    assert result.state == "FAILURE"


def run_group(tasks):
    from celery import group

    return group(tasks.multiply.s(i, i + 5) for i in range(10)).delay().get(timeout=TIMEOUT)


def run_chord(tasks):
    from celery import chord

    return chord((tasks.multiply.s(i, i) for i in range(5)), tasks.log.s()).delay().get(timeout=TIMEOUT)


GROUP = [0, 6, 14, 24, 36, 50, 66, 84, 104, 126]
CHORD = [0, 1, 4, 9, 16]


def test_group_runs_tasks_side_by_side(rabbitmq):
    """A group of ten multiplications gives their ten results, in order."""
    assert run_group(rabbitmq.tasks) == GROUP


def test_chain_passes_each_result_on(rabbitmq):
    """A chain, `multiply.s(10, 10) | multiply.s(4) | multiply.s(20)`, gives 8000."""
    multiply = rabbitmq.tasks.multiply
    assert (multiply.s(10, 10) | multiply.s(4) | multiply.s(20)).delay().get(timeout=TIMEOUT) == 8000


def test_chord_feeds_a_group_into_its_callback(rabbitmq):
    """A chord: the header's results, as one list, are the callback's argument."""
    assert run_chord(rabbitmq.tasks) == CHORD


def test_embedded_broker_runs_a_task_with_no_server(embedded):
    """On the embedded broker (SQLite files, no server), `delay` and `get` work as on RabbitMQ."""
    assert embedded.env["CELERY_BROKER_URL"].startswith("sqla+sqlite:///")
    assert embedded.tasks.multiply.delay(6, 7).get(timeout=TIMEOUT) == 42


def test_embedded_broker_runs_a_group(embedded):
    """On the embedded broker, a group gives its results in order."""
    assert run_group(embedded.tasks) == GROUP


def test_embedded_broker_runs_a_chord(embedded):
    """On the embedded broker, a chord's callback gets the header's results."""
    assert run_chord(embedded.tasks) == CHORD

