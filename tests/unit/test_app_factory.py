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
    """`flask --app webapp routes` with a bad WEBAPP_ENV, or prod without SECRET_KEY, exits with one clear line."""
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
