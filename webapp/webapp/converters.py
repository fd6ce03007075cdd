"""What a part of a URL may be: the app's `<int:...>` and `<string:...>` (see create_app)."""
from flask import abort
from werkzeug.routing import IntegerConverter, UnicodeConverter


class IdConverter(IntegerConverter):
    """`<int:...>` in a URL, at most 2**31 - 1: the largest value of an integer column on PostgreSQL
    and MySQL. A larger id names no row (404), where the query would fail with a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault('max', 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class TextConverter(UnicodeConverter):
    """`<string:...>` (and a part with no converter named): any text but a NUL character (`%00`),
    which PostgreSQL refuses in text, even in a WHERE clause. A URL holding one is a bad request."""

    def to_python(self, value):
        if '\x00' in value:
            abort(400)
        return value
