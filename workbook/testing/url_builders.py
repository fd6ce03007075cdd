"""Werkzeug's URL builders, compiled once per test process instead of once per app.

Each test builds an app of its own, and Werkzeug compiles two Python functions for every URL rule of
every app (`Rule._compile_builder`: an AST walked, prefixed and compiled). Chapter 10's admin brings
some seventy rules; under branch coverage's tracer that walk was 70% of building an app (about 80 ms of
every test). The function compiled depends only on what the key below holds (its body reads the
rule's converters through `self` when called), so a rule equal to one already compiled gets the same
function, bound to itself. tests/tooling/test_url_builders.py checks that every rule's builder is the
bytecode Werkzeug would compile for it.
"""
from __future__ import annotations

from werkzeug.routing.rules import Rule

WERKZEUGS = Rule._compile_builder
_compiled: dict[tuple, object] = {}


def builder_key(rule: Rule, append_unknown: bool) -> tuple:
    """What `_compile_builder` reads: the rule, its parsed parts, the defaults (those of a URL
    variable become constants: the converter's URL of the default value), and `append_unknown`."""
    defaults = rule.defaults or {}
    resolved = tuple((name, rule._converters[name].to_url(value) if name in rule._converters else None)
                     for name, value in defaults.items())
    return rule.rule, tuple(rule._trace), resolved, append_unknown


def compile_builder_once(self: Rule, append_unknown: bool = True):
    key = builder_key(self, append_unknown)
    builder = _compiled.get(key)
    if builder is None:
        builder = _compiled[key] = WERKZEUGS(self, append_unknown)
    return builder


def pytest_configure(config):
    Rule._compile_builder = compile_builder_once


def pytest_unconfigure(config):
    Rule._compile_builder = WERKZEUGS
