"""The site's own pages, without a prefix: signing in, out and up (chapter 6), social login, and what
chapter 4 put on the app itself: the restricted page, the error pages and the class-based views."""
import re
import unicodedata
from os import path
from urllib.parse import urlsplit

from authlib.integrations.base_client import OAuthError
from flask import (Blueprint, abort, current_app, flash, g, jsonify, make_response, redirect,
                   render_template, request, session, url_for)
from flask.views import MethodView, View
from flask_login import current_user, login_user, logout_user
from flask_principal import AnonymousIdentity, Identity, identity_changed
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from webapp.extensions import admin_permission, limiter, login_manager, oauth
from webapp.forms import LoginForm, LogoutForm, RegisterForm
from webapp.models import USERNAME, USERNAME_RULE, USERNAME_TAKEN, User, db, user_named

main_blueprint = Blueprint(
    'main',
    __name__,
    template_folder=path.join(path.pardir, 'templates', 'main')
)


@main_blueprint.before_app_request
def before_request():
    # Chapter 4's `g.user`, now whoever Flask-Login says is signed in (None when nobody is).
    g.user = current_user if current_user.is_authenticated else None


def safe_next(target):
    """`target` if it is a path on this site, else None: never send a user on to another site.

    `//evil.example/` and `https://evil.example/` name other sites; so does `/\\evil.example`,
    which browsers read as `//evil.example`.
    """
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith('/') or target.startswith('//') \
            or '\\' in target or any(ord(c) < 32 for c in target):
        return None
    return target


def sign_in(user, remember=False):
    login_user(user, remember=remember)
    # Tell Flask-Principal: the identity's needs (the user, their roles) are loaded anew.
    identity_changed.send(
        current_app._get_current_object(),
        identity=Identity(user.id)
    )


def setting(name):
    """A rate limit read from the app's config when a request comes (the tests set their own)."""
    return lambda: current_app.config[name]


def account():
    """The account a login or registration is for: counted wherever its attempts come from."""
    return 'account:' + request.form.get('username', '').strip().casefold()


def failed(response):
    # A login that succeeds redirects; a refused one shows the form again.
    return response.status_code != 302


# Guessing passwords: one client gets so many tries, and one account so many failed ones, from
# any number of addresses. Only POSTs count: showing the form is free.
@main_blueprint.route('/login', methods=['GET', 'POST'])
@limiter.limit(setting('LOGIN_LIMIT_PER_CLIENT'), methods=['POST'])
@limiter.limit(setting('LOGIN_LIMIT_PER_ACCOUNT'), methods=['POST'], key_func=account,
               deduct_when=failed)
def login():
    form = LoginForm()

    if form.validate_on_submit():
        # The form's own validate() found the user and checked the password.
        sign_in(form.user, remember=form.remember.data)
        flash("You have been logged in.", category="success")
        return redirect(safe_next(request.args.get('next')) or url_for('blog.home'))

    return render_template('login.html', form=form, providers=social_providers())


# What a browser says of where a request comes from (the Sec-Fetch-Site header): typed into the
# address bar or opened from a bookmark ("none"), or from one of this site's own pages.
OWN_REQUEST = ('same-origin', 'none')


# The navigation bar's button POSTs a form carrying the CSRF token. A GET, as the book's logout,
# is taken from this site's own pages and from the address bar; from another site (a link, an
# <img src=".../logout">, a form) it is refused with 403, and nobody is logged out. A browser that
# does not send Sec-Fetch-Site (an old one, or a page served over plain HTTP from another host than
# localhost) is taken at its word; its cookies are SameSite=Lax: another site's image or form
# does not carry them.
@main_blueprint.route('/logout', methods=['GET', 'POST'])
def logout():
    if request.method == 'POST':
        if not LogoutForm().validate_on_submit():
            abort(400)
    elif request.headers.get('Sec-Fetch-Site', 'none') not in OWN_REQUEST:
        abort(403)
    if current_user.is_authenticated:
        # A copy of this browser's cookies, taken before now, signs nobody in after the logout.
        current_user.sign_out_everywhere()
        db.session.commit()
    logout_user()

    identity_changed.send(
        current_app._get_current_object(),
        identity=AnonymousIdentity()
    )

    flash("You have been logged out.", category="success")
    return redirect(url_for('.login'))


