"""The fast home page (README.md beside this file), mounted on the finished app: what it costs, and
what a visitor still sees of it."""
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event


def pager(html: str) -> list[str]:
    """The pager's items, as shown: page numbers, "…", and the arrows."""
    nav = html.split('aria-label="pages"')[1].split("</nav>")[0]
    return [item.strip() for item in re.findall(r'class="page-link"[^>]*>([^<]+)<', nav)]


def test_first_page_runs_three_statements_and_its_sidebar_still_lists_the_newest(
        make, client, db, url_for, sql_statements):
    """The first page runs 3 SQL statements (its posts with their authors and the pager's count,
    their tags, the popular tags; the book's page runs 5), and still shows each post's tags; every
    page's sidebar lists the five newest posts."""
    make.posts(25)
    client.get(url_for("home"))
    with sql_statements() as first:
        page = client.get(url_for("home")).get_data(as_text=True)
    assert len(first) == 3, "\n".join(first)
    assert all(f">tag{n}</a>" in page for n in range(24, 14, -1))
    newest = [f"Post {n}" for n in range(24, 19, -1)]
    for html in (page, client.get(url_for("home", page=2)).get_data(as_text=True)):
        sidebar = html.split('id="recent-posts"')[1].split('id="popular-tags"')[0]
        assert re.findall(r">(Post \d+)</a>", sidebar) == newest


def test_the_pager_links_the_last_pages_only_of_a_blog_it_counts_whole(make, client, db, url_for):
    """With no more posts than the pager counts (ten pages past the one shown), the first page links
    the last two pages, as the book's pager does. With more, it links its next pages and ends with
    "…"; the last page is served, and shows the last pages."""
    make.posts(105)  # 11 pages: all counted from page 1
    first = client.get(url_for("home")).get_data(as_text=True)
    assert pager(first) == ["&laquo;", "1", "2", "3", "4", "5", "&hellip;", "10", "11", "&raquo;"]

    make.posts(20, start=105)  # 13 pages; page 1 counts up to page 11
    first = client.get(url_for("home")).get_data(as_text=True)
    assert pager(first) == ["&laquo;", "1", "2", "3", "4", "5", "&hellip;", "&raquo;"]
    assert f'href="{url_for("home", page=2)}"' in first
    last = client.get(url_for("home", page=13)).get_data(as_text=True)
    assert pager(last) == ["&laquo;", "1", "2", "&hellip;", "11", "12", "13", "&raquo;"]
    assert client.get(url_for("home", page=14)).status_code == 404


def test_links_follow_the_path_the_app_is_served_under(make, client, db, url_for):
    """The links and bundle URLs a page keeps (`link`, `asset_url`) are the app's own under each path
    it is served at: at the root, and mounted under /site (SCRIPT_NAME), each page links its posts
    and loads its stylesheet under its own path."""
    make.posts(3)
    post = url_for("post", post_id=2)
    at_root = client.get(url_for("home")).get_data(as_text=True)
    mounted = client.get(url_for("home"), base_url="http://localhost/site").get_data(as_text=True)
    again = client.get(url_for("home")).get_data(as_text=True)
    assert f'href="{post}"' in at_root and f'href="/site{post}"' not in at_root
    assert f'href="/site{post}"' in mounted and f'href="{post}"' not in mounted
    assert re.search(r'<link rel="stylesheet" href="/static/', at_root)
    assert re.search(r'<link rel="stylesheet" href="/site/static/', mounted)
    assert again == at_root


def test_pages_find_the_bundles_urls_once_in_production(make, client, db, url_for, monkeypatch):
    """With the bundles built at start, the page finds their URLs once per process, not on every
    page as the book's `{% assets %}` tag does (hashing each whole bundle), and links the same
    built files every time."""
    from webassets import Bundle

    found = []
    urls = Bundle.urls
    monkeypatch.setattr(Bundle, "urls",
                        lambda self, *a, **k: found.append(self.output) or urls(self, *a, **k))
    pages = [client.get(url_for("home")).get_data(as_text=True) for _ in range(3)]
    assert sorted(found) == ["gen/common.css", "gen/common.js"]
    assert pages[0] == pages[1] == pages[2]


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


def test_home_page_does_not_read_every_post(make, client, db, url_for):
    """With 4 times more posts, the database does no more work for the page (indexes, not scans; the
    popular tags among the latest 100 posts; the pager counting ten pages ahead)."""
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
