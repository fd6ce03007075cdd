"""Chapter 8's REST API: tokens, every verb on /api/post, who may write, and bad input that changes
nothing."""
import datetime

import itsdangerous.timed
import pytest
from sqlalchemy import func, inspect, select, text

pytestmark = pytest.mark.chapters(since=8)

PASSWORD = "long enough"


@pytest.fixture
def api(client):
    """Calls the API as a client would: `api.token("ann")`, `api.post(json=…, token=…)`."""

    class Api:
        def token(self, username, password=PASSWORD):
            response = client.post("/api/auth", json={"username": username, "password": password})
            assert response.status_code == 200, response.get_json()
            return response.get_json()["token"]

        def call(self, method, url, token=None, in_body=False, **kwargs):
            headers = kwargs.pop("headers", {})
            if token and in_body:
                kwargs["json"] = {**kwargs.get("json", {}), "token": token}
            elif token:
                headers["Authorization"] = f"Bearer {token}"
            return client.open(url, method=method, headers=headers, **kwargs)

    return Api()


@pytest.fixture
def people(make):
    """ann and bob may post, ada is an admin (and a poster), dee has the default role only."""
    return {name: make.user(name, *roles, password=PASSWORD) for name, roles in {
        "ann": ("poster",), "bob": ("poster",), "ada": ("poster", "admin"), "dee": ()}.items()}


def rows(db):
    """Every row of every table, to compare before and after a refused request."""
    tables = inspect(db.engine).get_table_names()
    return {t: db.session.execute(text(f'SELECT * FROM "{t}"')).all() for t in tables}


# --------------------------------------------------------------------------- tokens


def test_auth_trades_a_password_for_a_token(client, people, api):
    """POST /api/auth with the right username and password answers a token; wrong ones get 401."""
    assert isinstance(api.token("ann"), str)
    for username, password in (("ann", "wrong password"), ("nobody", PASSWORD)):
        response = client.post("/api/auth", json={"username": username, "password": password})
        assert response.status_code == 401
        assert response.get_json() == {"message": "Wrong username or password"}


def test_auth_without_fields_names_each_missing_field(client, db):
    """POST /api/auth without a username or password answers 400 naming both fields."""
    response = client.post("/api/auth", json={})
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"username", "password"}


def test_token_works_in_the_body_and_as_a_bearer_header(api, people, models, db):
    """The token is accepted in the JSON body (the book) and as `Authorization: Bearer` (API clients)."""
    token = api.token("ann")
    for n, in_body in enumerate((True, False)):
        response = api.call("POST", "/api/post", token=token, in_body=in_body,
                            json={"title": f"Mine {n}", "text": "Hello"})
        assert response.status_code == 201, response.get_json()
    assert db.session.scalar(select(func.count()).select_from(models.Post)) == 2


def tampered(token: str) -> str:
    """The token with the first character of its signature changed. (Not its last: base64's last
    character of a 20-byte signature carries padding bits, and a change there may decode the same.)"""
    payload, _, signature = token.rpartition(".")
    return f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def test_bad_tokens_get_401(app, api, people, db, monkeypatch):
    """A missing, tampered or expired token, or one whose user was deleted, gets 401 and writes nothing."""
    with monkeypatch.context() as past:  # a token signed longer ago than API_TOKEN_MAX_AGE
        now = itsdangerous.timed.time.time()
        past.setattr(itsdangerous.timed.time, "time", lambda: now - app.config["API_TOKEN_MAX_AGE"] - 5)
        expired = api.token("ann")
    of_bob = api.token("bob")
    db.session.delete(people["bob"])
    db.session.commit()
    before = rows(db)
    for token in (None, "not-a-token", tampered(api.token("ann")), expired, of_bob):
        response = api.call("POST", "/api/post", token=token, json={"title": "T", "text": "x"})
        assert response.status_code == 401, token
        assert "token" in response.get_json()["message"]
    assert rows(db) == before


def test_a_new_password_or_logging_out_ends_a_token(api, auth, people, db):
    """A token stops working once its user gets a new password, or logs out (everywhere)."""
    token = api.token("ann")
    people["ann"].set_password("a new password")
    db.session.commit()
    assert api.call("POST", "/api/post", token=token, json={"title": "T", "text": "x"}).status_code == 401
    token = api.token("bob")
    auth.login("bob", password=PASSWORD)
    auth.logout()
    assert api.call("POST", "/api/post", token=token, json={"title": "T", "text": "x"}).status_code == 401


def test_a_signed_in_browser_cannot_write_through_the_api(client, auth, people, db):
    """The API never authenticates by the session cookie: a logged-in poster without a token gets 401."""
    auth.login("ann", password=PASSWORD)
    before = rows(db)
    response = client.post("/api/post", json={"title": "By cookie", "text": "x"})
    assert response.status_code == 401
    assert rows(db) == before


