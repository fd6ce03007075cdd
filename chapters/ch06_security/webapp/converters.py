"""What a part of a URL may be: the app's `<int:...>` (see create_app)."""
from werkzeug.routing import IntegerConverter


class IdConverter(IntegerConverter):
    """`<int:...>` in a URL, at most 2**31 - 1: the largest value of an integer column on PostgreSQL
    and MySQL. A larger id names no row (404), where the query would fail with a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault('max', 2**31 - 1)
        super().__init__(map, *args, **kwargs)
