"""What each API call accepts. Values that do not fit are one 400 naming each field (bundle_errors)."""
from flask_restx import inputs, reqparse

# The longest title the `post.title` column holds, and a generous bound on a post's text.
TITLE_MAX = 255
TEXT_MAX = 100_000
PAGES_MAX = 100_000


def text_of_at_most(limit):
    """A reqparse type: a string without NUL bytes (PostgreSQL refuses them), at most `limit` long."""
    def text(value):
        if not isinstance(value, str):
            raise ValueError('must be a string')
        if '\x00' in value:
            raise ValueError('must not contain NUL bytes')
        if len(value) > limit:
            raise ValueError('must be at most {} characters'.format(limit))
        return value
    text.__schema__ = {'type': 'string', 'maxLength': limit}
    return text


def required_text_of_at_most(limit):
    plain = text_of_at_most(limit)

    def text(value):
        value = plain(value)
        if not value.strip():
            raise ValueError('must not be empty')
        return value
    text.__schema__ = {'type': 'string', 'minLength': 1, 'maxLength': limit}
    return text


def tag_titles(value):
    """A reqparse type: a JSON list of tag titles (the book's `action='append'` took them one by one)."""
    if not isinstance(value, list):
        raise ValueError('must be a list of tag titles')
    title = required_text_of_at_most(255)
    return [title(item) for item in value]


tag_titles.__schema__ = {'type': 'array', 'items': {'type': 'string', 'minLength': 1, 'maxLength': 255}}


user_post_parser = reqparse.RequestParser(bundle_errors=True)
user_post_parser.add_argument('username', type=required_text_of_at_most(255), required=True,
                              location='json')
user_post_parser.add_argument('password', type=required_text_of_at_most(255), required=True,
                              location='json')

post_get_parser = reqparse.RequestParser(bundle_errors=True)
post_get_parser.add_argument('page', type=inputs.int_range(1, PAGES_MAX), location='args')
post_get_parser.add_argument('user', type=text_of_at_most(255), location='args')

# The book sends the token in the body; `Authorization: Bearer <token>` works too (see auth.py).
token_argument = dict(type=text_of_at_most(1000), location='json')

post_post_parser = reqparse.RequestParser(bundle_errors=True)
post_post_parser.add_argument('token', **token_argument)
post_post_parser.add_argument('title', type=required_text_of_at_most(TITLE_MAX), required=True,
                              location='json')
post_post_parser.add_argument('text', type=required_text_of_at_most(TEXT_MAX), required=True,
                              location='json')
post_post_parser.add_argument('tags', type=tag_titles, location='json')

post_put_parser = reqparse.RequestParser(bundle_errors=True)
post_put_parser.add_argument('token', **token_argument)
post_put_parser.add_argument('title', type=required_text_of_at_most(TITLE_MAX), location='json')
post_put_parser.add_argument('text', type=required_text_of_at_most(TEXT_MAX), location='json')
post_put_parser.add_argument('tags', type=tag_titles, location='json')

post_delete_parser = reqparse.RequestParser(bundle_errors=True)
post_delete_parser.add_argument('token', **token_argument)
