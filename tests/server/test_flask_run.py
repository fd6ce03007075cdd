"""`flask run`, the command the book's `python manage.py server` became, serves the chapter."""
import os
import subprocess
import urllib.request

import pytest

pytestmark = pytest.mark.chapters(since=1)


def test_flask_run_serves_the_app(chapter, chapter_code, tmp_path, serve_command):
    """`flask --app <chapter> run` starts a server that answers on 127.0.0.1."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}", "WEBAPP_ENV": "dev"}
    code = chapter_code
    if (code / "migrations").is_dir():  # from chapter 3 the home page reads the database
        subprocess.run(
            chapter.flask_command("db", "upgrade"),
            cwd=code, env=env, check=True, capture_output=True,
        )
    url = serve_command(
        lambda port: chapter.flask_command("run", "--port", str(port)),
        cwd=code, env=env,
    )
    with urllib.request.urlopen(url + "/") as response:
        assert response.status == 200
