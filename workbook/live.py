"""A real server thread and a real browser: shared by the test fixtures, the notebooks and the benchmark.

Standard library at import time (a standalone checkout copies this module); werkzeug and Selenium are
imported when used.
"""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


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
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def chromium(width: int = 1280, height: int = 900):
    """Headless Debian Chromium driven by Debian's chromedriver (never a downloaded one)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # The background-networking flags keep Chromium from calling out of this machine.
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--hide-scrollbars", f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
