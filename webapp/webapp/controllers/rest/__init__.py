"""The blog's REST API under /api: the book's `rest` controllers, as a blueprint."""
from flask import Blueprint, make_response
from flask_restx import apidoc
from sqlalchemy.exc import OperationalError

from webapp.controllers.rest.auth import AuthApi
from webapp.controllers.rest.post import PostApi, PostListApi
from webapp.extensions import rest_api
from webapp.models import db

rest_blueprint = Blueprint('api', __name__, url_prefix='/api')
# The book calls add_resource in create_app on an Api bound to the app. Bound to a blueprint
# instead, the resources are added once, here, and the blueprint is registered on every app that
# create_app makes (the tests make many); a second add_resource on one Api would add the routes twice.
rest_api.init_app(rest_blueprint)
rest_api.add_resource(AuthApi, '/auth', endpoint='auth_api')
# The book's one PostApi served both URLs; two resources give each URL only the verbs it answers,
# and an OpenAPI description that says so.
rest_api.add_resource(PostListApi, '/post', endpoint='post_list_api')
rest_api.add_resource(PostApi, '/post/<int:post_id>', endpoint='post_api')


@rest_api.errorhandler(OperationalError)
def database_unavailable(error):
    # As the pages' 503 (controllers/main.py), in JSON: the database is down, try again soon.
    db.session.rollback()
    return {'message': 'The database is unavailable: try again in a moment'}, 503


# Swagger UI's page starts itself with an inline script and inline styles, which the site's
# Content-Security-Policy (chapter 6) refuses; this one page allows them, nothing else changes
# (still only this site's own files: Flask-RESTX serves Swagger UI from its package).
SWAGGER_UI_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
                     "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
                     "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@rest_api.documentation
def swagger_ui():
    response = make_response(apidoc.ui_for(rest_api))
    response.headers['Content-Security-Policy'] = SWAGGER_UI_POLICY
    return response
