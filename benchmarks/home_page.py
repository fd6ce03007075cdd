"""How fast is the blog's home page, and does its cost grow with the blog? Measured with wrk.

    python benchmarks/home_page.py [--chapter 6] [--posts 1000,10000] [--databases sqlite,postgresql]
                                   [--cache simple,redis] [--duration 5] [--rounds 3] [--connections 8]
                                   [--workers 2] [--quick]

Not a test: it prints figures. For each database (SQLite in a temporary folder; a scratch database on
the PostgreSQL server at 127.0.0.1:5432, dropped afterwards) and each blog size it builds the tables
with the chapter's own `flask db upgrade`, fills them with `flask seed --posts N` (on PostgreSQL then
runs VACUUM ANALYZE, which autovacuum does on its own within a minute or so), and starts ONE gunicorn
(the production configuration, SECRET_KEY set, 2 sync workers) that serves the chapter's app beside a
bare Flask "hello" (mounted at /hello/). The benchmark adds one route of its own to the chapter's app,
/ping, which answers "pong" and does nothing else: what any request costs in that app (its extensions'
hooks, sessions, security headers), without the page's own work. wrk, a load generator outside Python,
then asks for the page, then hello, for --duration seconds each (after 20 warm-up requests), --rounds
times; the best round of each counts, the one least disturbed by whatever else the machine runs (the
load average is printed before and after). The client is never the bottleneck.

The table gives requests per second for both URLs, the page as a share of hello (what the page itself
costs, whatever the machine), the page at the largest size as a share of the page at the smallest
(100%: the page's cost does not grow with the blog), the SQL statements one request for the page
runs, counted in this process with an SQLAlchemy event, and the CPU time the gunicorn workers spent
on one request of each (Linux: /proc), which holds even when other work shares the machine; the
database server's own CPU time is not in it. Nothing leaves 127.0.0.1.

A chapter with a cache (Flask-Caching, chapter 10 on) serves its home page three times side by side in
the same gunicorn: uncached (NullCache: what the page itself costs, the rows above), and, for each of
--cache, cached in the worker's memory (SimpleCache, under /cache-simple/) and in Redis (RedisCache,
CACHE_REDIS_URL or 127.0.0.1:6379/1, under /cache-redis/, keys under a prefix of the run's own, deleted
at the end), through the view's own `@cache.cached`: wrk sends no cookie, an anonymous visitor. A
SimpleCache is one per worker: a second of wrk warms every worker before measuring. A second table
gives, per cache, home uncached, home cached, /ping and hello in requests per second, and the ratios:
cached/ping (what is left of the page once cached, against the app's cheapest request), cached/hello
(against the cheapest request Flask can serve) and cached/home (what the cache saves).
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from workbook import chapters, live  # noqa: E402

INSTALL_WRK = "wrk is not installed: apt-get install wrk (or brew install wrk); it is the load generator"

WSGI = textwrap.dedent('''
    import sys
    sys.path.insert(0, {root!r})
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from workbook import chapters

    chapter = chapters.get({chapter!r})
    chapters.activate(chapter.path)
    blog = chapters.load_app(chapter, "ProdConfig")
    blog.config.update(DEBUG=False)  # chapters 3 and 4 configure their app themselves (DevConfig)
    blog.add_url_rule({bare!r}, "benchmark_ping", lambda: "pong")  # the app's cheapest request

    hello = Flask("hello")

    @hello.route("/")
    def index():
        return "<h1>Hello World!</h1>"

    mounts = {{"/hello": hello}}
    if "cache" in getattr(blog, "extensions", {{}}):
        # The page uncached at /, and the same app cached with each backend under /cache-NAME/.
        cache = next(iter(blog.extensions["cache"]))
        cache.init_app(blog, config={{"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}})
        for name, backend in {caches!r}.items():
            cached = chapters.load_app(chapter, "ProdConfig")
            cached.config.update(DEBUG=False)
            cache.init_app(cached, config={{"CACHE_TYPE": backend, "CACHE_KEY_PREFIX": {prefix!r}}})
            mounts["/cache-" + name] = cached

    application = DispatcherMiddleware(blog, mounts)
''')


@dataclass
class Row:
    database: str
    posts: int
    url: str  # the page measured: the home page, or chapter 8's API list
    hello: float  # requests per second
    page: float
    queries: int
    hello_cpu: float | None  # the workers' CPU milliseconds per request (Linux only)
    page_cpu: float | None


def say(text: str, end: str = "\n") -> None:
    print(text, end=end, flush=True)


def flask(chapter, env, *args, progress: str | None = None) -> None:
    """Run `flask --app <chapter> ARGS` in the chapter's folder; with `progress`, echo seed's counts."""
    process = subprocess.Popen(chapter.flask_command(*args), cwd=chapter.path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    for line in process.stdout:
        output.append(line)
        done = re.match(r"\s*(\d+) of (\d+) posts", line)
        if progress and done and (sys.stdout.isatty() or int(done[1]) % (int(done[2]) // 4 or 1) == 0):
            # On a terminal one line counts up; in a log, a line a quarter.
            say(f"\r{progress}: {done[1]:>6} of {done[2]} posts", end="" if sys.stdout.isatty() else "\n")
    if process.wait():
        raise SystemExit(f"flask {' '.join(args)} failed:\n{''.join(output)}")
    if progress and sys.stdout.isatty():
        say("")


# Measured beside the home page when the chapter has it (chapter 8 on): the API's first page of posts.
API_LIST = "/api/post"
# A route the benchmark adds to the chapter's app: it answers "pong" and does nothing else.
BARE = "/ping"

# The caches the home page is measured with, in a chapter that has one (chapter 10 on).
CACHES = {"simple": "SimpleCache", "redis": "RedisCache"}
# Where the run keeps its Redis entries (and what it deletes at the end).
PREFIX = f"bench-{os.getpid()}-{int(time.time())}:"


def cached_path(name: str, path: str) -> str:
    return f"/cache-{name}{path}"


def count_queries(chapter, caches=()) -> dict[str, int]:
    """The pages to measure, each with the SQL statements one GET of it runs (its second request: the
    first sets up, and fills the cache). The app reads DATABASE_URL from the environment, as the
    server does. With a cache (chapter 10 on), the home page also under each of `caches`."""
    from flask import url_for

    chapters.activate(chapter.path)
    app = chapters.load_app(chapter, "ProdConfig")
    app.config.update(DEBUG=False)
    app.add_url_rule(BARE, "benchmark_ping", lambda: "pong")
    with app.test_request_context():
        home = url_for(chapter.home)
    paths = [home, BARE]
    if any(rule.rule == API_LIST for rule in app.url_map.iter_rules()):
        paths.append(API_LIST)
    cache = next(iter(app.extensions.get("cache", {})), None)
    if cache is None:
        return statements_of(app, {path: path for path in paths})
    cache.init_app(app, config={"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True})
    queries = statements_of(app, {path: path for path in paths})
    for name in caches:
        cache.init_app(app, config={"CACHE_TYPE": CACHES[name], "CACHE_KEY_PREFIX": PREFIX})
        path = cached_path(name, home)
        queries.update(statements_of(app, {path: home}))
        if queries[path]:  # Flask-Caching serves the page uncached when its backend fails
            raise SystemExit(f"the {name} cache did not serve {home} a second time (is Redis running, "
                             f"at CACHE_REDIS_URL or 127.0.0.1:6379/1?)")
    return queries


def statements_of(app, paths: dict[str, str]) -> dict[str, int]:
    """{label: SQL statements the second GET of its path runs}."""
    import sqlalchemy as sa

    queries = {}
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        client = app.test_client()
        for label, path in paths.items():
            statements = []
            client.get(path)

            def count(*args, statements=statements):
                statements.append(args[2])

            sa.event.listen(engine, "before_cursor_execute", count)
            response = client.get(path)
            sa.event.remove(engine, "before_cursor_execute", count)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code} in process")
            queries[label] = len(statements)
        engine.dispose()
    return queries


def warm_every_worker(url: str, connections: int) -> None:
    """A second of wrk: concurrent connections reach every gunicorn worker (each has its own
    SimpleCache, filled by its first request)."""
    subprocess.run(["wrk", "-t1", f"-c{connections}", "-d1s", url], capture_output=True, check=True)


def warm_up(url: str, requests: int = 20) -> None:
    """A few plain GETs (imports, connections, compiled templates); each must be a 200, not a redirect."""
    parts = urllib.parse.urlsplit(url)
    for _ in range(requests):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        connection.request("GET", parts.path)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            raise SystemExit(f"{url} answered {response.status}, not 200: nothing to measure")


def cpu_seconds(server: subprocess.Popen) -> float | None:
    """CPU time (user + system) the gunicorn workers, the master's children, have used so far."""
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        ticks = sum(sum(int(field) for field in
                        Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13])
                    for pid in children)
    except OSError:  # not Linux
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(url: str, server, duration: int, connections: int, threads: int) -> tuple[float, float | None]:
    """Requests per second wrk measured for `url` (every answer must be a 200), and the workers' CPU
    milliseconds per request meanwhile: what a request costs, whatever else the machine is doing."""
    before = cpu_seconds(server)
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", url],
        capture_output=True, text=True, check=True)
    after = cpu_seconds(server)
    for problem in ("Non-2xx or 3xx responses", "Socket errors"):
        if problem in result.stdout:
            raise SystemExit(f"wrk against {url}: {problem}\n{result.stdout}")
    requests = int(re.search(r"(\d+) requests in", result.stdout)[1])
    cpu = None if before is None or after is None else (after - before) * 1000 / requests
    return float(re.search(r"Requests/sec:\s*([\d.]+)", result.stdout)[1]), cpu


