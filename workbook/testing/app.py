"""The chapter's app, in the style of Flask's tutorial (flaskr) fixtures: `app` on a fresh database,
its `client` and CLI `runner`, `db` and the chapter's `models` (what a test asks of its pages: pages.py)."""
from __future__ import annotations

import importlib
import logging
import os
import shutil
import sys
from pathlib import Path

import pytest

from workbook import chapters
from workbook.testing.coverage_floor import measured_once


class CompiledTemplates:
    """A Jinja bytecode cache shared by every app the session builds. Each test gets an app (and a
    Jinja environment) of its own, which would compile every template again; keyed by the template's
    source checksum, a changed template is compiled anew."""

    def __init__(self):
        from jinja2 import BytecodeCache

        class InMemory(BytecodeCache):
            def __init__(self):
                self.stored = {}

            def load_bytecode(self, bucket):
                if bucket.key in self.stored:
                    bucket.bytecode_from_string(self.stored[bucket.key])

            def dump_bytecode(self, bucket):
                self.stored[bucket.key] = bucket.bytecode_to_string()

        self.cache = InMemory()


@pytest.fixture(scope="session")
def compiled_templates():
    return CompiledTemplates().cache


@pytest.fixture(autouse=True)
def chapter_modules_kept():
    """A test that imports the chapter afresh (`fresh=True`, the app-factory tests) leaves the
    process with the chapter's modules it found: in a checkout, the chapter's own tests (chapter 12)
    imported them when collected, and their later imports inside functions (Flask-Login's user
    loader) must find the same `db`, not another test's."""
    kept = {name: module for name, module in sys.modules.items()
            if name.split(".")[0] in chapters.CHAPTER_MODULES}
    yield
    # (The configuration module is read again by every app the harness makes: not a fresh import.)
    if any(sys.modules.get(name) is not module for name, module in kept.items()
           if "." not in name and name != "config"):
        chapters.forget_chapter_modules()
        sys.modules.update(kept)


@pytest.fixture(autouse=True)
def chapter_loggers_enabled():
    """The chapter's loggers (the app's `webapp`, its modules') on for every test: a migration run in
    this process (`flask db upgrade` through the CLI runner) reads alembic.ini with logging's
    fileConfig, which disables every logger it does not name, and what a later test's app logs
    (a task it could not queue) would be lost to the test and to `workbook check`."""
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.split(".")[0] in chapters.CHAPTER_MODULES and isinstance(logger, logging.Logger):
            logger.disabled = False
    yield


@pytest.fixture
def database_url(tmp_path):
    """A throwaway SQLite file for one test; override to use another database."""
    return f"sqlite:///{tmp_path / 'test.db'}"


