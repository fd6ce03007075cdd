"""Rate limits on signing in and up (chapter 6 on): per client (its address) and per account (a
username, whatever address its attempts come from), answered with the blog's own 429 page."""
import uuid

import pytest

pytestmark = pytest.mark.chapters(since=6)


def at(address: str) -> dict:
    """What makes a request come from another client: its address."""
    return {"environ_base": {"REMOTE_ADDR": address}}


@pytest.fixture
def limits(app):
    """Set the app's limits: `limits(LOGIN_LIMIT_PER_CLIENT="3 per minute")`; the rest stay generous."""
    def set_limits(**chosen):
        generous = dict.fromkeys(("LOGIN_LIMIT_PER_CLIENT", "LOGIN_LIMIT_PER_ACCOUNT",
                                  "REGISTER_LIMIT_PER_CLIENT", "REGISTER_LIMIT_PER_ACCOUNT"),
                         "100 per minute")
        app.config.update({**generous, **chosen})
    return set_limits


def register(auth, username, **kwargs):
    return auth.post_form(auth.url_for("main.register"), {
        "username": username, "password": "long enough", "confirm": "long enough"}, **kwargs)


def test_one_client_gets_a_few_login_attempts_then_429(client, db, auth, limits):
    """After its allowed login attempts, a client gets 429 (whatever names it tries); another client does
    not."""
    limits(LOGIN_LIMIT_PER_CLIENT="3 per minute")
    for name in ("ann", "bob", "cy"):
        assert auth.login(name, password="wrong", **at("10.0.0.1")).status_code == 200
    assert auth.login("dee", password="wrong", **at("10.0.0.1")).status_code == 429
    assert auth.login("dee", password="wrong", **at("10.0.0.2")).status_code == 200


def test_one_account_gets_a_few_failed_logins_from_anywhere(client, db, auth, limits):
    """Failed logins to one account from many addresses are stopped: then even its right password gets 429."""
    limits(LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
    auth.user("ada")
    auth.user("bea")
    for n in range(3):
        assert auth.login("ada", password="wrong", **at(f"10.0.1.{n}")).status_code == 200
    assert auth.login("ada", password="wrong", **at("10.0.1.9")).status_code == 429
    assert auth.login(" ADA ", password="wrong", **at("10.0.1.10")).status_code == 429
    assert auth.login("ada", **at("10.0.1.11")).status_code == 429
    # Another account, from an address that tried ada, is not held back.
    assert auth.login("bea", **at("10.0.1.9")).status_code == 302


def test_successful_logins_do_not_use_up_the_accounts_limit(client, db, auth, limits):
    """An account's limit counts only failed logins: its owner logging in again and again is never refused."""
    limits(LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
    auth.user("ada")
    for _ in range(4):
        assert auth.login("ada").status_code == 302


def test_one_client_gets_a_few_registrations_then_429(client, db, models, auth, limits):
    """After its allowed registrations, a client gets 429 and nobody more is created; another client may
    register."""
    limits(REGISTER_LIMIT_PER_CLIENT="2 per minute")
    assert register(auth, "ann", **at("10.0.2.1")).status_code == 302
    assert register(auth, "bob", **at("10.0.2.1")).status_code == 302
    assert register(auth, "cy", **at("10.0.2.1")).status_code == 429
    assert db.session.scalars(db.select(models.User.username)).all() == ["ann", "bob"]
    assert register(auth, "cy", **at("10.0.2.2")).status_code == 302


def test_one_username_gets_a_few_registrations_from_anywhere(client, db, auth, limits):
    """Registering one username over and over, from many addresses, is stopped with 429."""
    limits(REGISTER_LIMIT_PER_ACCOUNT="2 per minute")
    for n in range(2):
        assert register(auth, "mallory", **at(f"10.0.3.{n}")).status_code in (200, 302)
    assert register(auth, "Mallory", **at("10.0.3.9")).status_code == 429
    assert register(auth, "ann", **at("10.0.3.9")).status_code == 302


def test_showing_the_forms_is_never_limited(client, db, auth, url_for, limits):
    """Only POSTs count: the login and register pages themselves always show."""
    limits(LOGIN_LIMIT_PER_CLIENT="1 per minute", REGISTER_LIMIT_PER_CLIENT="1 per minute")
    for _ in range(3):
        assert client.get(url_for("main.login")).status_code == 200
        assert client.get(url_for("main.register")).status_code == 200


def test_too_many_attempts_get_the_blogs_429_page_with_retry_after(client, db, auth, limits):
    """A refused attempt gets the blog's own 429 page, saying to wait, with Retry-After in seconds."""
    limits(LOGIN_LIMIT_PER_CLIENT="1 per minute")
    auth.login("ann", password="wrong")
    response = auth.login("ann", password="wrong")
    assert response.status_code == 429
    html = response.text
    assert "<title>Too many attempts</title>" in html and "My Blog" in html
    assert "Please wait a minute and try again." in html
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_the_default_limits_stop_a_password_guesser(client, db, auth):
    """With the chapter's own settings, a client guessing passwords is refused within a dozen tries."""
    auth.user("ada")
    answers = [auth.login("ada", password=f"guess {n}").status_code for n in range(12)]
    assert 429 in answers and answers[0] == 200


@pytest.mark.services
def test_production_keeps_the_counts_in_redis(make_app, database_url, redis_url, monkeypatch):
    """The production configuration counts in Redis (shared by every worker): its default limit holds
    there."""
    monkeypatch.setenv("SECRET_KEY", "a key for this test only")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", redis_url)
    app = make_app(database_url, "ProdConfig")
    assert app.config["RATELIMIT_STORAGE_URI"] == redis_url
    # An address of this test's own, so that no other run's counts are in the way.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    name = f"guess-{uuid.uuid4().hex}"
    client = app.test_client()
    answers = [client.post("/login", data={"username": name, "password": "x"}, **at(address)).status_code
               for _ in range(12)]
    assert 429 in answers

    import redis

    with redis.Redis.from_url(redis_url) as server:
        assert any(server.scan_iter(match=f"*{address}*")), "no count of this client in Redis"


def test_production_still_limits_while_redis_is_down(make_app, database_url, monkeypatch):
    """With Redis unreachable, production counts in memory meanwhile: logins are answered, and limited."""
    from workbook.live import free_port

    monkeypatch.setenv("SECRET_KEY", "a key for this test only")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", f"redis://127.0.0.1:{free_port()}")
    app = make_app(database_url, "ProdConfig")
    client = app.test_client()
    answers = [client.post("/login", data={"username": "ann", "password": "x"}).status_code
               for _ in range(12)]
    # (Flask-Limiter also logs "falling back to in-memory storage", but only once per process,
    # so the log is not asserted: another test may have seen it first.)
    assert set(answers) == {200, 429} and answers[0] == 200
