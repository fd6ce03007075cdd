"""The blog's pages (chapter 3 on): home, a post with its comments, posts by tag, posts by user.

Pages are named through the `url_for` fixture, so the same tests follow the blog under /blog from
chapter 4 on.
"""
import datetime
import re

import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.chapters(since=3)

def titles(html: str) -> list[str]:
    """The post titles listed in the page's main column, in order."""
    main = html.split('id="sidebar"')[0]
    return re.findall(r'<h2 class="h4"><a href="[^"]+">([^<]+)</a></h2>', main)


def comment_count(db, models) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(models.Comment.id)))


def test_home_lists_ten_newest_posts(make, client, db, models, url_for):
    """The home page lists the 10 newest posts, newest first, with a link to the next page."""
    make.posts(25)
    html = client.get(url_for("home")).get_data(as_text=True)
    assert titles(html) == [f"Post {n}" for n in range(24, 14, -1)]
    assert f'href="{url_for("home", page=2)}"' in html


def test_each_post_on_the_home_page_shows_its_own_author_and_tags(make, client, db, url_for):
    """Each summary on the home page names its own author and links its own tags, none of another's."""
    make.posts(12)
    html = client.get(url_for("home")).get_data(as_text=True).split('id="sidebar"')[0]
    summaries = html.split("<article")[1:]
    assert len(summaries) == 10
    for summary in summaries:
        n = int(re.search(r">Post (\d+)</a></h2>", summary)[1])
        author = "author" if n % 2 == 0 else f"writer{n}"
        assert re.findall(r'href="[^"]*/user/([^"]+)"', summary) == [author]
        assert sorted(re.findall(r'href="[^"]*/tag/([^"]+)"', summary)) == sorted(["common", f"tag{n}"])


def test_later_pages_hold_the_older_posts(make, client, db, models, url_for):
    """Page 2 holds the next 10 posts and page 3 the last 5."""
    make.posts(25)
    assert titles(client.get(url_for("home", page=2)).get_data(as_text=True)) == [
        f"Post {n}" for n in range(14, 4, -1)
    ]
    last = client.get(url_for("home", page=3)).get_data(as_text=True)
    assert titles(last) == [f"Post {n}" for n in range(4, -1, -1)]
    assert f'href="{url_for("home", page=2)}"' in last


def test_empty_blog_says_no_posts_yet(client, db, url_for):
    """With no posts yet, the home page still answers and says so."""
    response = client.get(url_for("home"))
    assert response.status_code == 200
    assert "No posts yet" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", [0, 4, 1000])
def test_page_out_of_range_is_404(make, client, db, models, url_for, page):
    """A page number below 1 or past the last page answers 404."""
    make.posts(25)
    assert client.get(url_for("home", page=page)).status_code == 404


def test_post_page_shows_post_author_tags_and_comments(make, client, db, models, url_for):
    """A post's page shows its title, text, author, tags and comments, and a comment form."""
    make.posts(3)
    post = db.session.scalar(select(models.Post).filter_by(title="Post 1"))
    html = client.get(url_for("post", post_id=post.id)).get_data(as_text=True)
    assert "<h1 class=\"h2\">Post 1</h1>" in html
    assert "The text of post 1." in html
    assert f'href="{url_for("user", username="writer1")}"' in html
    assert f'href="{url_for("tag", tag_name="tag1")}"' in html
    assert "On post 1" in html and "reader1" in html
    assert 'name="csrf_token"' in html


@pytest.mark.parametrize("page, values", [
    ("post", {"post_id": 999}),
    ("tag", {"tag_name": "no-such-tag"}),
    ("user", {"username": "nobody"}),
])
def test_unknown_post_tag_or_user_is_404(make, client, db, models, url_for, page, values):
    """An unknown post, tag or user answers 404."""
    make.posts(3)
    assert client.get(url_for(page, **values)).status_code == 404


def test_tag_page_lists_the_tags_posts(make, client, db, models, url_for):
    """A tag's page lists the posts that carry it, newest first, and no others."""
    make.posts(4)
    assert titles(client.get(url_for("tag", tag_name="tag2")).get_data(as_text=True)) == ["Post 2"]
    common = client.get(url_for("tag", tag_name="common")).get_data(as_text=True)
    assert titles(common) == ["Post 3", "Post 2", "Post 1", "Post 0"]


def test_user_page_lists_the_users_posts(make, client, db, models, url_for):
    """A user's page lists that user's posts, newest first, and no others."""
    make.posts(5)
    assert titles(client.get(url_for("user", username="author")).get_data(as_text=True)) == [
        "Post 4", "Post 2", "Post 0"
    ]
    db.session.add(models.User("quiet"))
    db.session.commit()
    assert "has not posted yet" in client.get(url_for("user", username="quiet")).get_data(as_text=True)


