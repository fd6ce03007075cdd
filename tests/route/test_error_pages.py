"""Error pages (chapter 4 on): every error a visitor can meet answers in the blog's own layout, and a
database that is down answers 503 with a page that does not need it, recovering once it is back."""
import contextlib

import pytest
import sqlalchemy as sa

from workbook.testing.services import SERVICE_URLS, fresh_database

pytestmark = pytest.mark.chapters(since=4)


def themed(html: str) -> bool:
    """The blog's layout: its navigation bar and its stylesheet (Bootstrap's, or from chapter 10 the
    bundle holding it), not Werkzeug's bare page."""
    return 'class="navbar-brand" href="/blog/"' in html and '<link rel="stylesheet"' in html


@pytest.fixture
def a_post(make):
    return make.post("A post", author="ann", tags=["flask"])


def test_bad_request_page_keeps_the_layout(client, db, url_for):
    """A bad request (here a NUL character in a URL) answers 400 in the site's layout."""
    response = client.get(url_for("tag", tag_name="\x00"))
    assert response.status_code == 400
    assert themed(response.text) and "400 · Bad Request" in response.text


def test_method_not_allowed_page_keeps_the_layout(client, db, url_for):
    """A method a page does not take answers 405 in the site's layout, with its Allow header."""
    response = client.post(url_for("about"))
    assert response.status_code == 405
    assert themed(response.text) and "405 · Method Not Allowed" in response.text
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}


def test_too_large_page_keeps_the_layout(client, db, a_post, url_for):
    """A request body over the limit answers 413 in the site's layout."""
    response = client.post(url_for("post", post_id=a_post.id),
                           data={"name": "Ann", "text": "x" * 2_000_000})
    assert response.status_code == 413
    assert themed(response.text) and "413 · Request Entity Too Large" in response.text


# --------------------------------------------------------------------------- the database is down


@pytest.fixture
def database_url():
    """A PostgreSQL database of the test's own, which the test can close to connections."""
    yield from fresh_database("postgresql", own_database=True)


@pytest.fixture
def postgres(database_url):
    """Close the test's database (as a database going down does) and open it again."""
    name = sa.make_url(database_url).database
    engine = sa.create_engine(SERVICE_URLS["postgresql"], isolation_level="AUTOCOMMIT")

    class Server:
        def drop_connections(self):
            with engine.connect() as connection:
                connection.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})

        def stop(self):
            with engine.connect() as connection:
                connection.execute(sa.text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
            self.drop_connections()

        def start(self):
            with engine.connect() as connection:
                connection.execute(sa.text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))

    server = Server()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.start()
        engine.dispose()


@pytest.fixture
def signed_in(chapter, client, make, auth):
    """A visitor signed in as bo: by the session's user id (chapters 4-5), by logging in (6 on)."""
    if chapter.rank >= 6:
        auth.user("bo")
        auth.login("bo")
        return
    bo = make.user("bo")
    with client.session_transaction() as session:
        session["user_id"] = bo.id


@pytest.mark.services
def test_database_down_answers_503_in_the_layout_then_recovers(
        app, client, db, a_post, signed_in, postgres, url_for):
    """With the database down, a signed-in visitor gets a 503 page in the site's layout, and the
    pages work again on the first request after it is back."""
    assert client.get(url_for("home")).status_code == 200
    # The post's id read while the database is up: nothing on the home page loads the post again.
    paths = (url_for("home"), url_for("post", post_id=a_post.id), url_for("about"))

    postgres.stop()
    for path in paths:
        response = client.get(path)
        assert response.status_code == 503, path
        assert themed(response.text) and "503 · " in response.text

    postgres.start()
    response = client.get(url_for("home"))
    assert response.status_code == 200 and "A post" in response.text


@pytest.mark.services
def test_first_request_after_a_database_restart_succeeds(
        app, client, db, a_post, signed_in, postgres, url_for):
    """After the database drops every connection (a restart), the next request still succeeds."""
    assert client.get(url_for("home")).status_code == 200
    # The test client shares the test's app context, whose session keeps its connection; under a
    # server the end of the request gives it back to the pool, where the restart finds it.
    db.session.remove()
    postgres.drop_connections()
    response = client.get(url_for("home"))
    assert response.status_code == 200 and "A post" in response.text


@pytest.mark.chapters(since=8)
@pytest.mark.services
def test_api_answers_503_in_json_while_the_database_is_down(client, db, a_post, postgres):
    """With the database down, the REST API answers 503 with a JSON reason, never a page, and
    works again on the first request after the database is back."""
    paths = ("/api/post", f"/api/post/{a_post.id}")
    postgres.stop()
    for path in paths:
        response = client.get(path)
        assert response.status_code == 503 and response.is_json, path
        assert "database" in response.get_json()["message"]
    postgres.start()
    assert client.get("/api/post").status_code == 200
