"""Chapter 10's Flask Script section on the Flask CLI: the book's `test` command, Flask-Script's
`server`, `shell`, `show-urls` and `clean` as `flask` commands, and a database set up with demo data."""
import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.chapters(since=10)


@pytest.fixture
def flask(runner):
    """`flask ARGS…` as typed in a terminal: Flask's own commands (run, shell, routes), the plugins'
    (db) and the app's, on the test's app."""
    from flask.cli import FlaskGroup

    return lambda *args, **kwargs: runner.invoke(FlaskGroup(), list(args), **kwargs)


def one_error_line(result) -> str:
    """The one line a refused command printed about what was wrong (never a traceback)."""
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no error escaped
    [line] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    return line


def test_the_books_test_command_says_hello(flask):
    """`flask test`, the book's first Flask-Script command, prints "Hello, World!"."""
    result = flask("test")
    assert (result.exit_code, result.output) == (0, "Hello, World!\n")


def test_a_command_with_a_wrong_argument_exits_with_one_line(flask):
    """`flask test extra` is refused: a non-zero exit, one line saying which argument, no traceback."""
    assert "unexpected extra argument (extra)" in one_error_line(flask("test", "extra"))


def test_the_commands_are_listed(flask):
    """`flask --help` lists the book's commands: run (server), shell, routes (show-urls), test, clean,
    seed."""
    result = flask("--help")
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.splitlines() if line.startswith("  ")}
    assert listed >= {"run", "shell", "routes", "test", "clean", "seed", "db"}


def test_routes_lists_every_page_of_the_blog(flask, app):
    """`flask routes` (Flask-Script's show-urls) lists each URL of the app with its endpoint."""
    result = flask("routes")
    assert result.exit_code == 0
    rows = {tuple(line.split()[::len(line.split()) - 1]) for line in result.output.splitlines()[2:]}
    assert ("blog.home", "/blog/") in rows and ("main.login", "/login") in rows
    assert len(rows) == len(list(app.url_map.iter_rules()))


def test_clean_removes_compiled_files_and_nothing_else(flask, tmp_path):
    """`flask clean FOLDER` removes __pycache__ folders and .pyc/.pyo files, keeps the sources, and leaves
    dot-folders (.venv) alone."""
    project = tmp_path / "project"
    (project / "webapp" / "__pycache__").mkdir(parents=True)
    (project / "webapp" / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"\0")
    (project / "webapp" / "models.py").write_text("x = 1\n")
    (project / "old.pyc").write_bytes(b"\0")
    (project / "older.pyo").write_bytes(b"\0")
    (project / ".venv" / "__pycache__").mkdir(parents=True)
    result = flask("clean", str(project))
    assert result.exit_code == 0, result.output
    assert result.output == f"removed 3 compiled files and __pycache__ folders under {project}\n"
    left = sorted(str(path.relative_to(project)) for path in project.rglob("*"))
    assert left == [".venv", ".venv/__pycache__", "webapp", "webapp/models.py"]


def test_clean_defaults_to_the_project_folder(flask, app, monkeypatch):
    """`flask clean` with no folder cleans the project's folder (the one holding webapp/), wherever it is
    typed."""
    import os
    import shutil

    walked = []
    monkeypatch.setattr(os, "walk", lambda top: walked.append(top) or iter(()))
    monkeypatch.setattr(shutil, "rmtree", lambda path: pytest.fail("nothing to remove"))
    result = flask("clean")
    assert result.exit_code == 0, result.output
    assert walked == [os.path.dirname(app.root_path)]


def test_clean_refuses_a_folder_that_does_not_exist(flask, tmp_path):
    """`flask clean NO/SUCH/FOLDER` exits non-zero with one line naming it."""
    line = one_error_line(flask("clean", str(tmp_path / "missing")))
    assert "missing' is not a folder" in line


def test_an_empty_database_is_set_up_with_demo_data(flask, make_app, tmp_path, chapter_code, models):
    """`flask db upgrade` then `flask seed` turn an empty database into a blog with users, tags and posts."""
    app = make_app(f"sqlite:///{tmp_path / 'new.db'}")
    from flask.cli import FlaskGroup

    run = lambda *args: app.test_cli_runner().invoke(FlaskGroup(), list(args))  # noqa: E731
    upgraded = run("db", "upgrade", "--directory", str(chapter_code / "migrations"))
    assert upgraded.exit_code == 0, upgraded.output
    seeded = run("seed", "--users", "2", "--posts", "5", "--tags", "3")
    assert seeded.exit_code == 0, seeded.output
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert (count(models.User), count(models.Tag), count(models.Post)) == (2, 3, 5)
