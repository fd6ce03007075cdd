"""Social login (chapter 6): signing in through an OpenID Connect provider or a Facebook-style one.

The tests run the whole redirect → callback → account flow against local providers on 127.0.0.1
(workbook/testing/oauth_provider.py); nothing reaches the internet.
"""
import pytest
import requests

pytestmark = pytest.mark.chapters(since=6)


@pytest.fixture
def social_app(make_app, database_url, provider, monkeypatch):
    """The chapter's app with both social logins pointed at the local provider."""
    for name, value in {**provider.oidc_settings(), **provider.facebook_settings()}.items():
        monkeypatch.setenv(name, value)
    # Authlib keeps each provider's client, with its addresses, for the process (extensions.py): this
    # test's provider gets a fresh import of the chapter.
    app = make_app(database_url, fresh=True)
    with app.app_context():
        app.extensions["sqlalchemy"].create_all()
        yield app


def sign_in_with(client, start: str) -> "object":
    """Click the provider's button, let the provider approve, come back: the app's last answer."""
    from urllib.parse import urlsplit

    to_provider = client.get(start)
    assert to_provider.status_code == 302, to_provider.get_data(as_text=True)
    back = requests.get(to_provider.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def usernames(app):
    from sqlalchemy import select

    from webapp.models import User

    db = app.extensions["sqlalchemy"]
    db.session.expire_all()
    return [(u.username, u.social_id, u.password) for u in db.session.scalars(select(User).order_by(User.id))]


def test_login_page_offers_configured_providers_only(app, social_app, url_for):
    """The login page offers a provider only when its client id and secret are configured."""
    plain = app.test_client().get(url_for("main.login")).get_data(as_text=True)
    assert "social-logins" not in plain and "/oidc" not in plain and "/facebook" not in plain
    assert app.test_client().get("/oidc").status_code == 404
    offered = social_app.test_client().get("/login").get_data(as_text=True)
    assert ">Workbook ID</a>" in offered and ">Facebook</a>" in offered


def test_first_openid_connect_login_creates_the_user(social_app, provider):
    """A first sign-in through OpenID Connect creates the user (no password) and logs them in."""
    client = social_app.test_client()
    response = sign_in_with(client, "/oidc")
    assert response.status_code == 302 and response.headers["Location"] == "/blog/"
    assert 'id="signed-in">Ada_Lovelace<' in client.get("/blog/").get_data(as_text=True)
    assert usernames(social_app) == [("Ada_Lovelace", "oidc:oidc-1001", None)]
    assert provider.seen[:5] == ["GET /.well-known/openid-configuration", "GET /authorize",
                                 "POST /token", "GET /jwks", "GET /userinfo"]


def test_later_openid_connect_login_is_the_same_user(social_app, provider):
    """Signing in again through the same provider logs in the same user, even after a name change."""
    sign_in_with(social_app.test_client(), "/oidc")
    provider.user = {**provider.user, "name": "Ada King"}
    client = social_app.test_client()
    sign_in_with(client, "/oidc")
    assert usernames(social_app) == [("Ada_Lovelace", "oidc:oidc-1001", None)]
    assert 'id="signed-in">Ada_Lovelace<' in client.get("/blog/").get_data(as_text=True)


def test_social_login_never_takes_over_a_local_account(social_app, provider):
    """A provider's user named like a local user gets an account of their own, not the local one."""
    from webapp.models import User

    db = social_app.extensions["sqlalchemy"]
    local = User("ada_lovelace")
    local.set_password("the real ada")
    db.session.add(local)
    db.session.commit()
    sign_in_with(social_app.test_client(), "/oidc")
    assert [name for name, _, _ in usernames(social_app)] == ["ada_lovelace", "Ada_Lovelace_2"]


def test_social_login_makes_a_name_the_rules_allow(social_app, provider):
    """A provider's display name with "/", spaces or accents becomes an allowed username whose profile page
    works."""
    provider.user = {**provider.user, "name": "José / Núñez"}
    client = social_app.test_client()
    sign_in_with(client, "/oidc")
    assert [name for name, _, _ in usernames(social_app)] == ["Jose_Nunez"]
    assert client.get("/blog/user/Jose_Nunez").status_code == 200


def test_facebook_login_creates_then_finds_the_user(social_app, provider):
    """Facebook login: the first visit creates "first_name_last_name", the next logs the same user in."""
    for _ in range(2):
        client = social_app.test_client()
        response = sign_in_with(client, "/facebook")
        assert response.headers["Location"] == "/blog/"
        assert 'id="signed-in">Grace_Hopper<' in client.get("/blog/").get_data(as_text=True)
    assert usernames(social_app) == [("Grace_Hopper", "facebook:10203040", None)]
    assert "GET /me" in provider.seen


def test_social_login_follows_a_safe_next_only(social_app, provider):
    """After a social login, `next` is followed when it is a path here and ignored otherwise."""
    assert sign_in_with(social_app.test_client(), "/oidc?next=/blog/2").headers["Location"] == "/blog/2"
    evil = sign_in_with(social_app.test_client(), "/oidc?next=https://evil.example/")
    assert evil.headers["Location"] == "/blog/"


def test_refused_social_login_creates_nobody(social_app, provider):
    """When the user refuses at the provider, the app says so on the login page and creates nobody."""
    provider.deny = True
    client = social_app.test_client()
    response = sign_in_with(client, "/facebook")
    assert response.headers["Location"] == "/login"
    assert "Sign-in failed: The user denied the request" in client.get("/login").get_data(as_text=True)
    assert usernames(social_app) == []


def test_forged_callback_is_refused(social_app, provider):
    """A callback whose state this browser never started (login CSRF) signs nobody in."""
    from urllib.parse import urlsplit

    victim = social_app.test_client()
    victim.get("/oidc")  # the victim started a sign-in of their own
    attacker = social_app.test_client()
    to_provider = attacker.get("/oidc")
    back = urlsplit(requests.get(to_provider.headers["Location"], allow_redirects=False,
                                 timeout=10).headers["Location"])
    response = victim.get(f"{back.path}?{back.query}")  # the attacker's code, in the victim's browser
    assert response.headers["Location"] == "/login"
    assert usernames(social_app) == []
