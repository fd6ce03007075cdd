"""Real servers and a real browser: the app served by a thread on a free port (as pytest-flask's
live_server), a command that serves HTTP (`flask run`, `workbook run`), local OAuth providers for the
social logins, and headless Chromium."""
from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from workbook import live
from workbook.testing.services import need


def pytest_addoption(parser):
    parser.getgroup("workbook").addoption(
        "--screenshots", action="store_true",
        help="write the chapter's README screenshot again (tests/ui/test_readme_screenshot.py)")


def wait_for(condition, timeout: float, what: str, process: subprocess.Popen, output: Path):
    """`condition()`'s first true value; fails with what `process` wrote to `output` if the process
    ends or `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s\n{output.read_text()[-3000:]}")
        time.sleep(0.2)
    return found


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


@pytest.fixture
def provider():
    """A local OpenID Connect and Facebook-style OAuth2 provider on a free 127.0.0.1 port."""
    from workbook.testing.oauth_provider import serve

    with serve() as running:
        yield running


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session: Debian's, or a Chrome or Chromium found on this machine."""
    try:
        driver = live.chromium()
    except live.Unavailable as missing:
        need(f"{missing}: {live.INSTALL_CHROMIUM}")
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium):
    """The session's browser with a fresh cookie jar for this test."""
    yield chromium
    chromium.delete_all_cookies()
