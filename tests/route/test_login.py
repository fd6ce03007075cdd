"""Chapter 6's main blueprint: /login, /logout and /register, Flask-Login and Flask-Principal."""
import pytest
from sqlalchemy import select

pytestmark = pytest.mark.chapters(since=6)


def test_login_page_shows_the_form(client, db, url_for):
    """The login page has a username, a password, a "Remember Me" box and the form's CSRF token."""
    html = client.get(url_for("main.login")).text
    for name in ("username", "password", "remember", "csrf_token"):
        assert f'name="{name}"' in html
    assert 'type="password"' in html


def test_login_with_the_right_password(client, db, models, auth, url_for):
    """The right username and password log the user in and go to the blog with "You have been logged in."."""
    ada = auth.user("ada")
    response = auth.login("ada")
    assert response.status_code == 302 and response.headers["Location"] == url_for("blog.home")
    home = client.get(url_for("blog.home")).text
    assert "You have been logged in." in home
    assert '<span class="navbar-text" id="signed-in">ada</span>' in home
    with client.session_transaction() as session:
        assert session["_user_id"] == ada.get_id()


def test_empty_login_shows_field_errors(client, db, auth, url_for):
    """A login with no username or password re-renders the form with "This field is required."."""
    response = auth.login("", password=" ")
    assert response.status_code == 200
    assert "This field is required." in response.text


def test_login_required_pages_send_strangers_to_login(client, db, url_for):
    """A page for signed-in users sends a stranger to /login?next=…, with the book's message."""
    from urllib.parse import parse_qs, urlsplit

    response = client.get(url_for("blog.new_post"))
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == url_for("main.login")
    assert parse_qs(location.query) == {"next": [url_for("blog.new_post")]}
    html = client.get(response.headers["Location"]).text
    assert '<div class="alert alert-info" role="status">Please login to access this page</div>' in html


def test_login_follows_next_on_this_site(client, auth, url_for):
    """After logging in from /login?next=/blog/new the user lands on /blog/new."""
    auth.user("ada", "poster")
    response = auth.login("ada", query="?next=/blog/new")
    assert response.headers["Location"] == "/blog/new"
    assert client.get("/blog/new").status_code == 200