# --------------------------------------------------------------------------- reading


def test_list_gives_30_posts_a_page_newest_first(client, make):
    """GET /api/post answers 30 posts a page, newest first; `page` goes further, `user` filters."""
    make.posts(65)
    first = client.get("/api/post").get_json()
    assert [p["title"] for p in first] == [f"Post {n}" for n in range(64, 34, -1)]
    third = client.get("/api/post?page=3").get_json()
    assert [p["title"] for p in third] == ["Post 4", "Post 3", "Post 2", "Post 1", "Post 0"]
    assert client.get("/api/post?page=4").get_json() == []
    mine = client.get("/api/post?user=author").get_json()
    assert {p["author"] for p in mine} == {"author"} and len(mine) == 30
    response = client.get("/api/post?user=nobody")
    assert response.status_code == 404 and response.get_json() == {"message": "No user 'nobody'"}


def test_a_post_has_the_books_fields(client, make):
    """A post answers id, author, title, text without HTML tags, tags and an ISO 8601 publish_date."""
    post = make.post("Hello", author="ann", text="<p>Some <b>bold</b> &amp; text</p>", tags=["flask"],
                     date=datetime.datetime(2015, 6, 1, 12, 30))
    body = client.get(f"/api/post/{post.id}").get_json()
    assert body == {"id": post.id, "author": "ann", "title": "Hello", "text": "Some bold & text",
                    "tags": [{"id": post.tags[0].id, "title": "flask"}],
                    "publish_date": "2015-06-01T12:30:00"}


@pytest.mark.parametrize("post_id", ["999", str(2**31), str(2**63), "99999999999999999999999"])
def test_an_unknown_post_is_a_json_404(client, db, post_id):
    """GET /api/post/<id> of a post that does not exist, however large the id, answers a JSON 404."""
    response = client.get(f"/api/post/{post_id}")
    assert response.status_code == 404
    assert response.is_json and "message" in response.get_json()


def test_listing_costs_the_same_queries_at_30_and_300_posts(client, db, make, sql_statements):
    """GET /api/post costs the same number of SQL queries with 30 posts as with 300 (no N+1)."""
    make.posts(30)
    client.get("/api/post")
    with sql_statements() as small:
        assert len(client.get("/api/post").get_json()) == 30
    make.posts(270, start=30)
    with sql_statements() as large:
        assert len(client.get("/api/post").get_json()) == 30
    # The posts (their authors joined) and their tags: no COUNT(*), which a page of the API does not need.
    assert len(large) == len(small) == 2, "\n".join(large)


# --------------------------------------------------------------------------- writing


def test_a_poster_writes_a_post_with_new_and_existing_tags(api, people, make, models, db):
    """POST /api/post by a poster answers 201 with the post and its URL; tags are reused or made."""
    existing = make.tag("flask")
    db.session.commit()
    response = api.call("POST", "/api/post", token=api.token("ann"),
                        json={"title": "New", "text": "<i>Hi</i>", "tags": ["flask", "rest", "flask"]})
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/post/{body['id']}"
    assert (body["author"], body["title"], body["text"]) == ("ann", "New", "Hi")
    assert [t["title"] for t in body["tags"]] == ["flask", "rest"]
    assert body["tags"][0]["id"] == existing.id
    assert db.session.scalar(select(func.count()).select_from(models.Tag)) == 2