@main_blueprint.route('/register', methods=['GET', 'POST'])
@limiter.limit(setting('REGISTER_LIMIT_PER_CLIENT'), methods=['POST'])
@limiter.limit(setting('REGISTER_LIMIT_PER_ACCOUNT'), methods=['POST'], key_func=account)
def register():
    form = RegisterForm()

    if form.validate_on_submit():
        new_user = User(form.username.data)
        # The book's register() hashed form.username.data here: every account's password was its
        # username. The password is the password.
        new_user.set_password(form.password.data)

        db.session.add(new_user)
        try:
            db.session.commit()
        except IntegrityError:
            # The same name was registered a moment ago, after the form's check: the database's
            # unique constraint refused this one. The same answer as when the check sees it.
            db.session.rollback()
            form.username.errors.append(USERNAME_TAKEN)
            return render_template('register.html', form=form, providers=social_providers())

        flash(
            "Your user has been created, please login.",
            category="success"
        )

        return redirect(url_for('.login'))

    return render_template('register.html', form=form, providers=social_providers())


# --------------------------------------------------------------------------- social login

def social_providers():
    """The configured providers, as (endpoint, label): a provider without its keys is not offered."""
    config = current_app.config
    providers = []
    if config.get('OIDC_CLIENT_ID') and config.get('OIDC_CLIENT_SECRET') \
            and config.get('OIDC_SERVER_METADATA_URL'):
        providers.append(('main.oidc_login', config.get('OIDC_NAME') or 'OpenID Connect'))
    if config.get('FACEBOOK_CLIENT_ID') and config.get('FACEBOOK_CLIENT_SECRET'):
        providers.append(('main.facebook_login', 'Facebook'))
    return providers


def social_client(name):
    if not any(endpoint == 'main.{}_login'.format(name) for endpoint, _ in social_providers()):
        abort(404)
    return oauth.create_client(name)


def start_social_login(name):
    # Where to go after signing in, checked now and kept in the session for the way back.
    session['next'] = safe_next(request.args.get('next'))
    return social_client(name).authorize_redirect(
        url_for('.{}_authorized'.format(name), _external=True)
    )


def finish_social_login(provider, subject, username):
    """Sign in the user this provider knows as `subject`; their first visit creates them."""
    social_id = '{}:{}'.format(provider, subject)
    user = db.session.scalars(select(User).filter_by(social_id=social_id)).first()
    if user is None:
        user = User(free_username(username, provider))
        user.social_id = social_id
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:
            # The same name (or this same account, from a second tab) was made a moment ago.
            db.session.rollback()
            flash('Sign-in failed: please try again.', category='danger')
            return redirect(url_for('.login'))

    sign_in(user)
    flash("You have been logged in.", category="success")
    return redirect(session.pop('next', None) or url_for('blog.home'))


def free_username(wanted, provider):
    """A username the rules allow, made from the provider's display name (`Ada Lovelace` becomes
    `Ada_Lovelace`, `José` `Jose`; nothing left: the provider's name), then `…_2`, `…_3` while it is
    taken: a social login never takes over a local account."""
    ascii_only = unicodedata.normalize('NFKD', wanted or '').encode('ascii', 'ignore').decode()
    base = re.sub(r'[^A-Za-z0-9_.-]+', '_', ascii_only).strip('_.-')[:32] or provider
    name, number = base, 1
    while user_named(name) is not None:
        number += 1
        name = '{}_{}'.format(base, number)
    return name


def social_login_failed(error):
    flash('Sign-in failed: {}'.format(error.description or error.error), category='danger')
    return redirect(url_for('.login'))


@main_blueprint.route('/oidc')
def oidc_login():
    return start_social_login('oidc')


@main_blueprint.route('/oidc/authorized')
def oidc_authorized():
    client = social_client('oidc')
    try:
        # Trades the code for tokens and checks the ID token: signature, issuer, audience, nonce,
        # expiry; the `state` parameter must match the one this browser was sent off with.
        token = client.authorize_access_token()
        me = client.userinfo(token=token)
    except OAuthError as error:
        return social_login_failed(error)
    # The book's `resp.fullname or resp.nickname or resp.email`, in OpenID Connect's claims.
    username = me.get('name') or me.get('preferred_username') or me.get('email')
    return finish_social_login('oidc', token['userinfo']['sub'], username)


