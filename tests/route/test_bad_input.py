"""Bad input (chapter 3 on) is refused, never a 500, on SQLite and on PostgreSQL: a NUL character in a
form field or a URL, an id larger than the database's integers, a field longer than it may be.

PostgreSQL refuses text holding a NUL character (`\\x00`) and integers beyond its column's range,
where SQLite takes them or fails differently: each test runs on both.
"""
import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.chapters(since=3)

NUL = "\x00"
# Beyond a PostgreSQL `integer` (2**31 - 1) and beyond any SQLite integer (2**63 - 1).
TOO_BIG = [2**31, 2**63]


@pytest.fixture
def database_url(sqlite_or_postgresql_url):
    """Each test of this file on a fresh SQLite file and on a fresh PostgreSQL database."""
    return sqlite_or_postgresql_url


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def a_post(make):
    return make.post("A post", author="ann", tags=["flask"])


@pytest.fixture
def form(client, csrf_token):
    """POST a form as a browser would: the page's CSRF token sent back."""
    def post(path, data):
        return client.post(path, data={"csrf_token": csrf_token(path), **data})
    return post


# --------------------------------------------------------------------------- NUL characters


@pytest.mark.parametrize("field", ["name", "text"])
def test_comment_with_a_nul_character_is_refused_with_a_form_error(
        form, db, models, a_post, url_for, field):
    """A comment whose name or text holds a NUL character gets a form error and is not stored."""
    data = {"name": "Ann", "text": "Hello", field: f"bad{NUL}input"}
    response = form(url_for("post", post_id=a_post.id), data)
    assert response.status_code == 200
    assert "is-invalid" in response.text
    assert count(db, models.Comment) == 0


@pytest.mark.parametrize("endpoint, argument", [("tag", "tag_name"), ("user", "username")])
def test_nul_character_in_a_url_is_a_bad_request(client, db, a_post, url_for, endpoint, argument):
    """A tag or user page whose name in the URL holds a NUL character (`%00`) answers 400."""
    for value in (NUL, f"flask{NUL}", f"a{NUL}b"):
        assert client.get(url_for(endpoint, **{argument: value})).status_code == 400


@pytest.mark.chapters(since=6)
@pytest.mark.parametrize("field", ["username", "password"])
def test_login_with_a_nul_character_is_a_form_error(form, db, auth, url_for, field):
    """A login whose username or password holds a NUL character gets a form error, nobody signed in."""
    auth.user("ann")
    data = {"username": "ann", "password": auth.password, field: f"ann{NUL}"}
    response = form(url_for("main.login"), data)
    assert response.status_code == 200 and "is-invalid" in response.text


@pytest.mark.chapters(since=6)
@pytest.mark.parametrize("field", ["username", "password", "confirm"])
def test_registration_with_a_nul_character_is_a_form_error(form, db, models, url_for, field):
    """A registration with a NUL character in any field gets a form error and creates nobody."""
    data = {"username": "mallory", "password": "long enough", "confirm": "long enough"}
    data[field] = data[field] + NUL
    if field == "password":
        data["confirm"] = data["password"]
    response = form(url_for("main.register"), data)
    assert response.status_code == 200 and "is-invalid" in response.text
    assert count(db, models.User) == 0


@pytest.mark.chapters(since=6)
@pytest.mark.parametrize("field", ["title", "text"])
def test_post_with_a_nul_character_is_a_form_error(form, db, models, make, auth, url_for, field):
    """A new post, or an edit, with a NUL character in its title or text gets a form error."""
    poster = auth.user("poster", "poster")
    auth.login("poster")
    data = {"title": "Title", "text": "Text", field: f"bad{NUL}"}
    response = form(url_for("new_post"), data)
    assert response.status_code == 200 and "is-invalid" in response.text
    assert count(db, models.Post) == 0

    post = make.post("Mine", author=poster)
    response = form(url_for("edit_post", id=post.id), data)
    assert response.status_code == 200 and "is-invalid" in response.text
    db.session.expire_all()
    assert (post.title, post.text) == ("Mine", "Some text.")


# --------------------------------------------------------------------------- ids out of range


@pytest.mark.parametrize("number", [2**31 - 1, *TOO_BIG])
def test_post_id_beyond_the_database_integers_is_404(client, db, a_post, url_for, number):
    """A post id larger than the database can hold answers 404, like any other missing post."""
    assert client.get(url_for("post", post_id=number)).status_code == 404
    assert client.post(url_for("post", post_id=number), data={}).status_code == 404


@pytest.mark.parametrize("number", [2**31 - 1, *TOO_BIG])
def test_page_number_beyond_the_database_integers_is_404(client, db, a_post, url_for, number):
    """A page number of the home page larger than the database can count answers 404."""
    assert client.get(url_for("home", page=number)).status_code == 404


@pytest.mark.chapters(since=4)
@pytest.mark.parametrize("number", TOO_BIG)
def test_user_view_id_beyond_the_database_integers_is_404(client, db, a_post, url_for, number):
    """The /user/<id> JSON view answers 404 for an id larger than the database can hold."""
    assert client.get(url_for("users", user_id=number)).status_code == 404


@pytest.mark.chapters(since=6)
@pytest.mark.parametrize("number", TOO_BIG)
def test_edit_id_beyond_the_database_integers_is_404(client, db, auth, url_for, number):
    """The edit page answers 404 for a post id larger than the database can hold."""
    auth.user("poster", "poster")
    auth.login("poster")
    assert client.get(url_for("edit_post", id=number)).status_code == 404


# --------------------------------------------------------------------------- lengths


def test_comment_of_a_megabyte_is_refused_with_a_form_error(form, db, models, a_post, url_for):
    """A comment of a million characters gets a form error saying how long it may be; nothing stored."""
    response = form(url_for("post", post_id=a_post.id), {"name": "Ann", "text": "x" * 1_000_000})
    assert response.status_code == 200
    assert "is-invalid" in response.text and "10000" in response.text
    assert count(db, models.Comment) == 0


def test_comment_name_longer_than_its_column_is_a_form_error(form, db, models, a_post, url_for):
    """A commenter's name longer than its column (255) gets a form error; nothing stored."""
    response = form(url_for("post", post_id=a_post.id), {"name": "x" * 256, "text": "Hello"})
    assert response.status_code == 200 and "is-invalid" in response.text
    assert count(db, models.Comment) == 0


def test_request_body_over_the_limit_is_413(client, db, a_post, url_for):
    """A request body larger than MAX_CONTENT_LENGTH (1 MB) answers 413; nothing stored."""
    response = client.post(url_for("post", post_id=a_post.id),
                           data={"name": "Ann", "text": "x" * 2_000_000})
    assert response.status_code == 413


@pytest.mark.chapters(since=6)
def test_post_text_longer_than_allowed_is_a_form_error(form, db, models, auth, url_for):
    """A new post with more than 100,000 characters of text gets a form error and is not stored."""
    auth.user("poster", "poster")
    auth.login("poster")
    response = form(url_for("new_post"), {"title": "Long", "text": "x" * 100_001})
    assert response.status_code == 200 and "is-invalid" in response.text
    assert count(db, models.Post) == 0
