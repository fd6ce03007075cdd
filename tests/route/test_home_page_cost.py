"""The finished app's home page, drawn at half its cost (webapp/README.md, "The home page's cost"):
what a visitor still sees of it."""
import re

import pytest

pytestmark = pytest.mark.chapters(since="webapp")


def pager(html: str) -> list[str]:
    """The pager's items, as shown: page numbers, "…", and the arrows."""
    nav = html.split('aria-label="pages"')[1].split("</nav>")[0]
    return [item.strip() for item in re.findall(r'class="page-link"[^>]*>([^<]+)<', nav)]


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
    """The links and bundle URLs a page keeps (webapp/links.py, asset_url) are the app's own under
    each path it is served at: at the root, and mounted under /site (SCRIPT_NAME), each page links
    its posts and loads its stylesheet under its own path."""
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

