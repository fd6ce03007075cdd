"""How fast is the blog's home page? Requests per second from gunicorn, beside a bare Flask "hello".

    python benchmarks/home_page.py [--chapter 5] [--requests 1000] [--concurrency 4] [--workers 2]

Not a test: it prints figures. It builds a throwaway SQLite database with 1,000 demo posts (the
chapter's own `flask db upgrade` and `flask seed`), starts ONE gunicorn on 127.0.0.1 serving both the
chapter's app and a bare Flask app (mounted at /hello), sends a bounded number of GET requests to
each — first the home page, then "hello", a few warm-up requests before each — and prints requests per
second for both and their ratio. Nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from workbook import chapters  # noqa: E402
from workbook.live import free_port  # noqa: E402

WSGI = textwrap.dedent('''
    import sys
    sys.path.insert(0, {code!r})
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    {make_blog}

    hello = Flask("hello")

    @hello.route("/")
    def index():
        return "<h1>Hello World!</h1>"

    application = DispatcherMiddleware(blog, {{"/hello": hello}})
''')


def flask(chapter, env, *args):
    subprocess.run(chapter.flask_command(*args),
                   cwd=chapter.path, env=env, check=True, capture_output=True)


def hammer(url: str, requests: int, concurrency: int) -> float:
    """Send `requests` GETs from `concurrency` threads; return requests per second."""
    for _ in range(20):  # warm-up: imports, connections, template compilation
        urllib.request.urlopen(url).read()
    per_thread = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]
    failures = []

    def run(count):
        for _ in range(count):
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
                if response.status != 200:
                    failures.append(response.status)

    threads = [threading.Thread(target=run, args=(n,)) for n in per_thread]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} requests to {url} failed")
    return requests / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default=str(chapters.newest().number))
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    chapter = chapters.get(options.chapter)
    work = Path(tempfile.mkdtemp(prefix="workbook-bench-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'bench.db'}", "WEBAPP_ENV": "prod",
           "SECRET_KEY": "benchmark-only", "PYTHONUNBUFFERED": "1"}
    print(f"chapter {chapter.number} ({chapter.title}), {options.posts} posts in {work / 'bench.db'}")
    flask(chapter, env, "db", "upgrade")
    flask(chapter, env, "seed", "--posts", str(options.posts))

    make_blog = (f"from workbook import chapters\nblog = chapters.load_app(chapters.get({chapter.name!r}), "
                 "'ProdConfig')\nblog.config.update(DEBUG=False)")
    (work / "bench_wsgi.py").write_text(WSGI.format(code=str(chapter.path), make_blog=make_blog))
    port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                "--workers", str(options.workers), "--worker-class", "sync", "--log-level", "warning",
                "bench_wsgi:application"]
    server = subprocess.Popen(gunicorn, cwd=work, env=env)
    base = f"http://127.0.0.1:{port}"
    home = base + ("/blog/" if chapter.number >= 4 else "/")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/hello/", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start")
                time.sleep(0.2)
        print(f"gunicorn, {options.workers} sync workers, {options.requests} requests a URL from "
              f"{options.concurrency} client threads")
        blog_rps = hammer(home, options.requests, options.concurrency)
        hello_rps = hammer(base + "/hello/", options.requests, options.concurrency)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"home page ({home.removeprefix(base)}, 10 posts + sidebar): {blog_rps:8.1f} requests/s")
    print(f"bare Flask hello:                     {hello_rps:8.1f} requests/s")
    print(f"ratio hello / home page:              {hello_rps / blog_rps:8.1f}x")


if __name__ == "__main__":
    main()
