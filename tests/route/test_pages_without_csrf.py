"""Every page renders with CSRF protection off as well as on (chapter 3 on).

The book's own test configuration sets `WTF_CSRF_ENABLED = False`; a form then has no `csrf_token`
field, and a template that reads it must not break.
"""
import pytest

pytestmark = pytest.mark.chapters(since=3)

# Endpoints that send a visitor elsewhere or answer 404 until their provider is configured.
ELSEWHERE = {"static", "bootstrap.static", "index", "main.oidc_login", "main.oidc_authorized",
             "main.facebook_login",
             "main.facebook_authorized",
             # chapter 6's logout: a GET (the book's) logs the visitor out and sends them to log in
             "main.logout",
             # chapter 8's API: its root is a JSON 404 by Flask-RESTX's design; static files of Swagger UI
             "api.root", "restx_doc.static",
             # CKEditor's own files (chapter 6 on), Flask-Admin's (chapter 10)
             "admin.static", "ckeditor.static"}


@pytest.fixture(params=[True, False], ids=["csrf-on", "csrf-off"])
def csrf(request, app):
    """WTF_CSRF_ENABLED on, and off as in the book's test configuration (set before any request)."""
    app.config["WTF_CSRF_ENABLED"] = request.param
    return request.param


@pytest.fixture
def blog(chapter, csrf, client, make, auth, url_for):
    """A post with a tag and a comment by ann, who is signed in (an admin and poster from ch. 6)."""
    if chapter.rank >= 6:
        ann = auth.user("ann", "admin", "poster")
        if csrf:
            auth.login("ann")
        else:  # no token to send back
            client.post(url_for("main.login"), data={"username": "ann", "password": auth.password})
    else:
        ann = make.user("ann")
        if chapter.rank >= 4:  # chapter 4's g.user: a user id in the session
            with client.session_transaction() as session:
                session["user_id"] = ann.id
    post = make.post("A post", author=ann, tags=["flask"])
    make.comment(post)
    return ann, post


def every_page(app, ann, post):
    """The URL of every page the app answers GET on, its arguments filled from the blog."""
    values = {"post_id": post.id, "id": post.id, "page": 1, "tag_name": "flask",
              "username": "ann", "user_id": ann.id,
              "path": "css", "export_type": "csv"}  # chapter 10's admin: a folder of static/
    with app.test_request_context():
        from flask import url_for
        for rule in app.url_map.iter_rules():
            # (The admin's select fields look records up by AJAX: 404 without the field's ?name=.)
            if "GET" in rule.methods and rule.endpoint not in ELSEWHERE \
                    and not rule.endpoint.endswith(".ajax_lookup"):
                assert rule.arguments <= values.keys(), f"no value for {rule.rule}"
                yield url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})


def test_every_page_renders_with_csrf_on_and_off(app, client, db, csrf, blog):
    """Every page (forms included) answers without an error, with CSRF protection on and off."""
    ann, post = blog
    for path in every_page(app, ann, post):
        response = client.get(path)
        if response.status_code == 302 and path.startswith("/admin/"):
            # An admin page that needs a record or a file (?id=, ?path=) goes back to its list; the
            # file admin's download sends to the file under /static/.
            assert response.headers["Location"].startswith(("/admin/", "/static/")), path
            continue
        assert response.status_code in (200, 403), (path, response.status_code)
        if response.status_code == 403:  # the restricted page (ch. 4-5 only check g.user)
            assert "restricted" in path


def test_comment_form_works_with_csrf_on_and_off(app, client, db, models, csrf, blog, url_for,
                                                 csrf_token):
    """The comment form posts a comment with CSRF off; with it on, only with the page's token."""
    _, post = blog
    path = url_for("post", post_id=post.id)
    data = {"name": "Bo", "text": "Hello"}
    if csrf:
        assert client.post(path, data=data).status_code == 200  # refused: no token
        data["csrf_token"] = csrf_token(path)
    assert client.post(path, data=data).status_code == 302
    assert len(db.session.get(models.Post, post.id).comments.all()) == 2


CSRF_OFF = pytest.mark.parametrize("csrf", [False], ids=["csrf-off"], indirect=True)


@pytest.mark.chapters(since=6)
@CSRF_OFF
def test_forms_of_chapter_6_work_with_csrf_off(app, client, db, models, csrf, blog, url_for, auth):
    """With CSRF off, logout, login, register, a new post and an edit each do what they say."""
    _, post = blog
    assert client.get(url_for("home")).get_data(as_text=True).count('id="signed-in">ann<') == 1
    assert client.post(url_for("logout")).status_code == 302
    assert 'id="signed-in"' not in client.get(url_for("home")).get_data(as_text=True)
    assert client.post(url_for("login"), data={"username": "ann"}).status_code == 200  # no password
    registered = client.post(url_for("register"), data={
        "username": "bo", "password": auth.password, "confirm": auth.password})
    assert registered.status_code == 302
    assert db.session.scalars(db.select(models.User).filter_by(username="bo")).one()
    signed_in = client.post(url_for("login"), data={"username": "ann", "password": auth.password})
    assert signed_in.status_code == 302
    new = client.post(url_for("new_post"), data={"title": "New", "text": "x"})
    assert new.status_code == 302
    assert db.session.scalars(db.select(models.Post).filter_by(title="New")).one()
    edited = client.post(url_for("edit_post", id=post.id), data={"title": "Edited", "text": "y"})
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(models.Post, post.id).title == "Edited"


@pytest.mark.chapters(since=8)
@CSRF_OFF
def test_the_api_works_with_csrf_off(client, db, models, csrf, blog, auth):
    """With CSRF off, the API still trades a password for a token and takes a new post with it."""
    token = client.post("/api/auth", json={"username": "ann", "password": auth.password}).get_json()["token"]
    created = client.post("/api/post", json={"title": "By API", "text": "x"},
                          headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201
    assert db.session.scalars(db.select(models.Post).filter_by(title="By API")).one()


@pytest.mark.chapters(since=10)
@CSRF_OFF
def test_admin_forms_work_with_csrf_off(client, db, models, csrf, blog):
    """With CSRF off, the admin's forms create, edit and delete (ann is an admin)."""
    assert client.post("/admin/tag/new/", data={"title": "fresh"}).status_code == 302
    tag = db.session.scalars(db.select(models.Tag).filter_by(title="fresh")).one()
    assert client.post(f"/admin/tag/edit/?id={tag.id}", data={"title": "renamed"}).status_code == 302
    db.session.expire_all()
    assert tag.title == "renamed"
    assert client.post("/admin/tag/delete/", data={"id": tag.id}).status_code == 302
    db.session.expire_all()
    assert db.session.get(models.Tag, tag.id) is None
