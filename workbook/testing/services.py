"""The real services a test may need (PostgreSQL, MariaDB…), and the rule for when one is missing:
skip, saying why, on a laptop; fail in CI (`CI=true`), where nothing may skip."""
from __future__ import annotations

import os
import uuid

import pytest

SERVICE_URLS = {
    "postgresql": os.environ.get(
        "WORKBOOK_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get("WORKBOOK_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def need(reason: str):
    """Something a test needs is missing: skip on a laptop, fail in CI where nothing may skip."""
    if in_ci():
        pytest.fail(f"CI needs this: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "services: needs PostgreSQL or MariaDB (skips on a laptop without them, fails in CI)")


@pytest.fixture(params=["sqlite",
                        pytest.param("postgresql", marks=pytest.mark.services),
                        pytest.param("mariadb", marks=pytest.mark.services)])
def any_database_url(request, tmp_path):
    """A fresh, empty database on SQLite, PostgreSQL (psycopg) or MariaDB (PyMySQL), dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'any.db'}"
        return
    yield from fresh_database(request.param)


def fresh_database(service: str):
    """Create a database of its own on `service`, yield its URL, drop it afterwards."""
    import sqlalchemy as sa

    admin_url = sa.make_url(SERVICE_URLS[service])
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        connection = engine.connect()
    except sa.exc.OperationalError as error:
        engine.dispose()
        need(f"{service} is not reachable at {admin_url.render_as_string()}: {error.orig}")
    name = f"workbook_{uuid.uuid4().hex[:12]}"
    with connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            force = " WITH (FORCE)" if service == "postgresql" else ""
            connection.execute(sa.text(f"DROP DATABASE {name}{force}"))
    engine.dispose()


@pytest.fixture
def postgresql_url():
    """A fresh, empty PostgreSQL database of this test's own, dropped after."""
    yield from fresh_database("postgresql")