def test_sidebar_shows_recent_posts_and_most_used_tags(make, client, db, models, url_for):
    """The sidebar lists the 5 most recent posts and the 5 most used tags with their counts."""
    make.posts(8)
    popular = [models.Tag(f"popular{n}") for n in range(5)]
    posts = db.session.scalars(select(models.Post).order_by(models.Post.id)).all()
    for rank, tag in enumerate(popular):  # popular0 on 6 posts, popular1 on 5, ... popular4 on 2
        for post in posts[: 6 - rank]:
            post.tags.append(tag)
    db.session.commit()
    html = client.get(url_for("home")).get_data(as_text=True)
    sidebar = html.split('id="sidebar"')[1]
    recent = sidebar.split('id="popular-tags"')[0]
    assert re.findall(r">(Post \d+)</a>", recent) == [f"Post {n}" for n in range(7, 2, -1)]
    tags = re.findall(r'>([\w]+)</a> <span class="text-muted">\((\d+)\)</span>', sidebar)
    assert tags == [("common", "8"), ("popular0", "6"), ("popular1", "5"), ("popular2", "4"),
                    ("popular3", "3")]


def test_popular_tags_are_counted_over_every_post_however_old(make, client, db, url_for):
    """The sidebar's popular tags rank tags by their posts over the whole blog: a tag on 3 old posts,
    older than the latest 100, outranks a tag on 2 of the newest."""
    long_ago = datetime.datetime(2000, 1, 1)
    for n in range(3):
        make.post(f"Old {n}", author="author", date=long_ago + datetime.timedelta(days=n), tags=["classic"])
    make.posts(100)  # each tagged "common" and a tag of its own
    for n in range(2):
        make.post(f"New {n}", author="author", date=datetime.datetime(2030, 1, 1 + n), tags=["fresh"])
    sidebar = client.get(url_for("home")).get_data(as_text=True).split('id="popular-tags"')[1]
    tags = re.findall(r'>([\w]+)</a> <span class="text-muted">\((\d+)\)</span>', sidebar)
    assert tags[:3] == [("common", "100"), ("classic", "3"), ("fresh", "2")], tags


def test_comment_is_posted_and_shown(make, client, db, models, url_for, csrf_token):
    """A comment sent with the form's CSRF token is saved, and the post's page then shows it."""
    make.posts(1)
    page = url_for("post", post_id=1)
    token = csrf_token(page)
    response = client.post(page, data={"csrf_token": token, "name": "Ann", "text": "Nice post!"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(page)
    html = client.get(page).get_data(as_text=True)
    assert "Nice post!" in html and "Ann" in html
    assert "your comment is posted" in html
    saved = db.session.scalar(select(models.Comment).filter_by(text="Nice post!"))
    assert (saved.name, saved.post_id) == ("Ann", 1)
    assert saved.date is not None


def test_comment_without_csrf_token_is_refused(make, client, db, models, url_for):
    """A comment posted without the form's CSRF token is refused and nothing is saved."""
    make.posts(1)
    response = client.post(url_for("post", post_id=1), data={"name": "Ann", "text": "Forged"})
    assert response.status_code == 200
    assert "The CSRF token is missing." in response.get_data(as_text=True)
    assert comment_count(db, models) == 1


@pytest.mark.parametrize("data, error", [
    ({"name": "", "text": "No name"}, "This field is required."),
    ({"name": "Ann", "text": ""}, "This field is required."),
    ({"name": "x" * 256, "text": "Long name"}, "Field cannot be longer than 255 characters."),
])
def test_invalid_comment_shows_errors_and_saves_nothing(make, client, db, models, url_for, csrf_token, data,
                                                        error):
    """A comment with a missing or too long field re-renders the post with the error; nothing is saved."""
    make.posts(1)
    page = url_for("post", post_id=1)
    token = csrf_token(page)
    response = client.post(page, data={"csrf_token": token, **data})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The text of post 0." in html
    assert f'<div class="invalid-feedback">{error}</div>' in html
    assert comment_count(db, models) == 1


def test_comment_text_is_escaped(make, client, db, models, url_for, csrf_token):
    """Markup typed into a comment is shown as text, not run as HTML."""
    make.posts(1)
    page = url_for("post", post_id=1)
    token = csrf_token(page)
    client.post(page, data={"csrf_token": token, "name": "Mallory", "text": "<script>alert(1)</script>"})
    html = client.get(page).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_bootstrap_is_served_by_the_app(client, db):
    """The pages load Bootstrap from the app itself, not from a CDN, so they render offline
    (Bootstrap-Flask's files; from chapter 10 on, inside the app's own bundles)."""
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert links and scripts
    served = {}
    for url in links + scripts:
        assert url.startswith("/"), url
        response = client.get(url)
        assert response.status_code == 200
        served[url] = response.get_data(as_text=True)
        response.close()  # a static file is streamed from disk: close it
    # Bootstrap's files begin with its licence comment, which minifying keeps ("/*!").
    assert any(" * Bootstrap " in served[url] for url in links), links
    assert any(" * Bootstrap " in served[url] for url in scripts), scripts
