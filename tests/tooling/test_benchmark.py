"""The benchmarks: home_page.py asks for wrk when wrk is missing, and its table gives the ratios;
tasks.py measures both Celery brokers in one run.

The home-page benchmark itself is not run here, not even with --quick: it seeds databases and starts
gunicorn once per database and size, which takes 15 to 40 seconds on a 2-core machine; `python
benchmarks/home_page.py --quick --posts 50 --databases sqlite` is the smoke test to run by hand.
The task benchmark's --quick (20 tasks, two workers started) is run.
"""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbook import live, workers
from workbook.testing.services import need

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "home_page.py"
TASKS = SCRIPT.parent / "tasks.py"


@pytest.fixture
def benchmark(monkeypatch):
    """The script, imported as a module (sys.path and sys.modules left as they were)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location("home_page_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_without_wrk_the_benchmark_says_how_to_install_it(benchmark, monkeypatch, tmp_path, capsys):
    """Without wrk on the PATH, the benchmark says `apt-get install wrk` and exits with 1."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit) as exit:
        benchmark.main(["--quick"])
    assert exit.value.code == 1
    assert "apt-get install wrk" in capsys.readouterr().out


def test_the_table_gives_the_page_as_a_share_of_hello_and_of_the_smallest_blog(benchmark):
    """The table shows requests/s, page/hello, the big blog against the small one, queries, CPU."""
    Row = benchmark.Row
    table = benchmark.table([
        Row("sqlite", 1000, "/blog/", hello=4000, page=400, queries=5, hello_cpu=0.3, page_cpu=3.0),
        Row("sqlite", 10000, "/blog/", hello=4000, page=380, queries=5, hello_cpu=0.3, page_cpu=3.2),
        Row("postgresql", 1000, "/blog/", hello=4000, page=200, queries=5, hello_cpu=None, page_cpu=None),
    ])
    lines = table.splitlines()
    assert "vs 1000" in lines[0] and "url" in lines[0]
    assert re.search(r"sqlite\s+1000\s+/blog/\s+4000\s+400\s+10\.0%\s+5\s+0\.30\s+3\.00\s+10\.0%", lines[1])
    assert re.search(r"sqlite\s+10000\s+/blog/\s+4000\s+380\s+9\.5%\s+95%\s+5", lines[2])
    assert re.search(r"postgresql\s+1000\s+/blog/\s+4000\s+200\s+5\.0%\s+5\s+-", lines[3])


def test_the_api_list_gets_rows_of_its_own(benchmark):
    """Beside the home page, chapter 8's API list has its own rows, compared with its own smaller blog."""
    Row = benchmark.Row
    table = benchmark.table([
        Row("sqlite", 1000, "/blog/", hello=4000, page=400, queries=5, hello_cpu=None, page_cpu=None),
        Row("sqlite", 1000, "/api/post", hello=4000, page=800, queries=2, hello_cpu=None, page_cpu=None),
        Row("sqlite", 10000, "/blog/", hello=4000, page=380, queries=5, hello_cpu=None, page_cpu=None),
        Row("sqlite", 10000, "/api/post", hello=4000, page=760, queries=2, hello_cpu=None, page_cpu=None),
    ])
    lines = table.splitlines()[1:]
    assert [line.split()[2] for line in lines] == ["/api/post", "/api/post", "/blog/", "/blog/"]
    assert re.search(r"sqlite\s+10000\s+/api/post\s+4000\s+760\s+19\.0%\s+95%\s+2", lines[1])


def test_the_task_benchmark_prints_both_brokers_rates_and_their_ratio():
    """`benchmarks/tasks.py --quick` sends multiply tasks through RabbitMQ+Redis and through the
    embedded broker, a real worker each, shows its progress, and prints tasks per second side by side
    with their ratio."""
    try:
        workers.rabbitmq_broker()
    except live.Unavailable as missing:
        need(str(missing))
    done = subprocess.run([sys.executable, str(TASKS), "--quick"], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "RabbitMQ + Redis: 20/20 results" in out and "embedded (SQLite): 20/20 results" in out
    assert re.search(r"^RabbitMQ \+ Redis\s+\d+\.\d$", out, re.M)
    assert re.search(r"^embedded \(SQLite\)\s+\d+\.\d$", out, re.M)
    assert re.search(r"^RabbitMQ \+ Redis / embedded: \d+\.\d×$", out, re.M)


def test_a_chapter_with_a_cache_gets_the_cached_home_page_beside_ping_and_hello(benchmark):
    """Chapter 10 on: the home page cached in each backend has its rows, and a second table puts
    home uncached, home cached, the app's own bare route (/ping) and hello side by side, with
    cached/ping, cached/hello and cached/home."""
    Row = benchmark.Row
    rows = [
        Row("sqlite", 1000, "/blog/", hello=4000, page=400, queries=5, hello_cpu=None, page_cpu=None),
        Row("sqlite", 1000, "/ping", hello=4000, page=2000, queries=0, hello_cpu=None, page_cpu=None),
        Row("sqlite", 1000, "/cache-simple/blog/", hello=4000, page=1800, queries=0, hello_cpu=None,
            page_cpu=None),
        Row("sqlite", 1000, "/cache-redis/blog/", hello=4000, page=1600, queries=0, hello_cpu=None,
            page_cpu=None),
    ]
    table = benchmark.table(rows)
    assert re.search(r"sqlite\s+1000\s+/cache-simple/blog/\s+4000\s+1800\s+45\.0%\s+0", table)
    assert re.search(r"sqlite\s+1000\s+/ping\s+4000\s+2000\s+50\.0%\s+0", table)
    lines = benchmark.cache_table(rows).splitlines()
    assert lines[0].split() == ["database", "posts", "cache", "home/s", "cached/s", "ping/s", "hello/s",
                                "cached/ping", "cached/hello", "cached/home"]
    assert re.fullmatch(r"sqlite\s+1000\s+simple\s+400\s+1800\s+2000\s+4000\s+90\.0%\s+45\.0%\s+4\.5×",
                        lines[1])
    assert re.fullmatch(r"sqlite\s+1000\s+redis\s+400\s+1600\s+2000\s+4000\s+80\.0%\s+40\.0%\s+4\.0×",
                        lines[2])
    assert benchmark.cache_table(rows[:2]) == ""


def test_an_unknown_cache_is_refused_in_one_line(benchmark, capsys):
    """--cache memcached: the benchmark names the caches it knows and exits."""
    with pytest.raises(SystemExit) as exit:
        benchmark.main(["--cache", "memcached"])
    assert "unknown cache memcached: use simple, redis or none" in str(exit.value)
