"""A page costs a fixed number of SQL queries, whatever the number of posts (no N+1), chapter 3 on."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event


pytestmark = pytest.mark.chapters(since=3)

# The most queries a page may cost: its own, the tags' SELECT ... IN, the pagination count and the
# sidebar's two. A relationship lazy-loaded per row adds at least one per post listed.
MOST = 6


@contextmanager
def counted(db):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.mark.parametrize("page, values", [
    ("home", {}),
    ("post", {"post_id": 1}),
    ("tag", {"tag_name": "common"}),
    ("user", {"username": "author"}),
])
def test_queries_do_not_grow_with_the_posts(make, client, db, models, url_for, page, values):
    """Rendering a page costs the same few queries with 10 posts as with 200."""
    url = url_for(page, **values)
    make.posts(10)
    client.get(url)  # the first request may connect and set up mappers
    with counted(db) as small:
        assert client.get(url).status_code == 200
    make.posts(190, start=10)
    with counted(db) as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large), "\n".join(large)
    assert len(large) <= MOST, "\n".join(large)
