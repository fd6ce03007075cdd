"""The security suite (chapter 6 on): what keeps other people's accounts safe.

Each test names the protection it proves; each was checked to fail with that protection removed.
"""

import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.chapters(since=6)


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- CSRF, form by form


@pytest.fixture
def everyone(make, auth):
    """A poster with a post, logged in."""
    poster = auth.user("poster", "poster")
    post = make.post("Mine", author=poster)
    auth.login("poster")
    return poster, post


FORGED = {"csrf_token": "forged"}


def test_login_without_csrf_token_logs_nobody_in(client, db, auth, url_for):
    """A login POST without a valid CSRF token logs nobody in."""
    auth.user("ada")
    for data in ({}, FORGED):
        response = client.post(url_for("main.login"),
                               data={"username": "ada", "password": auth.password, **data})
        assert response.status_code == 200 and "CSRF token" in response.text
        with client.session_transaction() as session:
            assert "_user_id" not in session


def test_register_without_csrf_token_creates_nobody(client, db, models, url_for):
    """A registration POST without a valid CSRF token creates nobody."""
    for data in ({}, FORGED):
        response = client.post(url_for("main.register"), data={
            "username": "mallory", "password": "long enough", "confirm": "long enough", **data})
        assert response.status_code == 200 and "CSRF token" in response.text
    assert count(db, models.User) == 0


def test_comment_with_a_forged_csrf_token_saves_nothing(client, db, models, everyone, url_for):
    """A comment POST without a valid CSRF token saves nothing."""
    _, post = everyone
    for data in ({}, FORGED):
        response = client.post(url_for("blog.post", post_id=post.id),
                               data={"name": "Mallory", "text": "Forged", **data})
        assert response.status_code == 200 and "CSRF token" in response.text
    assert count(db, models.Comment) == 0


def test_new_post_without_csrf_token_publishes_nothing(client, db, models, everyone, url_for):
    """A new-post POST without a valid CSRF token publishes nothing."""
    for data in ({}, FORGED):
        response = client.post(url_for("blog.new_post"), data={"title": "Forged", "text": "x", **data})
        assert response.status_code == 200 and "CSRF token" in response.text
    assert count(db, models.Post) == 1


def test_edit_without_csrf_token_changes_nothing(client, db, models, everyone, url_for):
    """An edit POST without a valid CSRF token changes nothing."""
    _, post = everyone
    for data in ({}, FORGED):
        response = client.post(url_for("blog.edit_post", id=post.id),
                               data={"title": "Forged", "text": "x", **data})
        assert response.status_code == 200 and "CSRF token" in response.text
    db.session.expire_all()
    assert db.session.get(models.Post, post.id).title == "Mine"


def test_logout_without_csrf_token_keeps_the_user_in(client, db, everyone, url_for):
    """A logout POST without a valid CSRF token is refused (400) and the user stays logged in."""
    for data in ({}, FORGED):
        assert client.post(url_for("main.logout"), data=data).status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" in session


def test_every_posting_view_has_its_csrf_test(app, url_for):
    """Every view that accepts a POST is one of those whose CSRF check is tested above (or the JSON UserView,
    or chapter 8's API, which takes no session cookie: test_rest_api.py proves a signed-in browser cannot
    write through it; chapter 10's admin: test_admin.py posts to each of its POST URLs without a token)."""
    tested = {"main.login", "main.register", "main.logout", "blog.post", "blog.new_post",
              "blog.edit_post", "main.users", "api.auth_api", "api.post_list_api"}
    posting = {rule.endpoint for rule in app.url_map.iter_rules()
               if "POST" in rule.methods and not rule.rule.startswith("/admin/")}
    assert posting <= tested


# --------------------------------------------------------------------------- where login sends you


