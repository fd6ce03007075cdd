"""Chapter 4 on: the blog blueprint under /blog, the user on `g`, error pages, class-based views."""
import pytest
from sqlalchemy import select

pytestmark = pytest.mark.chapters(since=4)


def sign_in(client, user_id):
    """What signing in (chapter 6) will do: put the user's id in the session."""
    with client.session_transaction() as session:
        session["user_id"] = user_id


@pytest.fixture
def ann(db, models):
    user = models.User("ann")
    db.session.add(user)
    db.session.commit()
    return user


def test_root_redirects_to_the_blog(client, url_for):
    """`/` redirects to the blog's home page, which lives under /blog."""
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == url_for("blog.home") == "/blog/"
    assert client.get("/", follow_redirects=True).status_code == 200


# Chapter 6 signs users in with Flask-Login (and adds /blog/new, /blog/edit): see test_login.py.
@pytest.mark.chapters(since=4, until=5)
def test_blog_pages_live_under_blog(app, url_for):
    """Every page of the blog blueprint has a URL starting with /blog."""
    rules = [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("blog.")]
    assert len(rules) == 5  # home (twice: / and /<page>), post, tag, user
    assert all(rule.startswith("/blog/") for rule in rules)


def test_restricted_page_is_403_for_nobody(client, db, url_for):
    """With nobody signed in, the restricted page answers 403 with the site's own error page."""
    response = client.get(url_for("admin"))
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "403 · Forbidden" in html
    assert 'class="navbar-brand" href="/blog/"' in html


# Chapter 6 signs users in with Flask-Login (and adds /blog/new, /blog/edit): see test_login.py.
@pytest.mark.chapters(since=4, until=5)
def test_restricted_page_greets_the_user_from_the_session(client, ann, url_for):
    """With a user id in the session, `g.user` is that user and the restricted page shows their name."""
    sign_in(client, ann.id)
    response = client.get(url_for("admin"))
    assert response.status_code == 200
    assert '<strong id="username">ann</strong>' in response.get_data(as_text=True)


def test_unknown_user_in_session_is_nobody(client, db, url_for):
    """A session naming a user who no longer exists counts as nobody signed in."""
    sign_in(client, 12345)
    assert client.get(url_for("admin")).status_code == 403


def test_404_page_keeps_the_layout(client, db):
    """An unknown URL answers 404 with a page in the site's layout, linking back to the blog."""
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "404 · Page not found" in html
    assert '<link rel="stylesheet"' in html and 'href="/blog/"' in html


def test_500_page_keeps_the_layout(app, client, db):
    """An error inside a view answers 500 with a page in the site's layout."""
    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken", view_func=broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the handler answers
    response = client.get("/broken")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "500 · Something went wrong" in html and 'href="/blog/"' in html


def test_generic_view_answers_get_with_its_template(client, db, url_for):
    """GenericView answers GET and HEAD with its template; POST is not allowed (405)."""
    url = url_for("about")
    response = client.get(url)
    assert response.status_code == 200
    assert "GenericView" in response.get_data(as_text=True)
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


# Chapter 6 keeps the list for admins: see test_user_view_is_for_admins.py.
@pytest.mark.chapters(since=4, until=5)
def test_user_view_lists_users_and_shows_one_by_id(client, ann, url_for):
    """UserView GET lists the users as JSON, or one user by id; an unknown id is 404."""
    assert client.get(url_for("users")).get_json() == [{"id": ann.id, "username": "ann"}]
    assert client.get(url_for("users", user_id=ann.id)).get_json() == {"id": ann.id, "username": "ann"}
    assert client.get(url_for("users", user_id=999)).status_code == 404


# Chapter 6 gives the writes to admins only: see test_user_view_is_for_admins.py.
@pytest.mark.chapters(since=4, until=5)
def test_user_view_creates_a_user_for_a_signed_in_user_only(client, db, models, ann, url_for):
    """UserView POST creates a user (201, with its URL) for a signed-in user, 403 for nobody, 400 without a
    name."""
    assert client.post(url_for("users"), json={"username": "bob"}).status_code == 403
    sign_in(client, ann.id)
    response = client.post(url_for("users"), json={"username": "bob"})
    assert response.status_code == 201
    bob = response.get_json()
    assert bob["username"] == "bob"
    assert response.headers["Location"] == url_for("users", user_id=bob["id"])
    assert client.post(url_for("users"), json={"username": " "}).status_code == 400
    assert client.post(url_for("users"), json=["bob"]).status_code == 400
    assert len(db.session.scalars(select(models.User)).all()) == 2


# Chapter 6 gives the writes to admins only: see test_user_view_is_for_admins.py.
@pytest.mark.chapters(since=4, until=5)
def test_user_view_renames_a_user_for_a_signed_in_user_only(client, db, models, ann, url_for):
    """UserView PUT renames a user for a signed-in user, 403 for nobody, 404 for an unknown id."""
    url = url_for("users", user_id=ann.id)
    assert client.put(url, json={"username": "anna"}).status_code == 403
    sign_in(client, ann.id)
    assert client.put(url, json={"username": "anna"}).get_json() == {"id": ann.id, "username": "anna"}
    assert client.put(url_for("users", user_id=999), json={"username": "x"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(models.User, ann.id).username == "anna"


# Chapter 6 gives the writes to admins only: see test_user_view_is_for_admins.py.
@pytest.mark.chapters(since=4, until=5)
def test_user_view_deletes_a_user_for_a_signed_in_user_only(client, db, models, ann, url_for):
    """UserView DELETE removes a user for a signed-in user (204), 403 for nobody, 404 for an unknown id."""
    other = models.User("gone")
    db.session.add(other)
    db.session.commit()
    url = url_for("users", user_id=other.id)
    assert client.delete(url).status_code == 403
    sign_in(client, ann.id)
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 404
    db.session.expire_all()
    assert db.session.get(models.User, other.id) is None


def test_user_view_undefined_verbs_are_405(client, ann, url_for):
    """A verb UserView does not define for a URL answers 405: PATCH anywhere, PUT and DELETE on the list."""
    assert client.patch(url_for("users", user_id=ann.id), json={}).status_code == 405
    assert client.put(url_for("users"), json={}).status_code == 405
    assert client.delete(url_for("users")).status_code == 405
    assert client.post(url_for("users", user_id=ann.id), json={}).status_code == 405
