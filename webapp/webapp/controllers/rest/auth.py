from flask import abort, request
from flask_restx import Resource, fields

from webapp.controllers.rest.parsers import user_post_parser
from webapp.extensions import rest_api
from webapp.models import User, spend_a_password_check, user_named

token_fields = rest_api.model('Token', {
    'token': fields.String(description='Send it back as `Authorization: Bearer <token>` '
                                       '(or as "token" in the body, as the book does)'),
})
error_fields = rest_api.model('Error', {
    'message': fields.String(description='What went wrong'),
    'errors': fields.Raw(description='For a 400: a reason for each field that was refused'),
})


def read_json_object():
    """A body, when there is one, must be a JSON object (reqparse would read `"..."` or a form as
    "no fields", and a PUT would answer 200 having done nothing)."""
    if request.get_data(cache=True) and not isinstance(request.get_json(silent=True), dict):
        abort(400, 'The body must be a JSON object (Content-Type: application/json)')


def authenticated_user(token):
    """The user a token from POST /api/auth names, from the body's token or the Authorization header.

    Never the session cookie: a browser signed in to the blog cannot write through the API, so
    the API needs no CSRF token.
    """
    header = request.headers.get('Authorization', '')
    if not token and header.startswith('Bearer '):
        token = header[len('Bearer '):].strip()
    user = User.verify_auth_token(token) if token else None
    if user is None:
        abort(401, 'A valid token is required: get one from POST /api/auth')
    return user


class AuthApi(Resource):
    @rest_api.doc(security=[])
    @rest_api.expect(user_post_parser)
    @rest_api.response(200, 'A token for the other calls', token_fields)
    @rest_api.response(400, 'A field is missing or refused', error_fields)
    @rest_api.response(401, 'Wrong username or password', error_fields)
    @rest_api.response(413, 'The body is too large', error_fields)
    def post(self):
        """Trade a username and password for a token that expires (the book: 600 s)."""
        read_json_object()
        args = user_post_parser.parse_args()
        user = user_named(args['username'])
        if user is None:
            spend_a_password_check()  # as long as a wrong password: no telling who has an account
            abort(401, 'Wrong username or password')
        if not user.check_password(args['password']):
            abort(401, 'Wrong username or password')
        return {'token': user.generate_auth_token()}
