"""The real services a test may need (PostgreSQL, MariaDB…), and the rule for when one is missing:
skip, saying why, on a laptop; fail in CI (`CI=true`), where nothing may skip. A notebook cell follows
the same rule (see `pytest_runtest_call` below)."""
from __future__ import annotations

import contextlib
import os

import pytest

from workbook import live
from workbook.live import SERVICE_URLS, in_ci  # noqa: F401  (where the suites import them from)


def need(reason: str):
    """Something a test needs is missing: skip on a laptop, fail in CI where nothing may skip."""
    if in_ci():
        pytest.fail(f"CI needs this: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "services: needs PostgreSQL, MariaDB or Redis (skips on a laptop without them, fails in CI)")


def on(*services: str) -> list:
    """Fixture params: SQLite, and each server, marked as needing it."""
    return ["sqlite", *(pytest.param(service, marks=pytest.mark.services) for service in services)]


def fresh_url(request, tmp_path):
    """A fresh, empty database of the kind `request.param` names (see `on`), dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    yield from fresh_database(request.param)


@pytest.fixture(params=on("postgresql", "mariadb"))
def any_database_url(request, tmp_path):
    """A fresh, empty database on SQLite, PostgreSQL (psycopg) or MariaDB (PyMySQL), dropped after."""
    yield from fresh_url(request, tmp_path)


@pytest.fixture(params=on("postgresql"))
def sqlite_or_postgresql_url(request, tmp_path):
    """A fresh, empty database on SQLite, then on PostgreSQL: where the two differ (NUL characters,
    integer ranges, concurrent writers), a test runs on both."""
    yield from fresh_url(request, tmp_path)


def fresh_database(service: str, own_database: bool = False):
    """An empty database of its own on `service`: yields its URL, drops it afterwards.

    On PostgreSQL, a schema of its own in the server's `test` database, which every connection made
    from the URL searches first (and names itself by, as its application_name): what the app, its
    migrations and its servers see is an empty database. CREATE DATABASE copies a template and
    checkpoints, a tenth of a second for each of some forty tests a chapter; a schema takes a
    millisecond. `own_database`: a real database (a test that closes it to connections).
    """
    schema = service == "postgresql" and not own_database
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(live.fresh_database(service, schema=schema))
        except live.Unavailable as missing:
            need(str(missing))
        yield url


@pytest.fixture
def postgresql_url():
    """A fresh, empty PostgreSQL database of this test's own, dropped after."""
    yield from fresh_database("postgresql")


REDIS_URL = os.environ.get("WORKBOOK_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture
def redis_url():
    """The URL of a Redis server that answers (the shared one: a test keeps to keys of its own)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        need(f"no Redis at {REDIS_URL} (WORKBOOK_REDIS_URL names another): {error}")
    finally:
        client.close()
    return REDIS_URL


# --------------------------------------------------------------------------- notebook cells


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A notebook cell whose run noted that Chromium or a database is missing (workbook.notebook's
    one-line note, which only a laptop prints: in CI the cell raises instead) does not match its stored
    output, which CI made with everything there: the cell is skipped, with the note as the reason."""
    try:
        return (yield)
    except Exception:
        notes = [output["data"]["text/plain"] for output in getattr(item, "test_outputs", None) or ()
                 if live.MISSING_MIME in output.get("data", {})]
        if notes and not in_ci():
            pytest.skip("; ".join(notes))
        raise
