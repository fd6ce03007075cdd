"""Flask-Assets (chapter 10 on): each page loads one CSS and one JS bundle, Bootstrap's files and the
site's own joined and minified, served by the app itself; `flask assets build` builds them."""
import os
import re
import time

import pytest

pytestmark = pytest.mark.chapters(since=10)


def fetch(client, url) -> str:
    with client.get(url) as response:
        assert response.status_code == 200, url
        return response.get_data(as_text=True)


@pytest.fixture
def bundles(client, db) -> dict[str, str]:
    """The home page's stylesheet and script URLs: {"css": url, "js": url}, each exactly one."""
    html = fetch(client, "/blog/")
    [css] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    [js] = re.findall(r'<script[^>]* src="([^"]+)"', html)
    assert len(re.findall(r"<link\b", html)) == 1 and len(re.findall(r"<script\b", html)) == 1
    return {"css": css, "js": js}


def minified(text: str) -> bool:
    """Whitespace and comments squeezed out: outside the licence comments (/*! … */, kept), no
    indented line, no other comment, no source-map reference."""
    code = re.sub(r"/\*!.*?\*/", "", text, flags=re.S)
    return not re.search(r"\n\s", code) and "/*" not in code and "sourceMappingURL" not in code


def test_each_page_loads_one_stylesheet_and_one_script_from_the_site(bundles):
    """A page links one stylesheet and one script, both this site's built bundles, versioned."""
    assert re.fullmatch(r"/static/gen/common\.css\?\d+", bundles["css"])
    assert re.fullmatch(r"/static/gen/common\.js\?\d+", bundles["js"])


def test_the_css_bundle_is_bootstrap_and_the_sites_own_minified(client, bundles):
    """The CSS bundle holds Bootstrap (its licence comment kept) and static/css/site.css, minified."""
    css = fetch(client, bundles["css"])
    assert re.match(r'(@charset "UTF-8";)?/\*!\s+\* Bootstrap\s+v5', css)  # MIT: the notice travels along
    assert ".btn{" in css and ".navbar{" in css
    assert ".post-summary h2 a{text-decoration:none}" in css  # the site's own rule, after Bootstrap's
    assert css.index(".post-summary") > css.index(".navbar{")
    assert minified(css)


def test_the_js_bundle_is_popper_and_bootstrap_minified(client, bundles):
    """The JS bundle holds Popper then Bootstrap (which uses it), minified."""
    js = fetch(client, bundles["js"])
    assert js.index(".Popper={}") < js.index("Bootstrap v5")
    assert minified(js)


def test_the_bundles_are_under_the_content_security_policy(client, bundles):
    """The bundles are this site's own files: the policy lets them load as it is, nothing inline."""
    with client.get(bundles["js"]) as response:
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Type"].startswith(("text/javascript", "application/javascript"))


def test_flask_assets_build_builds_both_bundles(app, runner, tmp_path):
    """`flask assets build` writes both bundles, minified (here into a folder of the test's own)."""
    from flask.cli import FlaskGroup

    app.config.update(ASSETS_DIRECTORY=str(tmp_path), ASSETS_URL="/built")
    result = runner.invoke(FlaskGroup(), ["assets", "build"])
    assert result.exit_code == 0, result.output
    css, js = (tmp_path / "gen" / "common.css").read_text(), (tmp_path / "gen" / "common.js").read_text()
    assert ".btn{" in css and "Bootstrap v5" in js
    assert minified(css) and minified(js)


def test_a_bundle_is_built_at_start_when_missing_or_older_than_its_files(app, tmp_path):
    """At start the app builds a bundle that is missing or older than one of its files, and leaves an
    up-to-date one alone; nothing but the bundles is left in their folder."""
    import importlib
    import os

    build_bundles = importlib.import_module("webapp.assets").build_bundles
    app.config.update(ASSETS_DIRECTORY=str(tmp_path), ASSETS_URL="/built")
    build_bundles(app)  # what create_app does, here into the test's folder
    css = tmp_path / "gen" / "common.css"
    assert ".btn{" in css.read_text()
    css.write_text("kept")  # newer than Bootstrap's files and site.css: up to date
    build_bundles(app)
    assert css.read_text() == "kept"
    os.utime(css, (0, 0))  # older than every file it is made of
    build_bundles(app)
    assert ".btn{" in css.read_text()
    assert sorted(path.name for path in (tmp_path / "gen").iterdir()) == ["common.css", "common.js"]


@pytest.mark.chapters(since="webapp")
def test_in_development_an_edited_stylesheet_is_bundled_again_at_the_next_page(app, client, db, tmp_path):
    """In development (ASSETS_AUTO_BUILD) an edited site.css is in the bundle the very next page
    links, without a restart."""
    import shutil

    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static, ignore=shutil.ignore_patterns("gen"))
    app.static_folder = str(static)  # where Flask-Assets finds site.css, and writes the bundles
    app.config.update(ASSETS_AUTO_BUILD=True, ASSETS_DIRECTORY=str(static))
    fetch(client, "/blog/")  # builds the bundles into the copy
    for built in (static / "gen").iterdir():  # as if built a minute ago (URLs carry whole seconds)
        os.utime(built, (time.time() - 60, time.time() - 60))
    first = re.search(r'<link rel="stylesheet" href="([^"]+)"', fetch(client, "/blog/"))[1]
    site_css = static / "css" / "site.css"
    site_css.write_text(site_css.read_text() + "\n.edited-just-now { color: red }\n")
    second = re.search(r'<link rel="stylesheet" href="([^"]+)"', fetch(client, "/blog/"))[1]
    assert second != first
    assert ".edited-just-now{color:red}" in (static / "gen" / "common.css").read_text()
