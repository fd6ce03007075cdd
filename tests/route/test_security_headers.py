"""Security headers on every answer (chapter 6 on): what a browser is told not to do with the pages."""
import pytest

pytestmark = pytest.mark.chapters(since=6)


class Answer:
    """An answer's headers and text, read and closed (a static file's stays open otherwise)."""

    def __init__(self, client, path):
        with client.get(path) as response:
            self.headers, self.html = response.headers, response.get_data(as_text=True)


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


@pytest.fixture
def answers(client, db, make, url_for):
    """A page, an error page, a form page and a static file: every kind of answer the blog gives."""
    post = make.post("Headed", author="ann", tags=["flask"])
    return [Answer(client, path) for path in (
        url_for("blog.home"), url_for("blog.post", post_id=post.id), "/no/such/page",
        url_for("main.login"), "/static/css/site.css",
    )]


def test_every_answer_forbids_sniffing_framing_and_foreign_referrers(answers):
    """Pages, error pages and static files all carry nosniff, DENY framing and a referrer policy."""
    for response in answers:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert directives(response)["frame-ancestors"] == "'none'"


def test_the_content_security_policy_allows_only_the_sites_own_files(answers):
    """The Content-Security-Policy lets pages load scripts, styles and frames from this site only."""
    for response in answers:
        policy = directives(response)
        assert policy["default-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        assert "script-src" not in policy and "style-src" not in policy  # default-src: 'self' only
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_no_page_has_an_inline_script_or_style(answers):
    """No page has a <script> without src, a <style> or a style= attribute, which the policy would block."""
    import re

    for response in answers[:4]:
        html = response.html
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), html
        assert "<style" not in html and " style=" not in html
        assert not re.search(r"\son[a-z]+=", html)  # onclick= and friends are inline scripts too


def test_recaptcha_is_allowed_only_when_configured(make_app, database_url, monkeypatch):
    """With reCAPTCHA keys set, the policy lets Google's reCAPTCHA script and frame in; without them,
    nothing."""
    monkeypatch.setenv("RECAPTCHA_PUBLIC_KEY", "public")
    monkeypatch.setenv("RECAPTCHA_PRIVATE_KEY", "private")
    app = make_app(database_url, "DevConfig")
    policy = directives(Answer(app.test_client(), "/static/css/site.css"))
    assert "https://www.google.com/recaptcha/" in policy["script-src"]
    assert "https://www.google.com/recaptcha/" in policy["frame-src"]


def test_hsts_only_in_production(client, make_app, database_url, monkeypatch):
    """Only the production configuration tells browsers to use HTTPS alone (Strict-Transport-Security)."""
    assert "Strict-Transport-Security" not in Answer(client, "/static/css/site.css").headers
    monkeypatch.setenv("SECRET_KEY", "a key for this test only")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    production = make_app(database_url, "ProdConfig")
    hsts = Answer(production.test_client(), "/static/css/site.css").headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 180 * 24 * 3600
