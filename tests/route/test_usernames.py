"""Chapter 6 on: which usernames there may be, one name whatever its case, and a profile page for each."""
import pytest
from sqlalchemy import select

pytestmark = pytest.mark.chapters(since=6)

RULE = 'A username is 1 to 40 letters (a-z, A-Z), digits, &#34;_&#34;, &#34;.&#34; or &#34;-&#34;'
ALLOWED = ["a", "Ada", "ada.lovelace", "grace-hopper", "linus_t", "9lives", "x.", "a" * 40]
REFUSED = ["a/b", "ada lovelace", " ada", "ada ", ".hidden", "..", "-dash", "_under", "a" * 41,
           "José", "ad\u0430", "ada\n", "tab\tname", "semi;colon", "<b>"]


def register(auth, url_for, username, password="long enough"):
    return auth.post_form(url_for("main.register"),
                          {"username": username, "password": password, "confirm": password})


@pytest.mark.parametrize("username", ALLOWED)
def test_allowed_username_registers_and_has_a_profile_page(client, db, models, make, auth, url_for, username):
    """A name the rules allow registers, logs in and has a working profile page (/blog/user/<name>)."""
    response = register(auth, url_for, username)
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db.session.scalars(select(models.User).filter_by(username=username)).one()
    make.post("By them", author=user)
    profile = client.get(url_for("blog.user", username=username))
    assert profile.status_code == 200 and "By them" in profile.get_data(as_text=True)
    assert auth.login(username, password="long enough").headers["Location"] == url_for("blog.home")


@pytest.mark.parametrize("username", REFUSED)
def test_refused_username_is_a_form_error(client, db, models, auth, url_for, username):
    """A name with "/", spaces, leading or trailing blanks, a leading "." "_" "-", non-ASCII letters or over
    40 characters is refused with the rule."""
    response = register(auth, url_for, username)
    assert response.status_code == 200
    assert RULE in response.get_data(as_text=True)
    assert db.session.scalars(select(models.User)).all() == []


@pytest.mark.parametrize("taken, wanted", [("alice", "ALICE"), ("Alice", "alice"), ("alice", "aLiCe")])
def test_a_name_in_another_case_is_taken(client, db, models, auth, url_for, taken, wanted):
    """`alice`, `Alice` and `ALICE` are one name: registering it in another case is refused as taken."""
    auth.user(taken)
    response = register(auth, url_for, wanted)
    assert response.status_code == 200
    assert "User with that name already exists" in response.get_data(as_text=True)
    assert db.session.scalars(select(models.User.username)).all() == [taken]


def test_the_name_keeps_its_case_and_logs_in_in_any_case(client, db, models, auth, url_for):
    """A name is stored as registered (`Alice`) and signs in typed in any case."""
    register(auth, url_for, "Alice")
    assert db.session.scalars(select(models.User.username)).all() == ["Alice"]
    assert auth.login("aLICE", password="long enough").headers["Location"] == url_for("blog.home")


def test_add_role_finds_the_user_in_any_case(db, auth, runner):
    """`flask add-role ALICE poster` gives the role to the user registered as `alice`."""
    auth.user("alice")
    result = runner.invoke(args=["add-role", "ALICE", "poster"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "alice has the roles: default, poster"
