"""Chapter 10's cache (Flask-Caching) is never wrong: each visitor sees their own page, their own CSRF
token and their own messages, and every write shows at once, however it is made. Each rule holds on
SimpleCache and on Redis (the `cache` fixture gives the app a real one; TestConfig's is NullCache)."""
import importlib
import re
import secrets
import shutil
import subprocess
import time

import pytest
from sqlalchemy import select

from workbook import live
from workbook.testing.services import need

pytestmark = pytest.mark.chapters(since=10)

PASSWORD = "correct horse battery"


def on_redis(redis_url):
    """A cache on the shared Redis, under a prefix of this test's own."""
    return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": f"test-cache-{secrets.token_hex(8)}:"}


@pytest.fixture(params=["SimpleCache", "RedisCache"])
def cache(request, app):
    """The app with a real cache: in its memory, or on the shared Redis under a prefix of this test's."""
    config = {"CACHE_TYPE": request.param}
    if request.param == "RedisCache":
        config = on_redis(request.getfixturevalue("redis_url"))
    cache = importlib.import_module("webapp.extensions").cache
    cache.init_app(app, config=config)
    yield cache
    with app.app_context():
        cache.clear()  # RedisCache: only the keys under this test's prefix


@pytest.fixture
def visitor(app):
    """Another browser, nobody signed in: `visitor()` opens a new one (its own cookies)."""
    return lambda: app.test_client()


def text(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def signed_in_as(html):
    found = re.search(r'id="signed-in">([^<]+)<', html)
    return found and found.group(1)


def token_in(html):
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def without_token(html):
    """The page, its CSRF token (each visitor's own) left out."""
    return re.sub(r'(name="csrf_token" (?:type="hidden" )?value=)"[^"]+"', r"\1", html)


# --------------------------------------------------------------------------- configuration


def test_each_configuration_has_its_cache(make_app, database_url, monkeypatch):
    """Tests cache nothing (NullCache), development keeps pages in the server's memory (SimpleCache),
    production in Redis at 127.0.0.1:6379 unless CACHE_REDIS_URL names another."""
    def backend(app):
        return type(app.extensions["cache"][importlib.import_module("webapp.extensions").cache]).__name__

    monkeypatch.setenv("SECRET_KEY", "a key for this test only")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.delenv("CACHE_TYPE", raising=False)
    monkeypatch.delenv("CACHE_REDIS_URL", raising=False)
    assert backend(make_app(database_url)) == "NullCache"
    assert backend(make_app(database_url, "DevConfig")) == "SimpleCache"
    production = make_app(database_url, "ProdConfig")
    assert backend(production) == "RedisCache"
    assert production.config["CACHE_REDIS_URL"].startswith("redis://127.0.0.1:6379")
    monkeypatch.setenv("CACHE_REDIS_URL", "redis://cache.internal:6380/2")
    assert make_app(database_url, "ProdConfig").config["CACHE_REDIS_URL"] == "redis://cache.internal:6380/2"


def test_without_a_cache_every_page_is_drawn_anew(app, make, visitor, url_for, sql_statements):
    """With NullCache (the tests' configuration, the book's), nothing keeps a page: the next visitor's
    page is drawn from the database again."""
    home = url_for("blog.home")
    make.post("First post", author="ann")
    assert "First post" in text(visitor().get(home))
    with sql_statements() as again:
        assert "First post" in text(visitor().get(home))
    assert again


# --------------------------------------------------------------------------- what is cached


@pytest.mark.parametrize("returning", [False, True], ids=["first visit", "with a session cookie"])
def test_an_anonymous_visitor_gets_the_home_page_from_the_cache(cache, make, visitor, url_for,
                                                                 sql_statements, returning):
    """A second anonymous visitor's home page and post page cost no SQL query: they come from the
    view's cache (`@cache.cached`), for a first visit without cookies as for a visitor with a session,
    with the security headers every answer carries and no one's cookie."""
    post = make.post("Cached", author="ann")
    for url in (url_for("blog.home"), url_for("blog.post", post_id=post.id)):
        first = visitor().get(url)
        second = visitor()
        if returning:
            second.get(url_for("blog.post", post_id=post.id))  # its form: a session, a CSRF token
            assert second.get_cookie("session") is not None
        with sql_statements() as run:
            again = second.get(url)
        assert run == [], url
        if not returning and url == url_for("blog.home"):
            assert "Set-Cookie" not in again.headers
        assert without_token(text(again)) == without_token(text(first))
        for header in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                       "Referrer-Policy"):
            assert again.headers.get(header) == first.headers.get(header) is not None, header


