"""Fixtures and hooks that run one suite against any chapter of the workbook.

`python -m pytest --chapter N` puts chapter N's snapshot first on sys.path, keeps the tests whose
`@pytest.mark.chapters(since=…, until=…)` range holds N, measures the chapter's branch coverage and fails
the run below the chapter's floor. Fixtures adapt to the chapter's shape (a `main.py` module, or a
`webapp` package with `create_app`) so that the tests do not have to.

This file is copied as it is into a standalone checkout (`workbook checkout`), where the chapter is the
folder that holds it.
"""
from __future__ import annotations

import inspect
import io
import os
import sys
import uuid
from pathlib import Path

import pytest

from workbook import chapters, live

pytest_plugins = ["workbook.testing.builders"]

# Jupyter warns at import unless told to use the platform's directories; warnings are errors here.
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")

KINDS = ("unit", "route", "server", "ui", "notebook")

SERVICE_URLS = {
    "postgresql": os.environ.get(
        "WORKBOOK_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get("WORKBOOK_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def need(reason: str):
    """Something a test needs is missing: skip on a laptop, fail in CI where nothing may skip."""
    if in_ci():
        pytest.fail(f"CI needs this: {reason}", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- options and set-up


def pytest_addoption(parser):
    group = parser.getgroup("workbook")
    group.addoption(
        "--chapter",
        default=str(chapters.newest().number),
        help="run the suites that apply to this chapter (default: the newest)",
    )
    group.addoption(
        "--chapter-dir",
        default=None,
        help="test this folder (a learner's own) instead of the chapter's snapshot",
    )
    group.addoption("--tooling", action="store_true", help="run the tests of the workbook tooling")
    group.addoption(
        "--no-coverage", action="store_true", help="do not measure the chapter's coverage"
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "tooling: tests of the workbook command itself")
    if config.option.tooling:
        config.workbook_chapter = None
        return
    try:
        chapter = chapters.get(config.option.chapter)
    except chapters.UnknownChapter as error:
        raise pytest.UsageError(str(error)) from None
    code = Path(config.option.chapter_dir or chapter.path).resolve()
    if not code.is_dir():
        raise pytest.UsageError(f"--chapter-dir {code} is not a folder")
    config.workbook_chapter = chapter
    config.workbook_code = code
    chapters.forget_chapter_modules()
    sys.path.insert(0, str(code))
    config.workbook_coverage = None
    if not (config.option.no_coverage or config.option.collectonly):
        config.workbook_coverage = _start_coverage(code)


def pytest_report_header(config):
    chapter = config.workbook_chapter
    if chapter is None:
        return "workbook: tooling tests"
    return f"workbook: chapter {chapter.number} ({chapter.title}) from {config.workbook_code}"


# --------------------------------------------------------------------------- collection


def pytest_ignore_collect(collection_path, config):
    chapter = config.workbook_chapter
    if collection_path.suffix == ".ipynb":
        # Only the chapter's own notebook, and not when testing a learner's folder or the tooling.
        if chapter is None or config.option.chapter_dir:
            return True
        return collection_path.resolve() != chapter.notebook.resolve()
    if collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        # The tooling's tests and the chapters' suites never run in one process.
        return ("tooling" in collection_path.parts) != bool(config.option.tooling)
    return None


def _applies(item, number: int) -> bool:
    marker = item.get_closest_marker("chapters")
    if marker is None:
        raise pytest.UsageError(f"{item.nodeid}: say from which chapter it holds: @pytest.mark.chapters(since=N)")
    since = marker.kwargs.get("since", marker.args[0] if marker.args else None)
    until = marker.kwargs.get("until", marker.args[1] if len(marker.args) > 1 else None)
    return since <= number and (until is None or number <= until)


def behaviour(item) -> str:
    """The behaviour a test checks, in a reader's words: the first line of its docstring."""
    obj = getattr(item, "obj", None)
    doc = inspect.getdoc(obj) if obj is not None else None
    if doc:
        text = doc.splitlines()[0]
        callspec = getattr(item, "callspec", None)
        return f"{text} [{callspec.id}]" if callspec else text
    return item.name


def pytest_collection_modifyitems(session, config, items):
    chapter = config.workbook_chapter
    keep, drop = [], []
    for item in items:
        if chapter is None:
            item.add_marker(pytest.mark.tooling)
            keep.append(item)
            continue
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
            keep.append(item)
            continue
        kinds = [kind for kind in KINDS if item.get_closest_marker(kind)]
        if len(kinds) != 1:
            raise pytest.UsageError(f"{item.nodeid}: mark it with exactly one of {', '.join(KINDS)}")
        if not inspect.getdoc(item.obj):
            raise pytest.UsageError(f"{item.nodeid}: say the behaviour it checks in its docstring")
        (keep if _applies(item, chapter.number) else drop).append(item)
        item.user_properties.append(("behaviour", behaviour(item)))
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


# --------------------------------------------------------------------------- coverage


def _start_coverage(code: Path):
    import coverage

    cov = coverage.Coverage(
        data_file=None,
        branch=True,
        source=[str(code)],
        omit=[str(code / "migrations" / "*"), str(code / "tests" / "*"), str(code / "conftest.py"),
              str(code / "workbook" / "*")],
        config_file=False,
    )
    cov.exclude(r"if __name__ == .__main__.:")
    cov.start()
    return cov


def _whole_run(config) -> bool:
    """The floor is a promise about the whole suite; a run narrowed with -k, -m or paths skips it."""
    narrowed = config.option.keyword or config.option.markexpr or config.option.deselect
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS and not narrowed


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    cov = getattr(config, "workbook_coverage", None)
    if cov is None:
        return
    cov.stop()
    report = io.StringIO()
    try:
        percent = cov.report(file=report, show_missing=True, skip_covered=True, precision=1)
    except Exception as error:  # coverage.exceptions.NoDataError: nothing of the chapter ran
        config.workbook_coverage_text = f"coverage: nothing measured ({error})"
        return
    chapter = config.workbook_chapter
    floor = chapter.coverage_floor
    lines = [report.getvalue().rstrip(), f"branch coverage of chapter {chapter.number}: {percent:.1f}% (floor {floor}%)"]
    if _whole_run(config) and percent < floor and session.exitstatus == 0:
        lines.append(f"FAILED: coverage {percent:.1f}% is below chapter {chapter.number}'s floor of {floor}%")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif not _whole_run(config):
        lines.append("(a narrowed run: the floor is not enforced)")
    config.workbook_coverage_text = "\n".join(lines)


def pytest_terminal_summary(terminalreporter, config):
    text = getattr(config, "workbook_coverage_text", None)
    if text:
        terminalreporter.write_sep("-", "chapter coverage")
        terminalreporter.write_line(text)


# --------------------------------------------------------------------------- the chapter's app


@pytest.fixture(scope="session")
def chapter(request):
    """The chapter under test (number, title, shape, path)."""
    if request.config.workbook_chapter is None:
        pytest.skip("not a chapter run")
    return request.config.workbook_chapter


@pytest.fixture(scope="session")
def chapter_code(request, chapter) -> Path:
    """The folder whose code is under test: the chapter's snapshot, or a learner's --chapter-dir."""
    return request.config.workbook_code


def _import_fresh(name: str):
    chapters.forget_chapter_modules()
    return __import__(name)


@pytest.fixture
def database_url(tmp_path):
    """A throwaway SQLite file for one test; override to use another database."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def make_app(chapter, monkeypatch):
    """Build the chapter's app against a database URL, the way its own code reads it."""
    built = []

    def make(url: str):
        monkeypatch.setenv("DATABASE_URL", url)
        if chapter.shape == "module":
            app = _import_fresh("main").app
        else:
            app = _import_fresh("webapp").create_app("webapp.config.TestConfig")
        app.config.update(TESTING=True)
        built.append(app)
        return app

    yield make
    for app in built:
        db = app.extensions.get("sqlalchemy")
        if db is not None:
            with app.app_context():
                db.session.remove()
                for engine in db.engines.values():
                    engine.dispose()


@pytest.fixture
def app(make_app, database_url):
    """The chapter's app, testing on, with its tables created in a fresh database."""
    app = make_app(database_url)
    db = app.extensions.get("sqlalchemy")
    if db is not None:
        with app.app_context():
            db.create_all()
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
    """The module that holds the chapter's models: main.py, or webapp.models from chapter 5."""
    return sys.modules["main"] if chapter.shape == "module" else sys.modules["webapp.models"]


@pytest.fixture
def config_module(app, chapter):
    """The chapter's configuration module: config.py, or webapp.config from chapter 5."""
    return sys.modules["config"] if chapter.shape == "module" else sys.modules["webapp.config"]


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
    return app.test_cli_runner()


@pytest.fixture
def url_for(app):
    """url_for by the view's own name, whichever blueprint holds it (`home` finds `blog.home`)."""
    import flask

    def build(name: str, **values) -> str:
        endpoints = [rule.endpoint for rule in app.url_map.iter_rules()]
        matches = [e for e in endpoints if e == name or e.rsplit(".", 1)[-1] == name]
        if len(set(matches)) != 1:
            raise LookupError(f"no single endpoint named {name!r} among {sorted(set(endpoints))}")
        with app.test_request_context():
            return flask.url_for(matches[0], **values)

    return build


@pytest.fixture
def csrf_token(client):
    """The CSRF token of the (first) form on a page, fetched with the client as a browser would."""
    import re

    def token(path: str) -> str:
        html = client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
        assert found, f"{path} has no form with a CSRF token"
        return found.group(1)

    return token


@pytest.fixture
def auth(app, client, db, models, url_for, csrf_token):
    """Chapter 6 on: users with a password and roles, and the test client logging in and out as
    a browser does (each form fetched first, its CSRF token sent back)."""

    class Auth:
        password = "correct horse battery"

        def user(self, username, *roles, password=None):
            user = models.User(username)
            user.set_password(password or self.password)
            for name in roles:
                user.roles.append(db.session.scalars(db.select(models.Role).filter_by(name=name)).one())
            db.session.add(user)
            db.session.commit()
            return user

        def token(self, path):
            return csrf_token(path)

        def post_form(self, path, data, **kwargs):
            return client.post(path, data={"csrf_token": self.token(path), **data}, **kwargs)

        def login(self, username, password=None, query="", remember=False, **kwargs):
            path = url_for("main.login") + query
            data = {"username": username, "password": password or self.password}
            if remember:
                data["remember"] = "y"
            return self.post_form(path, data, **kwargs)

        def logout(self, **kwargs):
            # The logout button is a form in every page's navigation bar.
            token = self.token(url_for("blog.home"))
            return client.post(url_for("main.logout"), data={"csrf_token": token}, **kwargs)

    return Auth()


# --------------------------------------------------------------------------- real databases


def _service_params():
    return [
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.services),
        pytest.param("mariadb", marks=pytest.mark.services),
    ]


@pytest.fixture(params=_service_params())
def any_database_url(request, tmp_path):
    """A fresh, empty database on SQLite, PostgreSQL (psycopg) or MariaDB (PyMySQL), dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'any.db'}"
        return
    import sqlalchemy as sa

    admin_url = sa.make_url(SERVICE_URLS[request.param])
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        connection = engine.connect()
    except sa.exc.OperationalError as error:
        engine.dispose()
        need(f"{request.param} is not reachable at {admin_url.render_as_string()}: {error.orig}")
    name = f"workbook_{uuid.uuid4().hex[:12]}"
    with connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            force = " WITH (FORCE)" if request.param == "postgresql" else ""
            connection.execute(sa.text(f"DROP DATABASE {name}{force}"))
    engine.dispose()


# --------------------------------------------------------------------------- a real server and browser


@pytest.fixture
def live_server(app):
    """The app served by a real WSGI server thread on a free 127.0.0.1 port; yields its base URL."""
    with live.serving(app) as url:
        yield url


@pytest.fixture
def serve_command():
    """Start a command that serves HTTP on a port it is given; returns its base URL once it answers.

    Called as `serve_command(lambda port: [argv…], cwd=…, env=…)`; the server is stopped after the test.
    """
    import subprocess
    import time
    import urllib.request

    started = []

    def serve(argv_for_port, cwd, env, timeout=30):
        port = live.free_port()
        process = subprocess.Popen(argv_for_port(port), cwd=cwd, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=2).close()
                return url
            except urllib.error.HTTPError:
                return url  # it answered, whatever the status
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"{' '.join(process.args)} did not answer:\n{process.communicate()[0]}")
                time.sleep(0.2)

    yield serve
    for process in started:
        process.terminate()
        process.communicate(timeout=10)


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium for the session, driven by Debian's chromedriver."""
    if not (os.path.exists(live.CHROMIUM) and os.path.exists(live.CHROMEDRIVER)):
        need("Chromium is not installed: apt-get install -y chromium chromium-driver")
    driver = live.chromium()
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium):
    """The session's browser with a fresh cookie jar for this test."""
    yield chromium
    chromium.delete_all_cookies()