def build_key(chapter, config: str, fresh: bool) -> tuple:
    """What decides which of the chapter's lines building its app runs: the configuration, a fresh
    import, and the environment the configuration reads (of DATABASE_URL, which is each test's own,
    the kind of database only)."""
    environment = {name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"}
    environment["DATABASE_URL"] = environment.get("DATABASE_URL", "").partition(":")[0]
    return chapter.name, config, fresh, frozenset(environment.items())


@pytest.fixture
def make_app(chapter, monkeypatch, compiled_templates):
    """Build the chapter's app (testing on) against a database URL, the way its own code reads it
    (`fresh=True`: the chapter's modules imported afresh, see chapters.load_app)."""
    built = []

    def make(url: str, config: str = "TestConfig", fresh: bool = False):
        monkeypatch.setenv("DATABASE_URL", url)
        with measured_once(build_key(chapter, config, fresh)):
            app = chapters.load_app(chapter, config, fresh)
        # The suites test the app as it is served: CSRF protection on, whatever the chapter's test
        # configuration says (chapter 12's, the book's, turns it off so that its own tests need no
        # token). A test that checks the app without it switches it off (test_pages_without_csrf.py).
        app.config.update(TESTING=True, WTF_CSRF_ENABLED=True)
        app.jinja_env.bytecode_cache = compiled_templates
        built.append(app)
        return app

    yield make
    # The configuration module read DATABASE_URL, which was this test's: the next import (a chapter's
    # own tests, beside the suites in a checkout) reads the environment afresh.
    sys.modules.pop(chapter.config, None)
    for app in built:
        db = app.extensions.get("sqlalchemy")
        if db is not None:
            with app.app_context():
                db.session.remove()
                for engine in db.engines.values():
                    engine.dispose()


class EmptyDatabases:
    """SQLite files with a chapter's tables (and, from chapter 6, its three roles), one for each set
    of tables, made once per process by `create_all`: each test's SQLite database starts as a copy of
    one (creating the tables for every test was a third of the route suites' setup)."""

    def __init__(self, folder: Path):
        self.folder, self.made = folder, {}

    def copy(self, tables: tuple[str, ...], to: Path) -> bool:
        """Copy the empty database with these tables to `to`, if there is one yet."""
        if tables not in self.made:
            return False
        shutil.copyfile(self.made[tables], to)
        return True

    def keep(self, tables: tuple[str, ...], made: Path) -> None:
        """Keep a copy of `made`, just created with these tables, for the next tests."""
        self.made[tables] = shutil.copyfile(made, self.folder / f"{len(self.made)}.db")


@pytest.fixture(scope="session")
def empty_databases(tmp_path_factory):
    return EmptyDatabases(tmp_path_factory.mktemp("empty-databases"))


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (sqlite:///path), else None."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


@pytest.fixture
def app(make_app, database_url, empty_databases, chapter):
    """The chapter's app, testing on, with its tables created in a fresh database, and the roles
    (chapter 6 on) that `flask db upgrade` adds: `create_all` makes tables only."""
    app = make_app(database_url)
    db = app.extensions.get("sqlalchemy")
    if db is None:
        return app
    tables, file = tuple(sorted(db.metadata.tables)), sqlite_file(database_url)
    fresh_file = file is not None and not file.exists()  # (nothing has connected to it yet)
    if fresh_file and empty_databases.copy(tables, file):
        return app
    with app.app_context():
        db.create_all()
        add_roles = getattr(importlib.import_module(chapter.models), "add_roles", None)
        if add_roles is not None:
            add_roles()
    if fresh_file:
        empty_databases.keep(tables, file)
    return app


@pytest.fixture
def db(app):
    """The app's Flask-SQLAlchemy object, inside an app context."""
    if "sqlalchemy" not in app.extensions:
        pytest.skip("this chapter has no database")
    with app.app_context():
        yield app.extensions["sqlalchemy"]


@pytest.fixture
def models(app, chapter):
    """The module that holds the chapter's models (main.py, or webapp.models from chapter 5)."""
    return importlib.import_module(chapter.models)


@pytest.fixture
def config_module(app, chapter):
    """The chapter's configuration module (config.py, or webapp.config from chapter 5)."""
    return importlib.import_module(chapter.config)


@pytest.fixture
def client(app):
    """The app's test client; each request gets a fresh `g`, as under a real server.

    Flask reuses an app context that is already pushed (the `db` fixture keeps one open for the
    test's own queries), and `g` lives on it: what one request left on `g` (Flask-Login's user,
    Flask-Principal's identity) would carry into the next. The database session stays shared.
    """
    import flask.globals
    from flask.testing import FlaskClient

    class FreshContextClient(FlaskClient):
        def open(self, *args, **kwargs):
            context = flask.globals._cv_app.get(None)
            if context is None or context.app is not self.application:
                return super().open(*args, **kwargs)
            kept, context.g = context.g, self.application.app_ctx_globals_class()
            try:
                return super().open(*args, **kwargs)
            finally:
                context.g = kept

    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def runner(app):
    """The app's `flask` command, run in-process (Click's test runner)."""
    return app.test_cli_runner()
