"""The workbook's suites run against any chapter: `python -m pytest --chapter N` (see README.md).

Everything lives in the plugins of workbook/testing/, one concern each; `workbook checkout` copies
them, and this file, into a standalone chapter folder.
"""
pytest_plugins = [
    "workbook.testing.selection",  # --chapter, which tests apply, kinds by folder
    "workbook.testing.coverage_floor",  # the chapter's branch coverage and its floor
    "workbook.testing.app",  # app, client, runner, db, models
    "workbook.testing.url_builders",  # Werkzeug's URL builders compiled once per process
    "workbook.testing.pages",  # url_for, csrf_token, sql_statements
    "workbook.testing.builders",  # make: users, posts, tags, comments
    "workbook.testing.accounts",  # auth: log in and out through the forms (chapter 6 on)
    "workbook.testing.services",  # PostgreSQL and MariaDB; skip on a laptop, fail in CI
    "workbook.testing.faults",  # fault_proxy: a TCP proxy to a real service, cut or hung by the test
    "workbook.testing.servers",  # live_server, serve_command, Chromium
    "workbook.testing.celery_worker",  # real Celery workers on RabbitMQ or the embedded broker, mailbox
]