def test_each_page_of_the_home_page_is_its_own(cache, make, visitor, url_for):
    """/blog/2 shows the older posts, not the cached /blog/."""
    make.posts(12)
    browser = visitor()
    first = text(browser.get(url_for("blog.home"))).split('id="sidebar"')[0]  # the posts listed
    second = text(browser.get(url_for("blog.home", page=2))).split('id="sidebar"')[0]
    assert "Post 11<" in first and "Post 1<" not in first
    assert "Post 1<" in second and "Post 11<" not in second


# --------------------------------------------------------------------------- 1. for whom


def test_a_signed_in_user_never_gets_a_page_cached_for_someone_else(cache, auth, client, make,
                                                                    visitor, url_for):
    """After an anonymous visitor filled the cache, ann sees her own name in the navigation bar;
    after ann's visit, the next anonymous visitor sees Login, not ann; bob sees bob."""
    auth.user("ann", "poster")
    auth.user("bob")
    post = make.post("Shared", author="ann")
    for url in (url_for("blog.home"), url_for("blog.post", post_id=post.id)):
        assert signed_in_as(text(visitor().get(url))) is None
        auth.login("ann")
        assert signed_in_as(text(client.get(url))) == "ann"
        anonymous = text(visitor().get(url))
        assert signed_in_as(anonymous) is None and 'id="login"' in anonymous
        auth.logout()
        auth.login("bob")
        assert signed_in_as(text(client.get(url))) == "bob"
        auth.logout()


# --------------------------------------------------------------------------- 2. CSRF and messages


def test_the_comment_form_of_a_cached_post_page_works_for_the_next_visitor(cache, make, visitor,
                                                                          url_for, db, models):
    """The first visitor fills the cache; the second gets the page from it with a CSRF token of
    their own session (not the first's, nor their cookie), and their comment is taken."""
    post = make.post("Talk", author="ann")
    url = url_for("blog.post", post_id=post.id)
    first, second = visitor(), visitor()
    first_page = first.get(url)
    second_page = second.get(url)
    assert token_in(text(first_page)) != token_in(text(second_page))
    assert first.get_cookie("session").value != second.get_cookie("session").value
    answer = second.post(url, data={"csrf_token": token_in(text(second_page)), "name": "Bea",
                                    "text": "From the cached page."})
    assert answer.status_code == 302
    assert db.session.scalars(select(models.Comment.text).filter_by(post_id=post.id)).all() == \
        ["From the cached page."]


def test_a_flashed_message_is_shown_once_and_to_its_visitor_only(cache, make, visitor, url_for):
    """The "thank you" after a comment is shown to its writer, on a page not cached; the next
    visitor's page, and the writer's next one, have no message."""
    post = make.post("Talk", author="ann")
    url = url_for("blog.post", post_id=post.id)
    writer = visitor()
    token = token_in(text(writer.get(url)))
    writer.post(url, data={"csrf_token": token, "name": "Bea", "text": "Hello."})
    assert "Thank you" in text(writer.get(url))
    assert "Thank you" not in text(visitor().get(url))
    assert "Thank you" not in text(writer.get(url))


def test_a_message_waiting_for_a_visitor_is_shown_on_a_page_others_get_cached(cache, make, visitor,
                                                                              url_for):
    """A visitor with a flashed message waiting (set by their last request) sees it on the home
    page that the cache holds for everyone else; the others still do not."""
    make.post("Quiet", author="ann")
    home = url_for("blog.home")
    assert "Welcome back" not in text(visitor().get(home))
    waiting = visitor()
    with waiting.session_transaction() as session:
        session["_flashes"] = [("info", "Welcome back")]
    assert "Welcome back" in text(waiting.get(home))
    assert "Welcome back" not in text(visitor().get(home))
    assert "Welcome back" not in text(waiting.get(home))


