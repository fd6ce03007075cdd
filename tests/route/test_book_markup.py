"""The book's markup (chapter 3 on): the names, ids, classes and URLs a reader's test from the book
finds the forms by (chapter 12's test_ui.py: `find_element_by_name("username")`,
`find_element_by_id("login_button")`, the first `btn-primary` of /blog/new, CKEditor's iframe), and
the post editor the book puts on /blog/new and /blog/edit from chapter 6 on (CKEditor 4, served by the
app itself here; the book's came from a CDN), whose HTML is cleaned before the blog shows it."""
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.chapters(since=3)


class Elements(HTMLParser):
    """Every element of a page, in order, as (tag, attributes)."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name: value or "" for name, value in attrs}))

    def named(self, name: str) -> list[tuple[str, dict]]:
        return [(tag, attrs) for tag, attrs in self.found if attrs.get("name") == name]

    def with_class(self, name: str) -> list[tuple[str, dict]]:
        return [(tag, attrs) for tag, attrs in self.found if name in attrs.get("class", "").split()]


def form_fields(html: str, action: str) -> set[str]:
    """The names of the fields of the form that posts to `action`."""
    inside, names = False, set()
    for tag, attrs in Elements(html).found:
        if tag == "form":
            inside = attrs.get("action", "").split("?")[0] == action
        elif inside and "name" in attrs:
            names.add(attrs["name"])
    return names


def first_primary_button(html: str) -> tuple[str, dict]:
    """What the book's test clicks: the first element of class btn-primary on the page."""
    return Elements(html).with_class("btn-primary")[0]


def is_submit(element: tuple[str, dict]) -> bool:
    tag, attrs = element
    return tag in ("button", "input") and attrs.get("type") == "submit"


def test_the_comment_form_has_the_books_field_names(make, client, db, url_for):
    """A post's comment form has the book's fields, `name` and `text`, and a btn-primary submit."""
    post = make.post("Hello")
    path = url_for("post", post_id=post.id)
    html = client.get(path).text
    assert {"name", "text"} <= form_fields(html, path)
    assert any(is_submit(element) for element in Elements(html).with_class("btn-primary"))


@pytest.mark.chapters(since=4)
def test_blog_without_its_slash_reaches_the_home_page(make, client, db, url_for):
    """/blog, without the trailing slash (the book's test loads it after posting), reaches the home
    page: a redirect to /blog/ that a browser follows."""
    make.post("Hello")
    response = client.get("/blog")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith(url_for("home"))
    followed = client.get("/blog", follow_redirects=True)
    assert followed.status_code == 200 and "Hello" in followed.text
    assert followed.request.path == url_for("home")


@pytest.mark.chapters(since=6)
def test_login_and_register_forms_have_the_books_names_and_ids(client, db, url_for):
    """The login form has the book's `username` and `password` fields and its button
    `id="login_button"` of class btn-primary; the registration form has `username`, `password` and
    `confirm`."""
    login = url_for("main.login")
    html = client.get(login).text
    assert {"username", "password", "remember"} <= form_fields(html, login)
    elements = Elements(html)
    (button,) = [e for e in elements.found if e[1].get("id") == "login_button"]
    assert is_submit(button) and "btn-primary" in button[1]["class"].split()
    assert first_primary_button(html) == button
    register = url_for("main.register")
    assert {"username", "password", "confirm"} <= form_fields(client.get(register).text, register)


@pytest.fixture
def poster_with_a_post(auth, make):
    poster = auth.user("poster", "poster")
    post = make.post("Mine", author=poster)
    auth.login("poster")
    return post


def editor_pages(url_for, post):
    return [url_for("blog.new_post"), url_for("blog.edit_post", id=post.id)]


@pytest.mark.chapters(since=6)
def test_new_and_edit_pages_have_the_books_names_and_submit_first(client, url_for, poster_with_a_post):
    """/blog/new and /blog/edit/<id> have the book's `title` and `text` fields, and the first
    btn-primary of the page (what the book's test clicks) is the form's submit button."""
    for path in editor_pages(url_for, poster_with_a_post):
        html = client.get(path).text
        assert {"title", "text"} <= form_fields(html, path), path
        assert is_submit(first_primary_button(html)), path


@pytest.mark.chapters(since=6)
def test_new_and_edit_pages_run_ckeditor_served_by_the_app(client, url_for, poster_with_a_post):
    """/blog/new and /blog/edit/<id> run CKEditor 4 on the text (a textarea of class "ckeditor"), its
    script served by the app itself from Flask-CKEditor's package (no CDN, no other site), with no
    inline script; their policy lets CKEditor's toolbar work (inline handlers and styles) and still
    loads nothing from another site."""
    for path in editor_pages(url_for, poster_with_a_post):
        response = client.get(path)
        elements = Elements(response.text)
        (text,) = elements.named("text")
        assert text[0] == "textarea" and "ckeditor" in text[1]["class"].split(), path
        scripts = [attrs.get("src") for tag, attrs in elements.found if tag == "script"]
        assert all(scripts), f"{path} has an inline script"
        assert "/ckeditor/static/standard/ckeditor.js" in scripts, scripts
        assert all(src.startswith("/") and not src.startswith("//") for src in scripts), scripts
        for src in scripts:
            served = client.get(src)
            served.close()  # a static file's answer holds the file open until closed
            assert served.status_code == 200, src
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self' 'unsafe-inline'" in policy
        assert "http" not in policy and "frame-ancestors 'none'" in policy


@pytest.mark.chapters(since=6)
def test_other_pages_keep_the_strict_policy(client, url_for, poster_with_a_post):
    """Only the editor's two pages allow inline scripts: the home page and a post's page do not."""
    for path in (url_for("blog.home"), url_for("blog.post", post_id=poster_with_a_post.id)):
        assert "unsafe-inline" not in client.get(path).headers["Content-Security-Policy"], path


@pytest.mark.chapters(since=6)
def test_the_editors_html_is_cleaned_and_a_script_never_reaches_the_post(
        client, db, models, auth, url_for, poster_with_a_post):
    """What the editor sends is HTML: the blog keeps its formatting (<strong>) and drops what could
    run (<script>, onerror=, javascript: links), on a new post and on an edited one."""
    text = ('<p><strong>Bold</strong> text</p><script>alert("x")</script>'
            '<img src="/x.png" onerror="alert(1)"><a href="javascript:alert(2)">link</a>')
    auth.post_form(url_for("blog.new_post"), {"title": "Rich", "text": text})
    edited = poster_with_a_post
    auth.post_form(url_for("blog.edit_post", id=edited.id), {"title": "Edited", "text": text})
    db.session.expire_all()
    for post in db.session.scalars(db.select(models.Post)):
        page = client.get(url_for("blog.post", post_id=post.id)).text
        assert "<strong>Bold</strong> text" in page, post.title
        assert "<script" not in post.text, post.title
        for dangerous in ("alert", "onerror", "javascript:"):  # (the page's own scripts have src=)
            assert dangerous not in page and dangerous not in post.text, (post.title, dangerous)
