"""`flask run`, the command the book's `python manage.py server` became, serves the chapter."""
import os
import sys
import urllib.request

import pytest

pytestmark = [pytest.mark.unit, pytest.mark.chapters(since=1)]


def test_flask_run_serves_the_app(chapter, request, tmp_path, serve_command):
    """`flask --app <chapter> run` starts a server that answers on 127.0.0.1."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}", "WEBAPP_ENV": "dev"}
    url = serve_command(
        lambda port: [sys.executable, "-m", "flask", "--app", chapter.app_import, "run", "--port", str(port)],
        cwd=request.config.workbook_code, env=env,
    )
    with urllib.request.urlopen(url + "/") as response:
        assert response.status == 200