def cached_like_the_blog(app, cache, rule, view):
    """`view` at `rule` on this test's app, decorated as the blog's cached pages are."""
    caching = importlib.import_module("webapp.caching")
    page = cache.cached(timeout=60, key_prefix=caching.page_key, unless=caching.personal,
                        response_filter=caching.shareable)(view)
    app.add_url_rule(rule, view.__name__, caching.per_visitor_csrf(page))


def test_an_answer_that_sets_a_cookie_is_never_replayed_to_another_visitor(cache, app, visitor):
    """A page whose answer sets a cookie: the next visitor never gets the first one's cookie."""
    def with_a_cookie():
        value = secrets.token_hex(8)
        flask = importlib.import_module("flask")
        flask.after_this_request(lambda response: response.set_cookie("pref", value) or response)
        return "<p>a page</p>"

    cached_like_the_blog(app, cache, "/test/with-a-cookie", with_a_cookie)
    first = visitor().get("/test/with-a-cookie")
    mine = first.headers["Set-Cookie"]
    assert "pref=" in mine
    for _ in range(2):
        assert mine not in visitor().get("/test/with-a-cookie").headers.getlist("Set-Cookie")


def test_a_page_that_wrote_to_its_visitors_session_is_not_kept(cache, app, visitor):
    """A page drawn while the view wrote to the visitor's session was theirs: drawn anew for the next."""
    drawn = []

    def writes_the_session():
        importlib.import_module("flask").session["seen"] = True
        drawn.append(1)
        return f"<p>page {len(drawn)}</p>"

    cached_like_the_blog(app, cache, "/test/writes-the-session", writes_the_session)
    pages = [text(visitor().get("/test/writes-the-session")) for _ in range(2)]
    assert pages == ["<p>page 1</p>", "<p>page 2</p>"]


# --------------------------------------------------------------------------- 3. writes show at once


def test_a_post_written_on_the_blog_form_shows_at_once(cache, auth, client, make, visitor, url_for):
    """A poster's new post and their edit of it are on the cached home page (and in the sidebar)
    the next moment, for anonymous visitors and for the poster."""
    auth.user("ann", "poster")
    make.post("Old news", author="ann", tags=["misc"])
    home = url_for("blog.home")
    assert "Old news" in text(visitor().get(home))
    assert "Old news</a></li>" in text(visitor().get(url_for("blog.tag", tag_name="misc")))
    auth.login("ann")
    written = auth.post_form(url_for("blog.new_post"), {"title": "Fresh news", "text": "Hot."})
    assert written.status_code == 302
    assert "Fresh news" in text(visitor().get(home))
    # The tag page is not cached, but its sidebar is (two hours): the new post is in it.
    assert "Fresh news</a></li>" in text(visitor().get(url_for("blog.tag", tag_name="misc")))
    post_url = written.headers["Location"]
    assert "Fresh news" in text(visitor().get(post_url))
    edit = url_for("blog.edit_post", id=int(post_url.rsplit("/", 1)[1]))
    assert auth.post_form(edit, {"title": "Edited news", "text": "Hot."}).status_code == 302
    for url in (home, post_url):
        page = text(visitor().get(url))
        assert "Edited news" in page and "Fresh news" not in page


def test_a_comment_shows_at_once_on_the_cached_post_page(cache, make, visitor, url_for):
    """A comment posted through the form is on the cached post page for the next visitor."""
    post = make.post("Talk", author="ann")
    url = url_for("blog.post", post_id=post.id)
    assert "No comments yet" in text(visitor().get(url))
    writer = visitor()
    writer.post(url, data={"csrf_token": token_in(text(writer.get(url))), "name": "Bea",
                           "text": "First!"})
    assert "First!" in text(visitor().get(url))


