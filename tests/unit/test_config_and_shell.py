"""Configuration objects and the `flask shell` context (the book's manage.py, on the Flask CLI)."""
import pytest

pytestmark = pytest.mark.chapters(since=1)


def test_dev_config_has_debug_on_and_prod_off(config_module):
    """DevConfig turns debug on; ProdConfig does not."""
    assert config_module.DevConfig.DEBUG is True
    assert not getattr(config_module.ProdConfig, "DEBUG", False)
    assert issubclass(config_module.DevConfig, config_module.Config)
    assert issubclass(config_module.ProdConfig, config_module.Config)


@pytest.mark.chapters(since=1, until=4)
def test_app_runs_with_debug_on_from_dev_config(app):
    """The app is configured from DevConfig with from_object: debug is on."""
    assert app.config["DEBUG"] is True


def test_shell_context_holds_app(app):
    """`flask shell` starts with `app` already defined."""
    with app.app_context():  # as `flask shell` does
        context = app.make_shell_context()
    assert context["app"] is app


@pytest.mark.chapters(since=2)
def test_shell_context_holds_db_and_models(app, models):
    """`flask shell` also holds `db` and the models User, Post, Comment and Tag."""
    with app.app_context():
        context = app.make_shell_context()
    assert context["db"] is app.extensions["sqlalchemy"]
    for name in ("User", "Post", "Comment", "Tag"):
        assert context[name] is getattr(models, name)


def test_routes_command_lists_home(runner):
    """`flask routes` (Flask-Script's show-urls) lists the home page at `/`."""
    from flask.cli import FlaskGroup

    result = runner.invoke(FlaskGroup(), ["routes"])
    assert result.exit_code == 0
    assert any(line.split()[-1] == "/" for line in result.output.splitlines()[2:])
