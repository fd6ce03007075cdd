"""A stolen cookie does not outlive the session it was copied from (chapter 6 on): after a logout or a
password change, a copy of the session cookie or of the remember-me cookie signs nobody in."""
import re

import pytest

pytestmark = pytest.mark.chapters(since=6)

SESSION, REMEMBER = "session", "remember_token"


def signed_in(client) -> str | None:
    """The name the navigation bar shows as signed in, or None."""
    html = client.get("/blog/").get_data(as_text=True)
    found = re.search(r'id="signed-in">([^<]*)<', html)
    return found.group(1) if found else None


def copy(app, client, *names):
    """Another browser holding copies of `client`'s cookies called `names`, and no others."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie to copy"
        thief.set_cookie(name, cookie.value)
    return thief


@pytest.fixture
def ada(app, client, auth):
    auth.user("ada")
    return auth


def test_a_copied_session_cookie_stops_working_after_logout(app, client, ada):
    """A copy of a signed-in session cookie signs its holder in until the user logs out, then no more."""
    ada.login("ada")
    thief = copy(app, client, SESSION)
    assert signed_in(thief) == "ada"
    ada.logout()
    assert signed_in(client) is None
    assert signed_in(thief) is None


def test_a_copied_remember_cookie_stops_working_after_logout(app, client, ada):
    """A copy of the remember-me cookie alone signs its holder in until the user logs out, then no more."""
    ada.login("ada", remember=True)
    thief = copy(app, client, REMEMBER)
    assert signed_in(thief) == "ada"
    ada.logout()
    assert signed_in(copy(app, thief, REMEMBER)) is None  # a fresh session from the copied cookie
    assert signed_in(thief) is None


def test_copied_cookies_stop_working_after_a_password_change(app, client, db, models, ada):
    """After a new password, copies of the session and of the remember-me cookie sign nobody in."""
    ada.login("ada", remember=True)
    by_session, by_remember = copy(app, client, SESSION), copy(app, client, REMEMBER)
    assert signed_in(by_session) == signed_in(by_remember) == "ada"
    user = db.session.scalar(db.select(models.User).filter_by(username="ada"))
    user.set_password("a brand new password")
    db.session.commit()
    assert signed_in(by_session) is None and signed_in(by_remember) is None
    # The new password signs in as before.
    assert ada.login("ada", password="a brand new password").status_code == 302
    assert signed_in(client) == "ada"


def test_logout_ends_the_users_other_sessions_too(app, client, ada):
    """Logging out in one browser signs the same user out in their other browsers (one token per user)."""
    ada.login("ada")
    other = app.test_client()
    html = other.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    other.post("/login", data={"csrf_token": token, "username": "ada", "password": ada.password})
    assert signed_in(other) == "ada"
    ada.logout()
    assert signed_in(other) is None
