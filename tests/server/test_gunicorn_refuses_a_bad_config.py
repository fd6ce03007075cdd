"""Chapter 5 on: served by gunicorn, the production configuration without SECRET_KEY stops the server."""
import os
import resource
import subprocess
import sys

import pytest

from workbook import live

pytestmark = pytest.mark.chapters(since=5)

MESSAGE = "no SECRET_KEY: set the SECRET_KEY environment variable to start with this configuration"


def test_gunicorn_without_secret_key_exits_with_one_line(chapter_code, tmp_path):
    """`gunicorn 'webapp:create_app()'` in production without SECRET_KEY exits at once, saying why in one
    line."""
    environ = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "GUNICORN_CMD_ARGS")}
    before = cpu_seconds_of_children()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{live.free_port()}",
             "webapp:create_app()"],
            cwd=chapter_code, capture_output=True, text=True, timeout=60,
            env={**environ, "WEBAPP_ENV": "prod", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        )
    except subprocess.TimeoutExpired as running:
        pytest.fail(f"gunicorn kept running (its workers boot again and again):\n{running.stderr}")
    assert result.returncode != 0
    # "At once": gunicorn imported the app once and stopped, no worker booted. Counted in CPU
    # seconds, which a loaded machine does not stretch as it does the wall clock (importing the app
    # takes about 5 of them with the workbook's environment, where jsonschema builds a parser).
    assert cpu_seconds_of_children() - before < 10
    assert result.stderr.strip().splitlines() == [MESSAGE]


def cpu_seconds_of_children() -> float:
    """CPU time used so far by this process's finished children (and their own finished children)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def test_gunicorn_with_secret_key_serves_the_app(chapter_code, tmp_path, serve_command):
    """With SECRET_KEY set, the same command serves the blog's pages (the app is built before the workers
    start)."""
    import urllib.request

    env = {**os.environ, "WEBAPP_ENV": "prod", "SECRET_KEY": os.urandom(16).hex(),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    env.pop("GUNICORN_CMD_ARGS", None)
    url = serve_command(lambda port: [sys.executable, "-m", "gunicorn", "--workers", "2",
                                      "--bind", f"127.0.0.1:{port}", "webapp:create_app()"],
                        cwd=chapter_code, env=env)
    for _ in range(4):
        with urllib.request.urlopen(url + "/about") as response:
            assert response.status == 200
