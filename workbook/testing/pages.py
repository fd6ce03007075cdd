"""What a test asks of the app's pages: a URL by its view's name, a form's CSRF token, the SQL a
request runs."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest


@pytest.fixture
def url_for(app):
    """url_for by the view's own name, whichever blueprint holds it (`home` finds `blog.home`)."""
    import flask

    def build(name: str, **values) -> str:
        endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
        matches = {e for e in endpoints if e == name or e.rsplit(".", 1)[-1] == name}
        if len(matches) != 1:
            raise LookupError(f"no single endpoint named {name!r} among {sorted(endpoints)}")
        with app.test_request_context():
            return flask.url_for(matches.pop(), **values)

    return build


def csrf_token_in(html: str, where: str = "the page") -> str:
    """The CSRF token of the (first) form in a page's HTML."""
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert found, f"{where} has no form with a CSRF token"
    return found.group(1)


@pytest.fixture
def csrf_token(client):
    """The CSRF token of the (first) form on a page, fetched with the client as a browser would."""

    def token(path: str) -> str:
        return csrf_token_in(client.get(path).get_data(as_text=True), path)

    return token


@pytest.fixture
def sql_statements(db):
    """`with sql_statements() as run:` collects the SQL the app's engine runs inside the block."""
    from sqlalchemy import event

    @contextmanager
    def collect():
        statements = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", count)

    return collect