@contextlib.contextmanager
def gunicorn(work: Path, chapter, env, workers: int, caches=()):
    (work / "bench_wsgi.py").write_text(WSGI.format(root=str(ROOT), chapter=chapter.name, prefix=PREFIX,
                                                    bare=BARE,
                                                    caches={name: CACHES[name] for name in caches}))
    port = live.free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
               str(workers), "--worker-class", "sync", "--log-level", "warning", "bench_wsgi:application"]
    server = subprocess.Popen(command, cwd=work, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/hello/", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=10)


def vacuum(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


@contextlib.contextmanager
def database(kind: str, work: Path, posts: int):
    if kind == "sqlite":
        yield f"sqlite:///{work / f'bench-{posts}.db'}"
    else:
        try:
            with live.fresh_database(kind) as url:
                yield url
        except live.Unavailable as missing:
            raise SystemExit(str(missing)) from None


def measure(chapter, kind: str, posts: int, options, work: Path) -> list[Row]:
    with database(kind, work, posts) as url:
        env = {**os.environ, "DATABASE_URL": url, "WEBAPP_ENV": "prod", "SECRET_KEY": "benchmark-only",
               "PYTHONUNBUFFERED": "1"}
        label = f"{kind:<10} {posts:>6} posts"
        say(f"{label}: flask db upgrade")
        flask(chapter, env, "db", "upgrade")
        flask(chapter, env, "seed", "--posts", str(posts), progress=f"{label}: flask seed")
        if kind == "postgresql":
            say(f"{label}: VACUUM ANALYZE")
            vacuum(url)
        os.environ.update(DATABASE_URL=url, WEBAPP_ENV="prod", SECRET_KEY="benchmark-only")
        queries = count_queries(chapter, options.caches)
        rows = []
        with gunicorn(work, chapter, env, options.workers, options.caches) as (base, server):
            warm_up(base + "/hello/")
            for path in queries:
                warm_up(base + path)
                if path.startswith("/cache-"):
                    warm_every_worker(base + path, options.connections)
            # Each page, then hello, round after round: both measured in the same minutes.
            results = {path: [] for path in (*queries, "/hello/")}
            for round in range(1, options.rounds + 1):
                say(f"{label}: round {round}, wrk {options.duration} s a URL:", end="")
                for path in results:
                    results[path].append(wrk(base + path, server, options.duration,
                                             options.connections, options.threads))
                    say(f" {path} {results[path][-1][0]:.0f}/s", end="")
                say("")
    # The best round of each: the fastest, and the least CPU a request.
    hellos = results.pop("/hello/")
    hello_cpu = None if hellos[0][1] is None else min(cpu for _, cpu in hellos)
    for path, pages in results.items():
        page_cpu = None if pages[0][1] is None else min(cpu for _, cpu in pages)
        rows.append(Row(kind, posts, path, max(r for r, _ in hellos), max(r for r, _ in pages),
                        queries[path], hello_cpu, page_cpu))
    return rows


def table(rows: list[Row]) -> str:
    fewest = min(row.posts for row in rows)
    width = max(10, *(len(row.url) for row in rows))
    lines = [f"{'database':<11} {'posts':>6} {'url':<{width}} {'hello/s':>8} {'page/s':>8} "
             f"{'page/hello':>10} {'vs ' + str(fewest):>9} {'queries':>7} {'CPU ms hello':>12} "
             f"{'page':>6} {'ratio':>6}"]
    databases = list(dict.fromkeys(row.database for row in rows))
    for row in sorted(rows, key=lambda r: (databases.index(r.database), r.url, r.posts)):
        first = min((r for r in rows if (r.database, r.url) == (row.database, row.url)),
                    key=lambda r: r.posts)
        growth = "" if row is first else f"{row.page / first.page:.0%}"
        cpu = (f"{row.hello_cpu:>12.2f} {row.page_cpu:>6.2f} {row.hello_cpu / row.page_cpu:>6.1%}"
               if row.page_cpu else f"{'-':>12} {'-':>6} {'-':>6}")
        lines.append(f"{row.database:<11} {row.posts:>6} {row.url:<{width}} {row.hello:>8.0f} "
                     f"{row.page:>8.0f} {row.page / row.hello:>10.1%} {growth:>9} {row.queries:>7} {cpu}")
    return "\n".join(lines)


def cache_table(rows: list[Row]) -> str:
    """Per database, size and cache: the home page uncached and cached, /ping, hello, and the ratios."""
    lines = [f"{'database':<11} {'posts':>6} {'cache':<7} {'home/s':>8} {'cached/s':>9} {'ping/s':>8} "
             f"{'hello/s':>8} {'cached/ping':>11} {'cached/hello':>12} {'cached/home':>11}"]
    for row in rows:
        match = re.fullmatch(r"/cache-(\w+)(/.*)", row.url)
        if not match:
            continue
        home, ping = (next(r for r in rows if (r.database, r.posts, r.url) == (row.database, row.posts, url))
                      for url in (match[2], BARE))
        lines.append(f"{row.database:<11} {row.posts:>6} {match[1]:<7} {home.page:>8.0f} {row.page:>9.0f} "
                     f"{ping.page:>8.0f} {row.hello:>8.0f} {row.page / ping.page:>11.1%} "
                     f"{row.page / row.hello:>12.1%} {row.page / home.page:>10.1f}×")
    return "\n".join(lines) if len(lines) > 1 else ""


def forget_cached_pages(caches) -> None:
    """Delete the run's entries from Redis (they expire on their own, the blog's version does not)."""
    if "redis" not in caches:
        return
    import redis

    client = redis.Redis.from_url(os.environ.get("CACHE_REDIS_URL", "redis://127.0.0.1:6379/1"),
                                  socket_connect_timeout=2)
    try:
        keys = list(client.scan_iter(PREFIX + "*"))
        if keys:
            client.delete(*keys)
    except redis.RedisError:  # no Redis (a chapter without a cache never needed one)
        pass
    finally:
        client.close()


def load() -> str:
    return " ".join(f"{n:.1f}" for n in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default=chapters.newest().name)
    parser.add_argument("--posts", default="1000,10000", help="blog sizes, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument("--cache", default="simple,redis",
                        help="chapter 10 on: the home page also cached in each of these (simple, redis; "
                             "none for neither)")
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per URL and round")
    parser.add_argument("--rounds", type=int, default=3, help="page, then hello, this many times")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's sync workers")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: one round of 1 s a URL; figures are rough")
    options = parser.parse_args(argv)
    if options.quick:
        options.duration, options.rounds = 1, 1
    if shutil.which("wrk") is None:
        say(INSTALL_WRK)
        raise SystemExit(1)
    chapter = chapters.get(options.chapter)
    if chapter.rank < 3:
        raise SystemExit(f"{chapter.label} has no blog pages yet: the home page comes with chapter 3")
    sizes = sorted(int(n) for n in options.posts.split(","))
    kinds = [k.strip() for k in options.databases.split(",")]
    if unknown := set(kinds) - {"sqlite", "postgresql"}:
        raise SystemExit(f"unknown database {', '.join(sorted(unknown))}: use sqlite, postgresql")
    options.caches = [] if options.cache == "none" else [c.strip() for c in options.cache.split(",")]
    if unknown := set(options.caches) - set(CACHES):
        raise SystemExit(f"unknown cache {', '.join(sorted(unknown))}: use simple, redis or none")

    say(f"{chapter.label} ({chapter.title}); gunicorn, {options.workers} sync workers, production "
        f"config; wrk -t{options.threads} -c{options.connections}, best of {options.rounds} rounds of "
        f"{options.duration} s a URL; load average {load()} on {os.cpu_count()} cores")
    work = Path(tempfile.mkdtemp(prefix="workbook-bench-"))
    rows = []
    try:
        for kind in kinds:
            for posts in sizes:
                rows.extend(measure(chapter, kind, posts, options, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        forget_cached_pages(options.caches)
    say(f"load average {load()}")
    say("")
    say(table(rows))
    if caches := cache_table(rows):
        say("")
        say(caches)
        say(f"cached/ping: the cached home page (an anonymous visitor's, from @cache.cached) as a share of "
            f"{BARE}, the same app's route that does nothing; cached/hello: as a share of the bare hello; "
            "cached/home: how many times faster than the page drawn each time.")
    say(f"page/hello: the page's speed as a share of a bare Flask hello from the same server ({BARE}: "
        "the chapter's app answering a route that does nothing, what its extensions cost a request); "
        f"vs {sizes[0]}: the page's speed against itself on the same database with {sizes[0]} posts "
        "(100%: its cost does not grow with the blog); queries: SQL statements one home page runs; "
        f"CPU ms: what the gunicorn workers spent on one request (the least of the rounds), and hello's "
        f"as a share of the page's: the page/hello ratio on a machine doing nothing else (PostgreSQL's "
        f"own processes are not counted).")


if __name__ == "__main__":
    main()
