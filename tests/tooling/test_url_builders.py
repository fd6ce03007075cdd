"""The harness compiles each URL rule's builder once per process (workbook/testing/url_builders.py):
what it hands an app must be what Werkzeug itself would compile for that app's rule."""
from flask import url_for

from workbook import chapters
from workbook.testing import url_builders


def test_every_rule_of_the_newest_app_gets_the_builder_werkzeug_compiles(clean_imports):
    """For every rule of the newest entry's app (its admin, API and blog, converters and defaults),
    the shared builder's bytecode, constants and arguments equal a fresh compile of that rule."""
    newest = chapters.newest()
    chapters.activate(newest.path)
    chapters.load_app(newest)  # a first app: its builders are the shared ones
    app = chapters.load_app(newest)  # a second: each rule gets a builder compiled for the first
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 50
    for rule in rules:
        for append_unknown, bound in ((False, rule._build), (True, rule._build_unknown)):
            shared, fresh = bound.__func__.__code__, url_builders.WERKZEUGS(rule, append_unknown).__code__
            assert (shared.co_code, shared.co_consts, shared.co_varnames, shared.co_name) == \
                (fresh.co_code, fresh.co_consts, fresh.co_varnames, fresh.co_name), rule.rule
            assert bound.__self__ is rule


def test_a_shared_builder_builds_each_apps_urls_with_that_apps_converters(clean_imports):
    """Two apps sharing a builder each build their own URLs: a post's address with its id and a
    query string."""
    newest = chapters.newest()
    chapters.activate(newest.path)
    for server_name in ("one.example", "two.example"):
        app = chapters.load_app(newest)
        app.config["SERVER_NAME"] = server_name
        with app.app_context():
            assert url_for("blog.post", post_id=7, page=2, _external=True) == \
                f"http://{server_name}/blog/post/7?page=2"
