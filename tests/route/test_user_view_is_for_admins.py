"""Chapter 6 on: chapter 4's `/user` JSON view is an admin's tool; nobody else lists or changes accounts."""
import pytest
from sqlalchemy import select

pytestmark = pytest.mark.chapters(since=6)


@pytest.fixture
def cast(auth):
    """A user of each role, and one more to be read, renamed and deleted."""
    users = {
        "default": auth.user("dee"),
        "poster": auth.user("poe", "poster"),
        "admin": auth.user("root", "admin"),
    }
    return users, auth.user("target")


#              list  read another  read own  create  rename  delete
MATRIX = {
    "anonymous": (403, 403,         None,     403,    403,    403),
    "default":   (403, 403,         200,      403,    403,    403),
    "poster":    (403, 403,         200,      403,    403,    403),
    "admin":     (200, 200,         200,      201,    200,    204),
}


@pytest.mark.parametrize("who", MATRIX)
def test_each_role_may_use_the_user_view_as_the_matrix_says(client, db, models, auth, url_for, cast, who):
    """Listing, reading, creating, renaming and deleting accounts through /user answer as the matrix says,
    role by role."""
    users, target = cast
    if who != "anonymous":
        auth.login(users[who].username)
    own = users.get(who)
    got = (
        client.get(url_for("users")).status_code,
        client.get(url_for("users", user_id=target.id)).status_code,
        client.get(url_for("users", user_id=own.id)).status_code if own else None,
        client.post(url_for("users"), json={"username": "newcomer"}).status_code,
        client.put(url_for("users", user_id=target.id), json={"username": "renamed"}).status_code,
        client.delete(url_for("users", user_id=target.id)).status_code,
    )
    assert got == MATRIX[who]
    db.session.expire_all()
    names = set(db.session.scalars(select(models.User.username)))
    if who == "admin":
        assert "newcomer" in names and "target" not in names and "renamed" not in names
    else:
        assert "target" in names and not names & {"newcomer", "renamed"}


def test_admin_lists_every_account(client, auth, url_for, cast):
    """An admin's GET /user lists every account as JSON; a user's own GET /user/<id> shows that account."""
    users, target = cast
    auth.login("root")
    listed = client.get(url_for("users")).get_json()
    assert [user["username"] for user in listed] == ["dee", "poe", "root", "target"]
    assert client.get(url_for("users", user_id=9999)).status_code == 404


def test_deleting_a_user_with_posts_is_refused(client, db, models, make, auth, url_for, cast):
    """Deleting a user who wrote posts answers 409 with the reason, and the user and the posts stay."""
    users, target = cast
    post = make.post("Kept", author=target)
    auth.login("root")
    response = client.delete(url_for("users", user_id=target.id))
    assert response.status_code == 409
    assert response.get_json() == {
        "error": "target has 1 post(s): give them to another user or delete them first"}
    db.session.expire_all()
    assert db.session.get(models.Post, post.id).user.username == "target"


@pytest.mark.parametrize("body", [{"username": "Root"}, {"username": "ROOT"}])
def test_taken_name_is_a_409(client, db, models, auth, url_for, cast, body):
    """Creating a user, or renaming one, to a name taken in any case answers 409 with the reason."""
    users, target = cast
    auth.login("root")
    for response in (client.post(url_for("users"), json=body),
                     client.put(url_for("users", user_id=target.id), json=body)):
        assert response.status_code == 409
        assert response.get_json() == {"error": "User with that name already exists"}
    db.session.expire_all()
    assert db.session.get(models.User, target.id).username == "target"


@pytest.mark.parametrize("body", [{"username": "a/b"}, {"username": " "}, {"username": "ann lee"},
                                  {"username": 12}, ["root"], {}, None])
def test_bad_name_is_a_400(client, auth, url_for, cast, body):
    """A username the rules refuse, or no name at all, answers 400 with the rule."""
    auth.login("root")
    response = client.post(url_for("users"), json=body)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("A username is 1 to 40 letters")


def test_user_keeps_their_name_in_another_case(client, db, models, auth, url_for, cast):
    """An admin may change the case of a user's own name (it is still their name)."""
    users, target = cast
    auth.login("root")
    response = client.put(url_for("users", user_id=target.id), json={"username": "Target"})
    assert response.get_json() == {"id": target.id, "username": "Target"}
