"""A real server thread, a real browser and the real databases: shared by the test fixtures, the
notebooks and the benchmark, with one rule for what is missing (on a laptop, say so; in CI, fail).

Standard library at import time (a standalone checkout copies this module); werkzeug, Selenium and
SQLAlchemy are imported when used.
"""
from __future__ import annotations

import functools
import logging
import os
import shutil
import socket
import sys
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

# Debian's pair, what CI installs: tried first.
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_CHROMIUM = ("install Chrome or Chromium and its chromedriver "
                    "(Debian: apt-get install chromium chromium-driver)")

# A notebook's one-line note that something is missing carries this MIME type beside its text: the
# harness tells the note from ordinary output by it (workbook.testing.services).
MISSING_MIME = "application/vnd.workbook.missing+json"

SERVICE_URLS = {
    "postgresql": os.environ.get(
        "WORKBOOK_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get("WORKBOOK_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
SERVICE_NAMES = {"postgresql": "PostgreSQL", "mariadb": "MariaDB"}
SERVICE_SETTINGS = {"postgresql": "WORKBOOK_POSTGRES_URL", "mariadb": "WORKBOOK_MARIADB_URL"}


def in_ci() -> bool:
    """CI=true: nothing may be missing, and nothing skips."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


class Unavailable(RuntimeError):
    """Chromium or a database server is not on this machine (the message says which, in one line)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(app, quiet: bool = False):
    """Serve a WSGI app from a thread on a free 127.0.0.1 port; yields its base URL.

    quiet: no access log, whose timestamped lines would land in a notebook's output.
    """
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    handler = QuietHandler if quiet else WSGIRequestHandler
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler)
    # (serve_forever looks for a shutdown every poll_interval: its default half second was the wait
    # at the end of every test and notebook cell that served an app.)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def book_test_server(folder: Path, env: dict | None = None, python: str = sys.executable):
    """The book's `python run_test_server.py` (chapter 12's, and the finished webapp's), started in
    `folder` on a free port; yields the environment whose TEST_SERVER_URL names it, for the book's
    tests/test_ui.py (whose default is the book's http://localhost:5000). Stopped at the end."""
    import subprocess
    import tempfile
    import time
    import urllib.request

    url = f"http://localhost:{free_port()}"
    # As a reader's terminal: TestConfig's own temporary database, not one a caller's DATABASE_URL
    # names (the script adds the roles and the user `test`, which a used database may have already).
    env = {**{name: value for name, value in (os.environ if env is None else env).items()
              if name != "DATABASE_URL"}, "TEST_SERVER_URL": url}
    with tempfile.TemporaryFile("w+") as log:  # its access log (a pipe nobody read would fill up)
        process = subprocess.Popen([python, "run_test_server.py"], cwd=folder, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(url + "/login", timeout=5).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError(f"run_test_server.py did not answer at {url}:\n"
                                           f"{log.read()[-3000:]}") from None
                    time.sleep(0.2)
            yield env
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --------------------------------------------------------------------------- the browser


def find_chromium() -> tuple[str, str] | None:
    """(browser, chromedriver) of a Chrome or Chromium that Selenium can drive here, or None.

    WORKBOOK_CHROMIUM (and WORKBOOK_CHROMEDRIVER) name them, and then nothing else is tried; else
    Debian's pair; else what Selenium Manager finds on this machine, asked offline: it looks in the
    platform's usual places and on PATH, and never downloads a driver or a browser.
    """
    return _find_chromium(os.environ.get("WORKBOOK_CHROMIUM"), os.environ.get("WORKBOOK_CHROMEDRIVER"))


@functools.lru_cache(maxsize=None)
def _find_chromium(browser: str | None, driver: str | None) -> tuple[str, str] | None:
    if browser or driver:  # named: that one or none
        if browser and not Path(browser).is_file() or driver and not Path(driver).is_file():
            return None
        if browser and driver:
            return browser, driver
        found = _selenium_manager(browser)
        return None if found is None else (found[0], driver or found[1])
    if Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file():
        return CHROMIUM, CHROMEDRIVER
    # Google Chrome where its installer puts it (Selenium Manager knows each platform's places),
    # then a Chromium it may not look for by itself.
    for candidate in (None, *_chromium_candidates()):
        found = _selenium_manager(candidate)
        if found is not None:
            return found
    return None


def _chromium_candidates() -> list[str]:
    names = [shutil.which(name) for name in ("chromium", "chromium-browser")]
    if sys.platform == "darwin":
        names.append("/Applications/Chromium.app/Contents/MacOS/Chromium")
    elif sys.platform == "win32":
        names.append(os.path.expandvars(r"%LOCALAPPDATA%\Chromium\Application\chrome.exe"))
    return [name for name in names if name and Path(name).is_file()]


def _selenium_manager(browser_path: str | None) -> tuple[str, str] | None:
    """Ask Selenium Manager, offline (no download, no usage statistics), for a browser and driver."""
    try:
        from selenium.webdriver.common.selenium_manager import SeleniumManager
    except ImportError:
        return None
    args = ["--browser", "chrome", "--offline", "--avoid-stats", "--avoid-browser-download"]
    if browser_path:
        args += ["--browser-path", browser_path]
    log = logging.getLogger("selenium.webdriver.common.selenium_manager")
    level = log.level
    log.setLevel(logging.ERROR)  # its warnings ("offline: cannot…") would land in a notebook's output
    try:
        result = SeleniumManager().binary_paths(args)
    except Exception:  # WebDriverException, or no Selenium Manager for this platform
        return None
    finally:
        log.setLevel(level)
    browser, driver = result.get("browser_path"), result.get("driver_path")
    if browser and driver and Path(browser).is_file() and Path(driver).is_file():
        return browser, driver
    return None


def chromium(width: int = 1280, height: int = 900):
    """Headless Chrome or Chromium (see find_chromium: never a downloaded one).

    Unavailable when there is none, or when the one found does not start (a chromedriver of another
    version, say).
    """
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    if found is None:
        raise Unavailable("no Chromium found")
    browser, driver = found
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    # The background-networking flags keep Chromium from calling out of this machine.
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--hide-scrollbars", f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    try:
        # The driver's path is given, so Selenium does not call Selenium Manager (which may download).
        return webdriver.Chrome(service=Service(driver), options=options)
    except WebDriverException as error:
        reason = (error.msg or type(error).__name__).strip().splitlines()[0]
        raise Unavailable(f"{browser} did not start with {driver}: {reason}") from None


def set_viewport(driver, width: int, height: int) -> None:
    """Pin the page's viewport to `width`×`height` (None: Chromium's own again). --window-size is the
    outer window; headless Chromium keeps part of it for (invisible) browser chrome, so the page would
    get less than asked for."""
    if width is None:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


# --------------------------------------------------------------------------- the databases


def service_address(service: str) -> str:
    """"PostgreSQL at 127.0.0.1:5432": what a one-line note names."""
    from sqlalchemy import make_url

    url = make_url(SERVICE_URLS[service])
    return f"{SERVICE_NAMES[service]} at {url.host}:{url.port}"


@contextmanager
def admin_connection(service: str):
    """An autocommit connection to `service`'s server, as its administrator (SERVICE_URLS); yields
    (connection, its URL). Unavailable, saying where it was looked for, when the server does not answer."""
    import sqlalchemy as sa

    admin_url = sa.make_url(SERVICE_URLS[service])
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        connection = engine.connect()
    except sa.exc.OperationalError as error:
        engine.dispose()
        raise Unavailable(f"no {service_address(service)}: {str(error.orig).strip().splitlines()[0]}"
                          ) from None
    try:
        with connection:
            yield connection, admin_url
    finally:
        engine.dispose()


@contextmanager
def fresh_database(service: str, schema: bool = False):
    """A database of its own on `service` ("postgresql", "mariadb"): yields its URL, drops it after.

    schema (PostgreSQL): a schema of its own in the server's database instead, which the URL's
    connections search first and name themselves by (application_name); dropped after with what is
    still connected to it, as DROP DATABASE … WITH (FORCE) does. A millisecond, where CREATE DATABASE
    copies a template and checkpoints (a tenth of a second).
    """
    import sqlalchemy as sa

    name = f"workbook_{uuid.uuid4().hex[:12]}"
    with admin_connection(service) as (connection, admin_url):
        connection.execute(sa.text(f"CREATE {'SCHEMA' if schema else 'DATABASE'} {name}"))
        try:
            url = (admin_url.update_query_dict({"options": f"-csearch_path={name}", "application_name": name})
                   if schema else admin_url.set(database=name))
            yield url.render_as_string(hide_password=False)
        finally:
            if schema:
                connection.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"), {"name": name})
                connection.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
            else:
                force = " WITH (FORCE)" if service == "postgresql" else ""
                connection.execute(sa.text(f"DROP DATABASE {name}{force}"))
