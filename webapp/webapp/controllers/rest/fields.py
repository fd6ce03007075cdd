from html.parser import HTMLParser

from flask_restx import fields


class HTMLStripper(HTMLParser):
    """Keeps the text of an HTML document and drops its tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fed = []

    def handle_data(self, data):
        self.fed.append(data)

    def get_data(self):
        return ''.join(self.fed)


def strip_tags(html):
    stripper = HTMLStripper()
    stripper.feed(html)
    stripper.close()
    return stripper.get_data()


class HTMLField(fields.Raw):
    """A post's text without its HTML tags: API clients get plain text."""
    __schema_type__ = 'string'

    def format(self, value):
        return strip_tags(str(value))


class LocalDateTime(fields.DateTime):
    """ISO 8601 (`2015-06-01T12:30:00`), as the book's `dt_format='iso8601'`: the blog stores its
    times without a zone, so the description promises no zone (RFC 3339's date-time needs one)."""
    __schema_format__ = None
    __schema_example__ = '2015-06-01T12:30:00'

    def __init__(self, **kwargs):
        super().__init__(dt_format='iso8601', **kwargs)
