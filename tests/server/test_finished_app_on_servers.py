"""The finished app on PostgreSQL, RabbitMQ and Redis, by environment variables alone: `workbook run`
started as the webapp's README says, and a newcomer's first steps through it."""
import os
import re
import signal
import subprocess
import sys
import uuid

import pytest

from workbook import chapters, live
from workbook.cli import RUN_STARTED
from workbook.testing.celery_worker import rabbitmq_broker
from workbook.testing.pages import csrf_token_in
from workbook.testing.servers import wait_for

pytestmark = [pytest.mark.chapters(since="webapp"), pytest.mark.services,
              pytest.mark.snapshot_convention("runs `workbook run`, which serves the webapp/ folder")]


@pytest.fixture
def on_servers(chapter, tmp_path, postgresql_url, redis_url, celery_workers):
    """The environment of a `workbook run` on a PostgreSQL database, a RabbitMQ queue (removed
    after the session) and Redis keys of this test's own (the cache's and the rate limits')."""
    prefix = f"workbook-{uuid.uuid4().hex[:12]}:"
    env = celery_workers.environment(rabbitmq_broker())
    env.update(DATABASE_URL=postgresql_url, WORKBOOK_DATA=str(tmp_path / "data"),
               CACHE_TYPE="RedisCache", CACHE_REDIS_URL=f"{redis_url}/1", CACHE_KEY_PREFIX=prefix,
               RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix)
    env.pop("WEBAPP_ENV")  # what the README's command has: `workbook run` picks the development config
    return env


def test_a_newcomer_posts_and_gets_a_reminder_on_postgresql_rabbitmq_and_redis(chapter, on_servers,
                                                                               tmp_path):
    """With DATABASE_URL, CELERY_BROKER_URL, CELERY_RESULT_BACKEND, CACHE_* and RATELIMIT_* naming
    PostgreSQL, RabbitMQ and Redis, `workbook run` serves the webapp on them: the demo poster signs
    in with the printed password, writes a post that shows on the home page, and a reminder due now
    arrives as a mail on the local mail server."""
    import redis
    import requests
    import sqlalchemy as sa

    env, port, output = on_servers, live.free_port(), tmp_path / "output.txt"
    with open(output, "wb") as out:
        run = subprocess.Popen([sys.executable, "-m", "workbook.cli", "run", chapter.name, "--port",
                                str(port)], cwd=chapters.ROOT, env=env, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: RUN_STARTED in output.read_text(), 240, "workbook run started", run, output)
        text = output.read_text()
        assert "starting a Celery worker and beat on amqp://127.0.0.1:5672" in text
        password = re.search(r"^  poster +(\S+)  roles: poster, default$", text, re.MULTILINE).group(1)
        site, browser = f"http://127.0.0.1:{port}", requests.Session()

        token = csrf_token_in(browser.get(f"{site}/login").text)
        wrong = browser.post(f"{site}/login", data={"username": "poster", "password": "not it",
                                                    "csrf_token": token})
        assert "Invalid username or password" in wrong.text
        signed_in = browser.post(f"{site}/login", data={"username": "poster", "password": password,
                                                        "csrf_token": csrf_token_in(wrong.text)})
        assert signed_in.ok and ">Logout<" in signed_in.text, signed_in.text[-2000:]
        title = f"Written on PostgreSQL {uuid.uuid4().hex[:6]}"
        form = browser.get(f"{site}/blog/new")
        written = browser.post(f"{site}/blog/new", data={
            "title": title, "text": "Served by the finished app.", "csrf_token": csrf_token_in(form.text)})
        assert written.ok
        assert title in requests.get(f"{site}/blog/").text  # a visitor's home page, from the cache

        engine = sa.create_engine(env["DATABASE_URL"])
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM post WHERE title = :t"),
                                      {"t": title}).scalar() == 1
        engine.dispose()
        assert not (tmp_path / "data" / f"{chapter.name}.db").exists()
        kept = (redis.Redis.from_url(env["CACHE_REDIS_URL"]),
                redis.Redis.from_url(env["RATELIMIT_STORAGE_URI"]))
        try:
            prefix = env["CACHE_KEY_PREFIX"]
            assert kept[0].keys(prefix + "*") and kept[1].keys(f"*{prefix}*")  # the cache, the limits
        finally:
            for client in kept:
                for key in client.keys(f"*{prefix}*"):
                    client.delete(key)
                client.close()

        added = subprocess.run([sys.executable, "-m", "workbook.cli", "flask", chapter.name,
                                "add-reminder", "you@example.com", "now", title], cwd=chapters.ROOT,
                               env=env, capture_output=True, text=True)
        assert added.returncode == 0, added.stderr
        mail = tmp_path / "data" / f"{chapter.name}-mail"
        mails = wait_for(lambda: list(mail.glob("*.eml")), 60, "the reminder's mail", run, output)
        assert title in mails[0].read_text()
    finally:
        if run.poll() is None:
            run.send_signal(signal.SIGINT)
        try:
            run.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
