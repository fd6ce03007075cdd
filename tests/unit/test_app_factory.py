"""Chapter 5 on: the app is a package built by `create_app`, its config picked by WEBAPP_ENV."""
import os
import subprocess

import pytest

from workbook import chapters

pytestmark = pytest.mark.chapters(since=5)


@pytest.fixture
def webapp(chapter, monkeypatch, tmp_path):
    """A fresh import of the package, with DATABASE_URL set and SECRET_KEY unset."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'factory.db'}")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("WEBAPP_ENV", raising=False)

    def fresh():
        chapters.forget_chapter_modules()
        return __import__("webapp")

    return fresh


@pytest.mark.parametrize("env, config, debug", [
    (None, "DevConfig", True), ("dev", "DevConfig", True), ("test", "TestConfig", False),
])
def test_webapp_env_picks_the_config(webapp, monkeypatch, env, config, debug):
    """create_app() with no argument uses the config WEBAPP_ENV names (dev when unset): dev has debug on."""
    if env:
        monkeypatch.setenv("WEBAPP_ENV", env)
    app = webapp().create_app()
    assert app.config["DEBUG"] is debug
    assert app.config["TESTING"] is (config == "TestConfig")


def test_prod_needs_a_secret_key(webapp, monkeypatch):
    """ProdConfig refuses to start without SECRET_KEY in the environment, and starts with one."""
    monkeypatch.setenv("WEBAPP_ENV", "prod")
    with pytest.raises(SystemExit) as refused:
        webapp().create_app()
    assert "SECRET_KEY" in str(refused.value)
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    app = webapp().create_app()
    assert app.config["SECRET_KEY"] == "s3cret" and not app.config["DEBUG"]


def test_unknown_environment_exits_naming_the_valid_ones(webapp, monkeypatch):
    """An unknown WEBAPP_ENV stops create_app with one line naming dev, prod and test."""
    monkeypatch.setenv("WEBAPP_ENV", "staging")
    with pytest.raises(SystemExit) as refused:
        webapp().create_app()
    assert str(refused.value) == "WEBAPP_ENV='staging' is not an environment: use one of dev, prod, test"


@pytest.mark.parametrize("env, extra, message", [
    ("staging", {}, "use one of dev, prod, test"),
    ("prod", {}, "no SECRET_KEY"),
])
def test_flask_command_refuses_in_one_line(chapter, chapter_code, tmp_path, env, extra, message):
    """`flask --app webapp routes` with a bad WEBAPP_ENV, or prod without SECRET_KEY, exits with one clear
    line."""
    environ = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        chapter.flask_command("routes"),
        cwd=chapter_code, capture_output=True, text=True,
        env={**environ, "WEBAPP_ENV": env, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **extra},
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_two_apps_side_by_side(webapp, tmp_path):
    """Two apps from two configs live in one process, each with its own settings and database."""
    package = webapp()
    from webapp.config import DevConfig, TestConfig
    from webapp.models import User, db

    class Other(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'other.db'}"

    dev, other = package.create_app(DevConfig), package.create_app(Other)
    assert (dev.config["DEBUG"], other.config["DEBUG"]) == (True, False)
    for app, names in ((dev, ["ada"]), (other, ["bob", "cy"])):
        with app.app_context():
            db.create_all()
            db.session.add_all(User(name) for name in names)
            db.session.commit()
    for app, count in ((dev, 1), (other, 2)):
        with app.app_context():
            assert len(db.session.scalars(db.select(User)).all()) == count
            db.session.remove()
            db.engine.dispose()


def test_package_serves_its_static_files(client):
    """The package serves its own static files (webapp/static) at /static."""
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    response.close()


def routes(app) -> list[str]:
    return sorted(f"{rule.endpoint} {rule.rule}" for rule in app.url_map.iter_rules())


@pytest.mark.chapters(since=8)
def test_create_app_twice_in_one_process_gives_two_full_apps(webapp, tmp_path):
    """create_app called again in the same process (each of the book's tests makes an app) builds an
    app as full as the first: the same routes, the API's resources and, from chapter 10, the admin's
    views and its menu, each app serving them."""
    package = webapp()
    from webapp.config import TestConfig

    first, second, third = (package.create_app(TestConfig) for _ in range(3))
    assert routes(first) == routes(second) == routes(third)
    assert {"api.post_list_api /api/post", "api.auth_api /api/auth"} <= set(routes(third))
    if "admin" in third.extensions:
        assert {"admin.index /admin/", "user.index_view /admin/user/",
                "post.index_view /admin/post/"} <= set(routes(third))
        (admin,) = third.extensions["admin"]
        assert [view.endpoint for view in admin._views][:2] == ["admin", "customview"]
        assert [item.name for item in admin.menu()][:3] == ["Home", "Custom", "Models"]
    from webapp.models import db

    for app in (first, third):
        with app.app_context():
            db.create_all()
        client = app.test_client()
        assert client.get("/api/post").status_code == 200
        if "admin" in app.extensions:  # an anonymous visitor is sent to sign in, not a 404
            assert client.get("/admin/post/").status_code == 302


@pytest.mark.chapters(since=8)
def test_the_books_workarounds_before_create_app_change_nothing(webapp):
    """The book's chapter 12 "bug workarounds", `admin._views = []` and `rest_api.resources = []`
    before create_app, are harmless: the app still has every route, the API's resources and (from
    chapter 10) the admin's views, as an app built without them."""
    package = webapp()
    from webapp import extensions
    from webapp.config import TestConfig

    without = package.create_app(TestConfig)
    if hasattr(extensions, "admin"):
        extensions.admin._views = []
    extensions.rest_api.resources = []
    with_them = package.create_app(TestConfig)
    assert routes(with_them) == routes(without)
    assert "api.post_api /api/post/<int:post_id>" in routes(with_them)
    if "admin" in with_them.extensions:
        assert "tag.index_view /admin/tag/" in routes(with_them)
        assert len(with_them.extensions["admin"][0]._views) == len(without.extensions["admin"][0]._views)
