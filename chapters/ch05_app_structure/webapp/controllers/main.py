"""What chapter 4 put on the app itself, as a blueprint without a prefix: the signed-in user on `g`,
the restricted page, the error pages and the two class-based views."""
from flask import Blueprint, abort, g, jsonify, render_template, request, session, url_for
from flask.views import MethodView, View
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from webapp.models import User, db

main_blueprint = Blueprint('main', __name__)


@main_blueprint.before_app_request
def before_request():
    # The signed-in user (if any) for every view and template, on `g`. Signing in arrives in
    # chapter 6; until then, a user id in the session is the whole story.
    g.user = None
    if 'user_id' in session:
        g.user = db.session.get(User, session['user_id'])


@main_blueprint.route('/restricted')
def admin():
    if g.user is None:
        abort(403)
    return render_template('admin.html')


# Error pages in the site's own layout, for every blueprint's views.
@main_blueprint.app_errorhandler(404)
def page_not_found(error):
    return render_template('404.html'), 404


@main_blueprint.app_errorhandler(403)
def forbidden(error):
    return render_template('403.html'), 403


@main_blueprint.app_errorhandler(500)
def server_error(error):
    # A failed query may have left the session in a broken transaction: roll it back.
    db.session.rollback()
    return render_template('500.html'), 500


# The database is down or unreachable (psycopg, PyMySQL and sqlite3 all raise OperationalError):
# 503, "try again soon", on a page that needs no query. pool_pre_ping (config.py) makes the first
# request after the database is back use a fresh connection.
@main_blueprint.app_errorhandler(OperationalError)
def database_unavailable(error):
    db.session.rollback()
    return render_template('503.html'), 503


@main_blueprint.app_errorhandler(HTTPException)
def other_error(error):
    # Every other error a request can meet (400 bad request, 405 method not allowed, 413 too
    # large…) in the same layout, with the headers Werkzeug gives it (405's Allow).
    return render_template('error.html', error=error), error.code, error.get_headers()


class GenericView(View):
    def __init__(self, template):
        self.template = template
        super(GenericView, self).__init__()

    def dispatch_request(self):
        return render_template(self.template)


main_blueprint.add_url_rule(
    '/about', view_func=GenericView.as_view(
        'about', template='about.html'
    )
)


def user_json(user):
    return {'id': user.id, 'username': user.username}


class UserView(MethodView):
    """One method per HTTP verb. A verb with no method here is answered 405 by Flask."""

    def get(self, user_id):
        if user_id is None:
            users = db.session.scalars(select(User).order_by(User.id))
            return jsonify([user_json(user) for user in users])
        return jsonify(user_json(db.get_or_404(User, user_id)))

    def post(self, user_id):
        self.signed_in()
        user = User(self.username())
        db.session.add(user)
        db.session.commit()
        return jsonify(user_json(user)), 201, {'Location': url_for('.users', user_id=user.id)}

    def put(self, user_id):
        self.signed_in()
        user = db.get_or_404(User, user_id)
        user.username = self.username()
        db.session.commit()
        return jsonify(user_json(user))

    def delete(self, user_id):
        self.signed_in()
        user = db.get_or_404(User, user_id)
        db.session.delete(user)
        db.session.commit()
        return '', 204

    @staticmethod
    def signed_in():
        if g.user is None:
            abort(403)

    @staticmethod
    def username():
        data = request.get_json()
        if not isinstance(data, dict) or not str(data.get('username', '')).strip():
            abort(400)
        return str(data['username']).strip()[:255]


# One view, three rules: the collection (GET, POST) and one user (GET, PUT, DELETE).
user_view = UserView.as_view('users')
main_blueprint.add_url_rule('/user', defaults={'user_id': None}, view_func=user_view, methods=['GET', 'POST'])
main_blueprint.add_url_rule('/user/<int:user_id>', view_func=user_view, methods=['GET', 'PUT', 'DELETE'])