@main_blueprint.route('/facebook')
def facebook_login():
    return start_social_login('facebook')


@main_blueprint.route('/facebook/authorized')
def facebook_authorized():
    client = social_client('facebook')
    try:
        token = client.authorize_access_token()
    except OAuthError as error:
        return social_login_failed(error)
    me = client.get('me', params={'fields': 'id,first_name,last_name,email'}, token=token).json()
    username = ' '.join(filter(None, (me.get('first_name'), me.get('last_name'))))
    return finish_social_login('facebook', me['id'], username)


@main_blueprint.route('/restricted')
def admin():
    if g.user is None:
        abort(403)
    return render_template('admin.html')


# Error pages in the site's own layout, for every blueprint's views.
@main_blueprint.app_errorhandler(404)
def page_not_found(error):
    if request.path.startswith('/api/'):  # an API client gets JSON, never a page
        return {'message': 'No such URL in the API: see /api/doc'}, 404
    return render_template('404.html'), 404


@main_blueprint.app_errorhandler(403)
def forbidden(error):
    return render_template('403.html'), 403


@main_blueprint.app_errorhandler(429)
def too_many_requests(error):
    # Flask-Limiter adds Retry-After (RATELIMIT_HEADERS_ENABLED) to this page too.
    return render_template('429.html'), 429


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
    # Every template is given Flask-Login's current_user, loaded from the database: draw this page
    # for nobody (503.html leaves the account links out of the navigation bar).
    g._login_user = login_manager.anonymous_user()
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


def refuse(status, reason):
    """Stop with a JSON answer saying why."""
    abort(make_response(jsonify(error=reason), status))


class UserView(MethodView):
    """One method per HTTP verb. A verb with no method here is answered 405 by Flask.

    Chapter 4's example, now an admin's tool: listing the accounts, creating, renaming or deleting
    one needs the admin role; a signed-in user may read their own. Everyone else: 403.
    """

    def get(self, user_id):
        if not admin_permission.can() and (g.user is None or g.user.id != user_id):
            abort(403)
        if user_id is None:
            users = db.session.scalars(select(User).order_by(User.id))
            return jsonify([user_json(user) for user in users])
        return jsonify(user_json(db.get_or_404(User, user_id)))

    @admin_permission.require(http_exception=403)
    def post(self, user_id):
        user = User(self.username())
        db.session.add(user)
        self.commit()
        return jsonify(user_json(user)), 201, {'Location': url_for('.users', user_id=user.id)}

    @admin_permission.require(http_exception=403)
    def put(self, user_id):
        user = db.get_or_404(User, user_id)
        user.username = self.username(user)
        self.commit()
        return jsonify(user_json(user))

    @admin_permission.require(http_exception=403)
    def delete(self, user_id):
        user = db.get_or_404(User, user_id)
        # Refused rather than leaving posts without an author (or quietly giving them to someone).
        posts = user.posts.count()
        if posts:
            refuse(409, '{} has {} post(s): give them to another user or delete them first'.format(
                user.username, posts))
        db.session.delete(user)
        db.session.commit()
        return '', 204

    @staticmethod
    def username(renamed=None):
        """The request's username, if the rules allow it and nobody else (but `renamed`) has it."""
        data = request.get_json(silent=True)
        name = data.get('username') if isinstance(data, dict) else None
        if not isinstance(name, str) or not USERNAME.match(name):
            refuse(400, USERNAME_RULE)
        holder = user_named(name)
        if holder is not None and holder is not renamed:
            refuse(409, USERNAME_TAKEN)
        return name

    @staticmethod
    def commit():
        try:
            db.session.commit()
        except IntegrityError:
            # Taken a moment ago, after the check: the database's unique constraint said no.
            db.session.rollback()
            refuse(409, USERNAME_TAKEN)


# One view, three rules: the collection (GET, POST) and one user (GET, PUT, DELETE).
user_view = UserView.as_view('users')
main_blueprint.add_url_rule('/user', defaults={'user_id': None}, view_func=user_view, methods=['GET', 'POST'])
main_blueprint.add_url_rule('/user/<int:user_id>', view_func=user_view, methods=['GET', 'PUT', 'DELETE'])
