"""A page costs a fixed number of SQL queries, whatever the number of posts (no N+1), chapter 3 on."""
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event


pytestmark = pytest.mark.chapters(since=3)

# The most queries a page may cost: its own, the tags' SELECT ... IN, the pagination count and the
# sidebar's two. A relationship lazy-loaded per row adds at least one per post listed.
MOST = 6


@pytest.mark.parametrize("page, values", [
    ("home", {}),
    ("post", {"post_id": 1}),
    ("tag", {"tag_name": "common"}),
    ("user", {"username": "author"}),
])
def test_queries_do_not_grow_with_the_posts(make, client, db, models, url_for, sql_statements, page,
                                           values):
    """Rendering a page costs the same few queries with 10 posts as with 50."""
    url = url_for(page, **values)
    make.posts(10)
    client.get(url)  # the first request may connect and set up mappers
    with sql_statements() as small:
        assert client.get(url).status_code == 200
    make.posts(40, start=10)
    with sql_statements() as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large), "\n".join(large)
    assert len(large) <= MOST, "\n".join(large)


# The home page: the pager's count, the ten posts with their authors, their tags, and the sidebar's
# recent posts and popular tags.
HOME_PAGE_MOST = 5


def test_home_page_costs_the_same_few_queries_however_many_posts(make, client, db, url_for,
                                                                   sql_statements):
    """The home page runs at most 5 SQL queries, the same ones with 10 posts as with 50."""
    url = url_for("home")
    make.posts(10)
    client.get(url)
    with sql_statements() as small:
        assert client.get(url).status_code == 200
    make.posts(40, start=10)
    with sql_statements() as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small) <= HOME_PAGE_MOST, "\n".join(large)


# From chapter 9 on, the sidebar's recent posts on the first page are that page's own first five:
# the posts with their authors, their tags, the pager's count and the popular tags. The finished app
# (webapp/README.md, "The home page's cost") counts in the posts' own statement: one fewer.
def first_page_runs(statements, make, client, url_for, sql_statements):
    make.posts(25)
    client.get(url_for("home"))
    with sql_statements() as first:
        page = client.get(url_for("home")).get_data(as_text=True)
    assert len(first) == statements, "\n".join(first)
    assert all(f">tag{n}</a>" in page for n in range(24, 14, -1))
    newest = [f"Post {n}" for n in range(24, 19, -1)]
    for html in (page, client.get(url_for("home", page=2)).get_data(as_text=True)):
        sidebar = html.split('id="recent-posts"')[1].split('id="popular-tags"')[0]
        assert re.findall(r">(Post \d+)</a>", sidebar) == newest


@pytest.mark.chapters(since=9, until=12)
def test_first_page_runs_four_queries_and_its_sidebar_still_lists_the_newest(make, client, db,
                                                                             url_for, sql_statements):
    """The home page's first page runs 4 SQL queries (posts with authors, their tags, count, popular
    tags), and still shows each post's tags; every page's sidebar lists the five newest posts."""
    first_page_runs(4, make, client, url_for, sql_statements)


@pytest.mark.chapters(since="webapp")
def test_first_page_runs_three_statements_and_its_sidebar_still_lists_the_newest(
        make, client, db, url_for, sql_statements):
    """The finished app's first page runs 3 SQL statements (its posts with their authors and the
    pager's count, their tags, the popular tags), and still shows each post's tags; every page's
    sidebar lists the five newest posts."""
    first_page_runs(3, make, client, url_for, sql_statements)


@contextmanager
def sqlite_work(db):
    """How much work SQLite does meanwhile: one tick every 100 steps of its virtual machine."""
    ticks, watched = [], []

    def tick():
        ticks.append(1)
        return 0  # carry on

    def watch(conn, cursor, statement, parameters, context, executemany):
        sqlite = conn.connection.driver_connection
        sqlite.set_progress_handler(tick, 100)
        watched.append(sqlite)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        yield ticks
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
        for sqlite in watched:
            sqlite.set_progress_handler(None, 100)


@pytest.mark.chapters(since=6)
def test_home_page_does_not_read_every_post(make, client, db, url_for):
    """With 4 times more posts, the database does no more work for the home page (indexes, not scans)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's virtual machine steps measure the work; other databases do not tell")
    url = url_for("home")
    make.posts(110)  # more than the sidebar's window of latest posts
    client.get(url)
    with sqlite_work(db) as small:
        assert client.get(url).status_code == 200
    make.posts(330, start=110)
    client.get(url)
    with sqlite_work(db) as large:
        assert client.get(url).status_code == 200
    # A query that reads every post, or all of post_tags, does about 4 times more work at the end.
    assert len(large) <= 1.1 * len(small), f"{len(small)} ticks with 110 posts, {len(large)} with 440"
