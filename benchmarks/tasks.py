"""How many Celery tasks a second make the round trip, on RabbitMQ+Redis and on the embedded broker?

    python benchmarks/tasks.py [--tasks 500] [--chapter 9] [--quick]

Not a test: it prints figures. For each broker it starts one real worker on the chapter's code (its
`celery_runner`, the solo pool: one task at a time; workbook.workers) on a queue of its own, sends N of
the book's `multiply` tasks, then reads every result back, checking each: tasks per second is N over
the time from the first send to the last result. Five tasks go first, untimed, to open the
connections. The two brokers:

- RabbitMQ (`amqp://guest:guest@127.0.0.1:5672//`, WORKBOOK_RABBITMQ_URL) with results in Redis
  (`127.0.0.1:6379` database 0, WORKBOOK_REDIS_URL): the production setting;
- the embedded broker: kombu's SQLAlchemy transport and Celery's database result backend, one SQLite
  file each in a temporary folder (what `workbook run 9` and a learner without servers use).

Without RabbitMQ or Redis it says which is missing, measures the embedded broker alone and exits
with 1. The load average is printed before and after: the figures of a busy machine are lower.
Nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from workbook import chapters, live, workers  # noqa: E402

# name: the environment that puts the worker and the client on it, given a folder of their own.
BROKERS = {"RabbitMQ + Redis": lambda folder: workers.rabbitmq_broker(),
           "embedded (SQLite)": workers.embedded_broker}


def client(env: dict[str, str]):
    """A Celery app that only sends tasks to the worker's queue and reads their results."""
    from celery import Celery

    app = Celery("benchmark", broker=env["CELERY_BROKER_URL"], backend=env["CELERY_RESULT_BACKEND"])
    app.conf.update(task_default_queue=env["CELERY_TASK_DEFAULT_QUEUE"],
                    broker_connection_retry_on_startup=True)
    return app


def round_trips(app, count: int, label: str = "", start: int = 0) -> float:
    """Send `count` multiply tasks, then read each result: the seconds it took (progress shown)."""
    began = time.perf_counter()
    sent = [(i, app.send_task("webapp.tasks.multiply", (i, i))) for i in range(start, start + count)]
    # Progress: one line rewritten in a terminal, a line a quarter elsewhere (a log, a test).
    tty = sys.stdout.isatty()
    step = max(1, count // (20 if tty else 4))
    for done, (i, result) in enumerate(sent, 1):
        # A short interval: the database backend is polled for each result.
        value = result.get(timeout=300, interval=0.01)
        if value != i * i:
            raise AssertionError(f"multiply({i}, {i}) gave {value!r}")
        if label and (done % step == 0 or done == count):
            line = f"  {label}: {done}/{count} results"
            print("\r" + line if tty else line, end="" if tty else "\n", flush=True)
    if label and tty:
        print(flush=True)
    return time.perf_counter() - began


def measure(chapter: chapters.Chapter, broker: dict[str, str], count: int, folder: Path, name: str) -> float:
    """Tasks per second through `broker`, with one worker of its own."""
    env = {**os.environ, **broker, **workers.own_queue(), "WEBAPP_ENV": "dev",
           "SECRET_KEY": "benchmark", "DATABASE_URL": f"sqlite:///{folder / 'blog.db'}"}
    log = folder / f"worker-{len(list(folder.glob('worker-*')))}.log"
    print(f"{name}: starting a worker…", flush=True)
    with workers.worker_running(chapter.path, env, log):
        app = client(env)
        try:
            round_trips(app, 5)  # untimed: connections opened, queues declared
            seconds = round_trips(app, count, name, start=5)
        finally:
            if env["CELERY_BROKER_URL"].startswith("amqp"):  # leave no queue behind on RabbitMQ
                with app.connection_for_write() as connection:
                    connection.default_channel.queue_delete(env["CELERY_TASK_DEFAULT_QUEUE"])
            app.close()
    return count / seconds


def table(rates: dict[str, float | None], count: int) -> str:
    lines = [f"{'broker':<20} {'tasks/s':>9}   ({count} multiply round trips, one solo worker)"]
    for name, rate in rates.items():
        lines.append(f"{name:<20} {'-' if rate is None else f'{rate:.1f}':>9}")
    fast, slow = rates.get("RabbitMQ + Redis"), rates.get("embedded (SQLite)")
    if fast and slow:
        lines.append(f"RabbitMQ + Redis / embedded: {fast / slow:.1f}×")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=500, help="round trips per broker (500)")
    parser.add_argument("--chapter", type=chapters.get, default=None,
                        help="the chapter whose tasks run (the newest with celery_runner.py)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 20 tasks per broker")
    args = parser.parse_args(argv)
    chapter = args.chapter or next(c for c in reversed(chapters.CHAPTERS)
                                   if (c.path / "celery_runner.py").exists())
    count = 20 if args.quick else args.tasks
    print(f"{chapter.label}'s multiply, {count} tasks per broker; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    rates: dict[str, float | None] = {}
    missing = None
    with tempfile.TemporaryDirectory(prefix="workbook-tasks-") as tmp:
        for name, broker in BROKERS.items():
            folder = Path(tmp) / name.split()[0].lower()
            folder.mkdir()
            try:
                settings = broker(folder)
            except live.Unavailable as error:
                missing = f"{name}: not measured: {error}"
                print(missing, flush=True)
                rates[name] = None
                continue
            rates[name] = measure(chapter, settings, count, folder, name)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n", flush=True)
    print(table(rates, count))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
