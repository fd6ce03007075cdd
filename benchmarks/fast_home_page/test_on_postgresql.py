"""The fast home page on PostgreSQL (README.md beside this file): the server keeps its statements
parsed and planned from one visitor's page to the next."""
import contextvars

import pytest
import sqlalchemy as sa


@pytest.fixture
def database_url(postgresql_url):
    return postgresql_url


def test_postgresql_keeps_the_home_page_statements_prepared_and_planned(make, app, db, url_for):
    """Served again and again, the home page's three statements stay prepared on the server (psycopg
    forgets them at every ROLLBACK: the page reads without a transaction), and the sidebar's popular
    tags keep one plan (a LIMIT parameter would have the server plan that statement on every page)."""
    make.posts(12)
    served = set()

    def note_connection(connection, *args):
        served.add(connection.connection.dbapi_connection)

    client = app.test_client()
    sa.event.listen(db.engine, "before_cursor_execute", note_connection)
    try:
        for _ in range(10):
            # Each page in a context of its own, as a server serves it: its session ends with it.
            response = contextvars.Context().run(client.get, url_for("home"))
            assert response.status_code == 200 and "Post 11" in response.text
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note_connection)

    (connection,) = served  # every page took the pool's one idle connection
    prepared = {" ".join(statement.split()): generic_plans for statement, generic_plans in connection.execute(
        "SELECT statement, generic_plans FROM pg_prepared_statements").fetchall()}
    connection.rollback()
    # Each statement of the page, found by a part of its SQL: its generic plans, once prepared.
    plans = {what: [plans for statement, plans in prepared.items() if marker in statement]
             for what, marker in {"the page of posts": "AS counted", "their tags": "post_tags.post_id IN",
                                  "the popular tags": "count(post_tags.post_id)"}.items()}
    for what, found in plans.items():
        assert found, f"{what}: not kept prepared: {prepared}"
    assert plans["the popular tags"][0] >= 5, f"the popular tags were planned again on every page: {prepared}"