def test_a_post_from_the_rest_api_shows_at_once(cache, client, make, visitor, url_for):
    """POST /api/post: the new post is on the cached home page at once."""
    make.user("ann", "poster", password=PASSWORD)
    home = url_for("blog.home")
    assert "From the API" not in text(visitor().get(home))
    token = client.post("/api/auth", json={"username": "ann", "password": PASSWORD}).get_json()["token"]
    created = client.post("/api/post", json={"title": "From the API", "text": "x"},
                          headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.get_json()
    assert "From the API" in text(visitor().get(home))


def test_posts_from_a_flask_command_and_the_shell_show_at_once(cache, runner, make, visitor, url_for,
                                                              db, models):
    """`flask seed` and a change made with the models (the shell, the admin) empty the cache."""
    home = url_for("blog.home")
    make.post("Before the seed", author="ann")
    assert "Before the seed" in text(visitor().get(home))
    result = runner.invoke(args=["seed", "--users", "2", "--posts", "3", "--tags", "2"])
    assert result.exit_code == 0, result.output
    newest = db.session.scalars(select(models.Post).order_by(models.Post.publish_date.desc())).first()
    assert newest.title in text(visitor().get(home))
    newest.title = "Renamed in the shell"
    db.session.commit()
    assert "Renamed in the shell" in text(visitor().get(home))


def test_another_worker_shows_a_write_at_once(app, make_app, database_url, redis_url, make, url_for):
    """Two worker processes on one Redis: after a post written through one, the other shows it at
    once, to a visitor who sends a cookie as to one who sends none."""
    config = on_redis(redis_url)
    cache = importlib.import_module("webapp.extensions").cache
    other = make_app(database_url)
    for worker in (app, other):
        cache.init_app(worker, config=config)
    home = url_for("blog.home")
    make.post("First post", author="ann")
    assert "First post" in text(other.test_client().get(home))  # cached by the other worker now
    make.post("Second post", author="ann")  # through this worker (the test's app)
    with_cookie = other.test_client()
    with_cookie.set_cookie("seen", "1")
    assert "Second post" in text(with_cookie.get(home))
    assert "Second post" in text(other.test_client().get(home))
    with app.app_context():
        cache.clear()


# --------------------------------------------------------------------------- the cache down


class OwnRedis:
    """A redis-server of the test's own, which the test stops and starts again. Stopped, it saves
    its data, and started again it loads it: a Redis that comes back after an outage with the
    entries it held (the blog's old version, the pages cached under it)."""

    def __init__(self, folder):
        self.folder, self.port = folder, live.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True,
                             text=True).stdout.strip() != "PONG":
            assert self.process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self):
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "save"], capture_output=True)
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        need("redis-server is not installed: the cache-outage tests start one of their own")
    redis = OwnRedis(tmp_path)
    redis.start()
    yield redis
    if redis.process.poll() is None:
        redis.stop()


@pytest.mark.parametrize("seen_by", ["the writer", "another worker"])
def test_a_post_written_while_the_cache_is_down_shows_when_it_is_back(app, make_app, database_url, make,
                                                                     url_for, own_redis, seen_by):
    """A post written while Redis is down is on the home page and in the sidebar as soon as Redis
    is back with its old entries: the version the write could not renew is renewed before the cache
    serves anything again, by the process that wrote (its next request) or by any worker that found
    the cache down meanwhile."""
    cache = importlib.import_module("webapp.extensions").cache
    config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": own_redis.url}
    other = make_app(database_url)
    for worker in (app, other):
        cache.init_app(worker, config=config)
    home, tag = url_for("blog.home"), url_for("blog.tag", tag_name="misc")
    make.post("Before the outage", author="ann", tags=["misc"])
    for worker in (app, other):
        assert "Before the outage" in text(worker.test_client().get(home))
        assert "Before the outage</a></li>" in text(worker.test_client().get(tag))  # the sidebar
    own_redis.stop()
    make.post("During the outage", author="ann")  # the new version cannot be stored
    if seen_by == "another worker":
        # The writer was a `flask` command, gone now; a worker served a page meanwhile.
        assert "During the outage" in text(other.test_client().get(home))
        reader = other
    else:
        reader = app
    own_redis.start()
    for _ in range(2):
        assert "During the outage" in text(reader.test_client().get(home))
        assert "During the outage</a></li>" in text(reader.test_client().get(tag))
    with app.app_context():
        cache.clear()
