"""A page costs a fixed number of SQL queries, whatever the number of posts (no N+1), chapter 3 on."""
import pytest

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


# The home page, the book's view and sidebar with their authors and tags loaded eagerly: the pager's
# count, the ten posts with their authors, their tags, and the sidebar's recent posts and popular tags.
# (benchmarks/fast_home_page/, beyond the book, draws it in 3.)
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
