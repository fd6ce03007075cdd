"""Flask-DebugToolbar (chapter 10 on): on every page in development, nowhere else, not even in
production started with debug on; the Content-Security-Policy lets it run only where it is."""
import re

import pytest

pytestmark = pytest.mark.chapters(since=10)

TOOLBAR = 'id="flDebug"'


def toolbar_rules(app) -> list[str]:
    return [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/_debug_toolbar")]


def page(app, path="/blog/") -> tuple[str, str]:
    """A page's HTML and its Content-Security-Policy."""
    with app.test_client().get(path) as response:
        assert response.status_code == 200
        return response.get_data(as_text=True), response.headers["Content-Security-Policy"]


@pytest.fixture
def development(make_app, database_url):
    app = make_app(database_url, "DevConfig")
    with app.app_context():
        app.extensions["sqlalchemy"].create_all()
    return app


@pytest.fixture
def production(make_app, database_url, monkeypatch):
    """The production configuration, started as `flask run --debug` would (FLASK_DEBUG=1)."""
    monkeypatch.setenv("SECRET_KEY", "a key for this test only")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = make_app(database_url, "ProdConfig")
    assert app.debug
    with app.app_context():
        app.extensions["sqlalchemy"].create_all()
    return app


def test_development_pages_carry_the_toolbar(development):
    """In development every page ends with the toolbar, whose files the app serves."""
    html, _ = page(development)
    assert TOOLBAR in html and html.index(TOOLBAR) < html.rindex("</body>")
    assert toolbar_rules(development)
    with development.test_client().get("/_debug_toolbar/static/js/toolbar.js") as script:
        assert script.status_code == 200


def test_development_redirects_are_not_intercepted(development):
    """A redirect in development is a redirect (DEBUG_TB_INTERCEPT_REDIRECTS off), not a toolbar page."""
    with development.test_client().get("/") as response:
        assert response.status_code == 302 and response.location.endswith("/blog/")


@pytest.mark.parametrize("where", ["app", "production"])
def test_no_toolbar_outside_development(where, request):
    """The test and production configurations (production even with debug on) add no toolbar to a
    page and serve no /_debug_toolbar URL."""
    app = request.getfixturevalue(where)
    html, policy = page(app)
    assert "flDebug" not in html and "_debug_toolbar" not in html
    assert toolbar_rules(app) == []
    with app.test_client().get("/_debug_toolbar/static/js/toolbar.js") as response:
        assert response.status_code == 404
    assert "unsafe-inline" not in policy


def test_the_policy_allows_inline_code_only_with_the_toolbar(development):
    """With the toolbar (development), the Content-Security-Policy lets its inline scripts and styles
    run; everything else stays this site's own."""
    _, policy = page(development)
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert directives["script-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["default-src"] == ["'self'"] and directives["object-src"] == ["'none'"]


def test_the_sql_panel_lists_the_page_queries(development):
    """The toolbar's SQL panel counts the queries the page ran, not "Unavailable" (Flask-SQLAlchemy 3
    records them only when SQLALCHEMY_RECORD_QUERIES says so)."""
    html, _ = page(development)
    panel = html[html.index('id="flDebugSQLAlchemyPanel"'):]
    panel = panel[:panel.index("</li>")]
    assert "Unavailable" not in panel
    assert re.search(r"<small>\s*[1-9]\d* quer", panel), panel