@pytest.mark.parametrize("target", [
    "https://evil.example/", "http://evil.example/blog/", "//evil.example/", "///evil.example/",
    "/\\evil.example/", "\\\\evil.example", "javascript:alert(1)", "blog/new", " //evil.example",
])
def test_next_never_leaves_the_site(client, auth, url_for, target):
    """After login, a `next` that names another site (or no path) falls back to the home page."""
    from urllib.parse import quote

    auth.user("ada")
    response = auth.login("ada", query="?next=" + quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == url_for("blog.home")


def test_next_keeps_paths_and_queries_on_the_site(client, auth):
    """A `next` that is a path on this site, query string included, is followed."""
    auth.user("ada")
    assert auth.login("ada", query="?next=%2Fblog%2F2%3Fx%3D1").headers["Location"] == "/blog/2?x=1"


# --------------------------------------------------------------------------- output escaping


SCRIPT = '<script>alert("x")</script><b onmouseover="alert(1)">bold</b>'
NAME = '<img src=x onerror=alert(1)>'  # a username: no "/", it is part of a URL


def test_titles_texts_and_comments_are_escaped(client, make, url_for):
    """HTML and script in a title, a post's text, a comment and a username are shown as text."""
    post = make.post(SCRIPT, author=NAME, text=SCRIPT)
    make.comment(post, SCRIPT, name=SCRIPT)
    for url in (url_for("blog.home"), url_for("blog.post", post_id=post.id),
                url_for("blog.user", username=NAME)):
        html = client.get(url).text
        assert "<script>alert" not in html and "<b onmouseover" not in html, url
        assert "<img src=x" not in html and "&lt;img src=x onerror=" in html, url
        if "/user/" not in url:
            assert "&lt;script&gt;alert(" in html, url


def test_posted_script_is_escaped(client, db, auth, url_for):
    """A post written through the form with script in it is shown escaped."""
    auth.user("poster", "poster")
    auth.login("poster")
    response = auth.post_form(url_for("blog.new_post"), {"title": SCRIPT, "text": SCRIPT})
    html = client.get(response.headers["Location"]).text
    assert "<script>alert" not in html and "&lt;script&gt;" in html


# --------------------------------------------------------------------------- passwords


def test_wrong_username_and_wrong_password_look_the_same(client, db, auth):
    """A wrong username and a wrong password get the same page with the same message."""
    auth.user("ada")
    wrong_user = auth.login("nobody", password=auth.password)
    wrong_password = auth.login("ada", password="not the password")
    assert wrong_user.status_code == wrong_password.status_code == 200
    assert "Invalid username or password" in wrong_user.text

    def without_token(html):
        import re
        return re.sub(r'value="[^"]*"', "", html)

    assert without_token(wrong_user.text).replace("nobody", "ada") == without_token(wrong_password.text)


def test_stored_password_is_a_bcrypt_hash(client, db, auth, url_for):
    """Registering stores a bcrypt hash of the password, not the password."""
    import bcrypt

    auth.post_form(url_for("main.register"), {
        "username": "grace", "password": "cobol rules", "confirm": "cobol rules"})
    stored = db.session.execute(db.text('SELECT password FROM "user"')).scalar_one()
    assert stored.startswith("$2b$") and "cobol" not in stored
    assert bcrypt.checkpw(b"cobol rules", stored.encode())


# --------------------------------------------------------------------------- cookies


def test_session_cookie_is_httponly_and_samesite(client, auth):
    """The session cookie set at login is HttpOnly and SameSite=Lax (not Secure under plain HTTP)."""
    auth.user("ada")
    auth.login("ada")
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_production_cookies_are_secure(config_module):
    """The production config sends the session and remember-me cookies over HTTPS only."""
    prod = config_module.ProdConfig
    assert prod.SESSION_COOKIE_SECURE and prod.REMEMBER_COOKIE_SECURE
    assert prod.SESSION_COOKIE_HTTPONLY and prod.SESSION_COOKIE_SAMESITE == "Lax"
    assert not getattr(config_module.DevConfig, "SESSION_COOKIE_SECURE", False)


def test_session_protection_drops_a_stolen_session(client, auth, url_for):
    """A session cookie replayed from another browser (user agent) is not logged in ("strong")."""
    auth.user("ada")
    auth.login("ada", headers={"User-Agent": "Ada's browser"})
    mine = client.get(url_for("admin"), headers={"User-Agent": "Ada's browser"})
    assert mine.status_code == 200
    stolen = client.get(url_for("admin"), headers={"User-Agent": "Mallory's browser"})
    assert stolen.status_code == 403


# --------------------------------------------------------------------------- who may do what


@pytest.fixture
def cast(make, auth):
    """Users of every kind, and posts: `theirs` by author, `own` for each user who can have one."""
    users = {
        "default": auth.user("dee"),
        "poster": auth.user("poe", "poster"),
        "author": auth.user("ava", "poster"),
        "admin": auth.user("root", "admin", "poster"),
    }
    theirs = make.post("Ava's post", author=users["author"])
    own = {who: make.post(f"{who}'s own", author=user) for who, user in users.items()}
    # "Another's" post: the author's for everyone but the author, whose is the poster's.
    another = {who: theirs.id for who in users} | {"author": own["poster"].id, "anonymous": theirs.id}
    return users, theirs, {who: post.id for who, post in own.items()}, another


# anonymous: 302 = sent to the login page.
MATRIX = {
    #              view  create  edit another's  edit own
    "anonymous": (200,  302,    302,            None),
    "default":   (200,  403,    403,            403),
    "poster":    (200,  200,    403,            200),
    "author":    (200,  200,    403,            200),
    "admin":     (200,  200,    200,            200),
}


@pytest.mark.parametrize("who", MATRIX)
def test_each_role_may_view_create_and_edit_as_the_matrix_says(client, auth, url_for, cast, who):
    """Viewing, creating, editing another's post and one's own answer as the matrix says, role by role."""
    users, theirs, own, another = cast
    if who != "anonymous":
        auth.login(users[who].username)
    got = (
        client.get(url_for("blog.post", post_id=theirs.id)).status_code,
        client.get(url_for("blog.new_post")).status_code,
        client.get(url_for("blog.edit_post", id=another[who])).status_code,
        client.get(url_for("blog.edit_post", id=own[who])).status_code if who in own else None,
    )
    assert got == MATRIX[who]


@pytest.mark.parametrize("who", ["anonymous", "default", "poster"])
def test_forbidden_edit_changes_nothing(client, db, models, auth, url_for, cast, who):
    """A POST to edit someone else's post, by someone who may not, leaves the post as it was."""
    users, theirs, _, _ = cast
    if who != "anonymous":
        auth.login(users[who].username)
    token = auth.token(url_for("main.login"))
    response = client.post(url_for("blog.edit_post", id=theirs.id),
                           data={"csrf_token": token, "title": "Defaced", "text": "x"})
    assert response.status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(models.Post, theirs.id).title == "Ava's post"


@pytest.mark.parametrize("who", ["author", "admin"])
def test_allowed_edit_saves_the_post(client, db, models, auth, url_for, cast, who):
    """The author or an admin edits the post through the form: the new title and text are saved."""
    users, theirs, _, _ = cast
    auth.login(users[who].username)
    edit = url_for("blog.edit_post", id=theirs.id)
    assert 'value="Ava&#39;s post"' in client.get(edit).text
    response = auth.post_form(edit, {"title": f"Edited by {who}", "text": "New text."})
    assert response.headers["Location"] == url_for("blog.post", post_id=theirs.id)
    db.session.expire_all()
    assert (db.session.get(models.Post, theirs.id).title, db.session.get(models.Post, theirs.id).text) == (
        f"Edited by {who}", "New text.")


@pytest.mark.parametrize("who, shown", [("anonymous", False), ("default", False), ("poster", False),
                                        ("author", True), ("admin", True)])
def test_edit_button_only_for_those_who_may_edit(client, auth, url_for, cast, who, shown):
    """The post page shows its Edit button to the author and to admins only."""
    users, theirs, _, _ = cast
    if who != "anonymous":
        auth.login(users[who].username)
    html = client.get(url_for("blog.post", post_id=theirs.id)).text
    assert ('id="edit-post"' in html) == shown


def test_unknown_post_edit_is_404_for_a_poster(client, auth, url_for, cast):
    """Editing a post that does not exist answers 404 to a poster."""
    auth.login("poe")
    assert client.get(url_for("blog.edit_post", id=9999)).status_code == 404


# --------------------------------------------------------------------------- logging out


def test_logout_removes_the_identity(client, auth, url_for):
    """After logout the next request is anonymous: no user, no identity, poster pages send to login."""
    auth.user("poe", "poster")
    auth.login("poe")
    assert client.get(url_for("blog.new_post")).status_code == 200
    with client.session_transaction() as session:
        assert session["identity.id"] is not None
    auth.logout()
    with client.session_transaction() as session:
        assert "_user_id" not in session and session.get("identity.id") is None
    response = client.get(url_for("blog.new_post"))
    assert response.status_code == 302 and response.headers["Location"].startswith(url_for("main.login"))
    assert 'id="signed-in"' not in client.get(url_for("blog.home")).text