def test_remember_me_sets_a_remember_cookie(client, auth):
    """Ticking "Remember Me" sets Flask-Login's remember_token cookie (HttpOnly); not ticking it, none."""
    auth.user("ada")
    auth.login("ada", remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only
    auth.logout()
    auth.login("ada")
    assert client.get_cookie("remember_token") is None


def test_logout_signs_the_user_out(client, auth, url_for):
    """Logout (a POST from the navigation bar) logs the user out and says "You have been logged out."."""
    auth.user("ada")
    auth.login("ada")
    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"] == url_for("main.login")
    html = client.get(response.headers["Location"]).text
    assert "You have been logged out." in html and 'id="signed-in"' not in html


def signed_in(client, url_for) -> bool:
    return 'id="signed-in"' in client.get(url_for("blog.home")).text


@pytest.mark.parametrize("site", ["same-origin", "none", None],
                         ids=["from-this-site", "typed-in-the-address-bar", "no-header"])
def test_logout_by_get_from_this_site_or_typed_logs_out(client, auth, url_for, site):
    """A GET to /logout (the book's logout) from one of this site's pages, typed in the address bar
    (Sec-Fetch-Site: same-origin, none) or from a browser that does not say (no header) logs the
    user out and says "You have been logged out."."""
    auth.user("ada")
    auth.login("ada")
    headers = {} if site is None else {"Sec-Fetch-Site": site}
    response = client.get(url_for("main.logout"), headers=headers, follow_redirects=True)
    assert response.status_code == 200 and "You have been logged out." in response.text
    assert not signed_in(client, url_for)


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_logout_by_get_from_another_site_is_refused(client, auth, url_for, site):
    """A GET to /logout sent by another site (an <img>, a link or a form there: Sec-Fetch-Site
    cross-site, or same-site from a neighbouring subdomain) is refused with 403, and nobody is
    logged out."""
    auth.user("ada")
    auth.login("ada")
    response = client.get(url_for("main.logout"), headers={"Sec-Fetch-Site": site})
    assert response.status_code == 403 and "logged out" not in response.text
    assert signed_in(client, url_for)


def test_an_existing_accounts_short_password_still_signs_in(client, db, auth, url_for):
    """A password shorter than registration's minimum (the book's tests use "test") still signs in
    an account that has it: only registration asks for eight characters."""
    auth.user("test", password="test")
    response = auth.login("test", password="test", follow_redirects=True)
    assert response.status_code == 200 and "You have been logged in." in response.text
    assert signed_in(client, url_for)


def test_register_creates_a_user_who_can_log_in(client, db, models, auth, url_for):
    """Registering creates the user (default role) and sends them to /login, where their password works."""
    response = auth.post_form(url_for("main.register"), {
        "username": "grace", "password": "cobol rules", "confirm": "cobol rules"})
    assert response.status_code == 302 and response.headers["Location"] == url_for("main.login")
    assert "Your user has been created, please login." in client.get(url_for("main.login")).text
    user = db.session.scalars(select(models.User).filter_by(username="grace")).one()
    assert [role.name for role in user.roles] == ["default"]
    assert auth.login("grace", password="cobol rules").headers["Location"] == url_for("blog.home")


def test_register_keeps_the_password_not_the_username(client, db, models, auth, url_for):
    """The book's erratum is fixed: the password set is the one typed, not the username."""
    auth.post_form(url_for("main.register"), {
        "username": "grace1906", "password": "cobol rules", "confirm": "cobol rules"})
    user = db.session.scalars(select(models.User).filter_by(username="grace1906")).one()
    assert user.check_password("cobol rules")
    assert not user.check_password("grace1906")


@pytest.mark.parametrize("data, error", [
    ({"username": "", "password": "long enough", "confirm": "long enough"}, "This field is required."),
    ({"username": "bob", "password": "short", "confirm": "short"},
     "Field must be at least 8 characters long."),
    ({"username": "bob", "password": "long enough", "confirm": "different"}, "The two passwords differ"),
    ({"username": "taken", "password": "long enough", "confirm": "long enough"},
     "User with that name already exists"),
    ({"username": "bob", "password": "é" * 37, "confirm": "é" * 37},
     "A password can be at most 72 bytes long (this one is 74): please choose a shorter one."),
], ids=["no-username", "short-password", "confirm-differs", "username-taken", "over-72-bytes"])
def test_register_refuses_bad_input(client, db, models, auth, url_for, data, error):
    """A refused registration re-renders the form with the reason and creates nobody."""
    auth.user("taken")
    response = auth.post_form(url_for("main.register"), data)
    assert response.status_code == 200
    assert error in response.text
    assert db.session.scalars(select(models.User.username)).all() == ["taken"]


def test_register_shows_recaptcha_only_when_configured(app, client, db, url_for):
    """The register page has no reCAPTCHA without keys, and Google's widget once both keys are set."""
    assert "g-recaptcha" not in client.get(url_for("main.register")).text
    app.config.update(RECAPTCHA_PUBLIC_KEY="public-key", RECAPTCHA_PRIVATE_KEY="private-key")
    html = client.get(url_for("main.register")).text
    assert 'class="g-recaptcha"' in html and 'data-sitekey="public-key"' in html


def test_restricted_link_shows_only_to_signed_in_users(client, auth, url_for):
    """The navigation bar links to the restricted page only for a signed-in user (anyone else gets a 403)."""
    link = f'href="{url_for("main.admin")}"'
    assert link not in client.get(url_for("blog.home")).text
    assert client.get(url_for("main.admin")).status_code == 403
    auth.user("ada")
    auth.login("ada")
    assert link in client.get(url_for("blog.home")).text


def test_restricted_page_greets_the_logged_in_user(client, auth, url_for):
    """Chapter 4's restricted page: 403 for nobody, the user's name once they have logged in."""
    assert client.get(url_for("admin")).status_code == 403
    auth.user("ann")
    auth.login("ann")
    response = client.get(url_for("admin"))
    assert response.status_code == 200
    assert '<strong id="username">ann</strong>' in response.text


def test_blog_pages_live_under_blog_with_new_and_edit(app):
    """The blog blueprint's pages, /blog/new and /blog/edit/<id> among them, all live under /blog."""
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("blog.")}
    assert {"/blog/new", "/blog/edit/<int:id>"} <= rules
    assert all(rule.startswith("/blog/") for rule in rules)