def test_put_changes_only_the_fields_sent(api, people, make):
    """PUT /api/post/<id> by its author changes the fields sent and keeps the others."""
    post = make.post("Old", author=people["ann"], text="Old text", tags=["a"])
    response = api.call("PUT", f"/api/post/{post.id}", token=api.token("ann"), json={"title": "New"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["title"], body["text"], [t["title"] for t in body["tags"]]) == ("New", "Old text", ["a"])


def test_delete_removes_the_post_and_its_comments(api, people, make, models, db):
    """DELETE /api/post/<id> by its author answers 204; the post and its comments are gone."""
    post = make.post("Doomed", author=people["ann"])
    make.comment(post)
    response = api.call("DELETE", f"/api/post/{post.id}", token=api.token("ann"))
    assert response.status_code == 204
    assert db.session.scalar(select(func.count()).select_from(models.Post)) == 0
    assert db.session.scalar(select(func.count()).select_from(models.Comment)) == 0


# Who may do what through the API: the same rules as chapter 6's pages.
# (writer, method) → status; the post is ann's.
MATRIX = [
    ("dee", "POST", 403), ("ann", "POST", 201), ("ada", "POST", 201),
    ("dee", "PUT", 403), ("bob", "PUT", 403), ("ann", "PUT", 200), ("ada", "PUT", 200),
    ("dee", "DELETE", 403), ("bob", "DELETE", 403), ("ann", "DELETE", 204), ("ada", "DELETE", 204),
]


@pytest.mark.parametrize("writer, method, status", MATRIX,
                         ids=[f"{w}-{m}-{s}" for w, m, s in MATRIX])
def test_who_may_write_through_the_api(api, people, make, db, writer, method, status):
    """Writing needs the poster role; changing or deleting a post needs its author or an admin."""
    post = make.post("Ann's", author=people["ann"])
    url = "/api/post" if method == "POST" else f"/api/post/{post.id}"
    before = rows(db)
    response = api.call(method, url, token=api.token(writer), json={"title": "T", "text": "x"})
    assert response.status_code == status, response.get_json()
    if status == 403:
        assert rows(db) == before
        assert response.get_json()["message"]


# --------------------------------------------------------------------------- bad input


BAD = {
    "not JSON": dict(data="title=x&text=y", content_type="application/x-www-form-urlencoded"),
    "broken JSON": dict(data="{\"title\": ", content_type="application/json"),
    "a JSON list": dict(json=[{"title": "x", "text": "y"}]),
    "a JSON string": dict(json="title"),
    "missing fields": dict(json={}),
    "empty title": dict(json={"title": " ", "text": "y"}),
    "NUL in the title": dict(json={"title": "a\x00b", "text": "y"}),
    "NUL in a tag": dict(json={"title": "x", "text": "y", "tags": ["a\x00"]}),
    "tags not a list": dict(json={"title": "x", "text": "y", "tags": "flask"}),
    "a number as title": dict(json={"title": 5, "text": "y"}),
    "title too long": dict(json={"title": "x" * 256, "text": "y"}),
    "text too long": dict(json={"title": "x", "text": "y" * 100_001}),
    "body over the limit": dict(data="{" + " " * (1024 * 1024) + "}", content_type="application/json"),
}


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_gets_a_json_4xx_and_changes_nothing(api, people, make, db, method, case):
    """A refused write answers 400 (or 413) in JSON, naming the bad field, and changes no row."""
    post = make.post("Ann's", author=people["ann"])
    url = "/api/post" if method == "POST" else f"/api/post/{post.id}"
    token = api.token("ann")
    before = rows(db)
    response = api.call(method, url, token=token, **BAD[case])
    if method == "PUT" and case == "missing fields":
        assert response.status_code == 200  # a PUT may change nothing
        return
    assert response.status_code == (413 if case == "body over the limit" else 400), response.data[:300]
    assert response.is_json and response.get_json()["message"]
    assert rows(db) == before


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=x", "page=99999999999999999999",
                                   "user=%00"])
def test_bad_list_parameters_get_400(client, db, query):
    """GET /api/post with a page that is not a positive number, or a NUL in `user`, answers a JSON 400."""
    response = client.get(f"/api/post?{query}")
    assert response.status_code == 400 and response.is_json
    assert list(response.get_json()["errors"]) == [query.split("=")[0]]


@pytest.mark.parametrize("method, url, status", [
    ("GET", "/api/nothing", 404), ("PATCH", "/api/post/1", 405), ("DELETE", "/api/post", 405),
    ("GET", "/api/auth", 405),
])
def test_api_errors_are_json_never_a_page(client, db, method, url, status):
    """An unknown /api/ URL or a verb a URL does not answer gets a JSON error, never an HTML page."""
    response = client.open(url, method=method)
    assert response.status_code == status
    assert response.is_json and response.get_json()["message"]


# --------------------------------------------------------------------------- the description


def test_swagger_describes_every_operation_and_its_answers(client, db):
    """/api/swagger.json describes auth and every verb on posts, each with the status codes it answers."""
    spec = client.get("/api/swagger.json").get_json()
    operations = {(path, verb): op for path, verbs in spec["paths"].items()
                  for verb, op in verbs.items() if verb != "parameters"}
    assert set(operations) == {("/auth", "post"), ("/post", "get"), ("/post", "post"),
                               ("/post/{post_id}", "get"), ("/post/{post_id}", "put"),
                               ("/post/{post_id}", "delete")}
    assert set(operations[("/post", "post")]["responses"]) == {"201", "400", "401", "403", "413"}
    assert set(operations[("/post/{post_id}", "delete")]["responses"]) == {
        "204", "400", "401", "403", "404", "413"}


def test_swagger_ui_is_served_from_this_site(client, db):
    """Swagger UI at /api/doc loads its scripts and styles from this site, not from a CDN."""
    page = client.get("/api/doc").get_data(as_text=True)
    assert "swagger-ui" in page and "/api/swagger.json" in page
    assert "//cdn" not in page and "unpkg.com" not in page
    with client.get("/swaggerui/swagger-ui-bundle.js") as script:
        assert script.status_code == 200
