"""`flask run`, the command the book's `python manage.py server` became, serves the chapter."""
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = [pytest.mark.unit, pytest.mark.chapters(since=1)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_flask_run_serves_the_app(chapter, request, tmp_path):
    """`flask --app <chapter> run` starts a server that answers on 127.0.0.1."""
    code = request.config.workbook_code
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}", "WEBAPP_ENV": "dev"}
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", chapter.app_import, "run", "--port", str(port)],
        cwd=code, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    status = response.status
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"flask run did not answer:\n{server.stdout.read()}")
                time.sleep(0.2)
        assert status == 200
    finally:
        server.terminate()
        server.communicate(timeout=10)
