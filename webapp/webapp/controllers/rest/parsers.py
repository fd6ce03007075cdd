"""What each API call accepts: the book's parsers. A value that does not fit is one 400 naming each
field (bundle_errors)."""
from flask_restx import inputs, reqparse


def text(max_length, blank=False, many=False):
    """A reqparse `type` (not in the book, whose `type=str` took anything): a string of at most
    `max_length` characters, without a NUL byte (PostgreSQL refuses them), and not blank unless
    `blank`; with `many`, a JSON list of such strings (the book's `action='append'` took the tags one
    by one). Its `__schema__` describes it in /api/swagger.json."""
    def one(value):
        if not isinstance(value, str):
            raise ValueError('must be a string')
        if '\x00' in value:
            raise ValueError('must not contain NUL bytes')
        if len(value) > max_length:
            raise ValueError('must be at most {} characters'.format(max_length))
        if not blank and not value.strip():
            raise ValueError('must not be empty')
        return value

    def each(value):
        if not isinstance(value, list):
            raise ValueError('must be a list of tag titles')
        return [one(item) for item in value]

    string = dict(type='string', maxLength=max_length, **({} if blank else dict(minLength=1)))
    one.__schema__, each.__schema__ = string, dict(type='array', items=string)
    return each if many else one


user_post_parser = reqparse.RequestParser(bundle_errors=True)
user_post_parser.add_argument('username', type=text(255), required=True, location='json')
user_post_parser.add_argument('password', type=text(255), required=True, location='json')

post_get_parser = reqparse.RequestParser(bundle_errors=True)
post_get_parser.add_argument('page', type=inputs.int_range(1, 100_000), location='args')
post_get_parser.add_argument('user', type=text(255, blank=True), location='args')

# The book sends the token in the body; `Authorization: Bearer <token>` works too (see auth.py), so
# the body's token is not required. A title fits the `post.title` column; a text is at most 100,000.
post_post_parser = reqparse.RequestParser(bundle_errors=True)
post_post_parser.add_argument(
    'token',
    type=text(1000, blank=True),
    location='json'
)
post_post_parser.add_argument(
    'title',
    type=text(255),
    required=True,
    location='json'
)
post_post_parser.add_argument(
    'text',
    type=text(100_000),
    required=True,
    location='json'
)
post_post_parser.add_argument(
    'tags',
    type=text(255, many=True),
    location='json'
)

post_put_parser = reqparse.RequestParser(bundle_errors=True)
post_put_parser.add_argument(
    'token',
    type=text(1000, blank=True),
    location='json'
)
post_put_parser.add_argument(
    'title',
    type=text(255),
    location='json'
)
post_put_parser.add_argument(
    'text',
    type=text(100_000),
    location='json'
)
post_put_parser.add_argument(
    'tags',
    type=text(255, many=True),
    location='json'
)

post_delete_parser = reqparse.RequestParser(bundle_errors=True)
post_delete_parser.add_argument(
    'token',
    type=text(1000, blank=True),
    location='json'
)
