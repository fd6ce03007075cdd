"""Every extension, made here without an app and bound to one in `create_app` with `init_app`.

Views and models import what they need from this module; nothing here imports the app.
"""
import hmac
import io
import os
import smtplib
import threading

import flask_mail
from authlib.integrations.flask_client import OAuth
from celery import Celery, Task
from flask import current_app
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_assets import Bundle, Environment
from flask_bcrypt import Bcrypt
from flask_bootstrap import Bootstrap5
from flask_caching import Cache
from flask_ckeditor import CKEditor
from flask_debugtoolbar import DebugToolbarExtension
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_principal import Permission, Principal, RoleNeed
from flask_restx import Api
from limits.storage import MemoryStorage

bcrypt = Bcrypt()
migrate = Migrate()
bootstrap = Bootstrap5()
# Chapter 10: Flask-Caching (the book's Flask-Cache). CACHE_TYPE in config.py says where entries live;
# webapp/caching.py, what may be cached and when it is thrown away.
cache = Cache()
# Chapter 10: the debug toolbar, on only where DEBUG_TB_ENABLED is (the development configuration).
debug_toolbar = DebugToolbarExtension()

login_manager = LoginManager()
login_manager.login_view = "main.login"
# "strong": a session whose browser or address changed is thrown away, remember-me cookie included.
login_manager.session_protection = "strong"
login_manager.login_message = "Please login to access this page"
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(userid):
    from webapp.models import User, db

    # The book's User.query.get(userid). The id comes back from the session or the remember-me
    # cookie as User.get_id() made it, "<id>:<session token>": a cookie from before the user's last
    # logout or password change names an old token and signs nobody in.
    user_id, _, token = userid.partition(':')
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not hmac.compare_digest(token.encode(), user.session_token.encode()):
        return None
    return user


class ThreadSafeMemoryStorage(MemoryStorage):
    """The counts in this process's memory (development and tests), safe under `flask run`'s threads.

    limits 5.8's own memory storage can start its expiry timer twice when two requests count at the
    same moment, and one of them answers 500 (seen in the workbook's concurrent registrations; fixed
    upstream in alisaifee/limits#352, not released yet). Counting one request at a time avoids it."""
    STORAGE_SCHEME = ["threadsafe-memory"]  # RATELIMIT_STORAGE_URI = 'threadsafe-memory://'

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions, **options)
        self.counting = threading.Lock()

    def incr(self, *args, **kwargs):  # how the fixed window, Flask-Limiter's default, counts
        with self.counting:
            return super().incr(*args, **kwargs)


# Rate limits on signing in and up (not in the book): the views say which (controllers/main.py), the
# config how many and where the counts live (RATELIMIT_STORAGE_URI: Redis in production, so that
# every worker process shares them). A client is its address; behind a proxy, see the README.
limiter = Limiter(key_func=get_remote_address)


# Chapter 10: the tasks' mail (reminders, the digest) goes through Flask-Mail.
class TimedConnection(flask_mail.Connection):
    """Flask-Mail's connection, giving up after MAIL_TIMEOUT seconds: Flask-Mail's own waits forever
    on a server that accepts and never answers (a stuck worker, where a timeout is a retry)."""

    def configure_host(self):
        smtp = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp(self.mail.server, self.mail.port, timeout=current_app.config.get('MAIL_TIMEOUT', 60))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class Mail(flask_mail.Mail):
    """The book's Flask-Mail: MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME, MAIL_PASSWORD and
    MAIL_DEFAULT_SENDER from the app's config; connections time out (above)."""

    def connect(self):
        return TimedConnection(current_app.extensions['mail'])


mail = Mail()


principals = Principal()
admin_permission = Permission(RoleNeed("admin"))
poster_permission = Permission(RoleNeed("poster"))
default_permission = Permission(RoleNeed("default"))

# Social login through Authlib, in place of the book's Flask-OpenID and Flask-OAuth (both dead).
# Each provider reads its settings from the app's config: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
# OIDC_SERVER_METADATA_URL; FACEBOOK_CLIENT_ID, FACEBOOK_CLIENT_SECRET (see config.py).
# Authlib's registry serves one app at a time: the app `init_app` was last called with.
oauth = OAuth()
# Any OpenID Connect provider (Google, Microsoft, GitLab, Keycloak…): it describes itself at its
# discovery URL, so the client needs nothing else.
oauth.register(
    "oidc",
    client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
)
# Facebook speaks plain OAuth2: no discovery document and no ID token; the user comes from /me.
# overwrite=True lets the config's FACEBOOK_*_URL settings replace these addresses.
oauth.register(
    "facebook",
    overwrite=True,
    authorize_url="https://www.facebook.com/dialog/oauth",
    access_token_url="https://graph.facebook.com/oauth/access_token",
    api_base_url="https://graph.facebook.com/",
    client_kwargs={"scope": "email", "token_endpoint_auth_method": "client_secret_post"},
)

# The book's Flask-RESTful `Api`, from its kept fork Flask-RESTX: the same Resource, reqparse, fields
# and marshal_with, and an OpenAPI (Swagger 2.0) description of every call, with Swagger UI at
# /api/doc served from the package (no CDN). Bound to the `api` blueprint (controllers/rest).
rest_api = Api(
    title='My Blog API',
    version='1.0',
    description='Posts of the blog. Writing needs a token from POST /api/auth.',
    doc='/doc',
    authorizations={'token': {'type': 'apiKey', 'in': 'header', 'name': 'Authorization',
                              'description': 'Bearer <the token from POST /api/auth>'}},
    security='token',
)

# Chapter 10: the admin at /admin (its views: controllers/admin.py), Flask-Admin 2's Bootstrap 4
# theme served from its package; CKEditor 4 for the posts' text, from Flask-CKEditor's package.
admin = Admin(name='My Blog', theme=Bootstrap4Theme())
ckeditor = CKEditor()


def celery_init_app(app):
    """The app's Celery (chapter 9), as Flask's docs make it: the settings under app.config['CELERY'],
    and a task class that runs every task inside the app's context, so tasks use `db` and
    `current_app` like a view does. Kept in app.extensions['celery'] (celery_runner.py finds it there).

    The book's Flask-Celery-Helper and its `make_celery` did the same; the helper is long gone.
    """
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config['CELERY'])
    # `@shared_task` tasks (webapp/tasks.py) and `.delay()` from a view or the shell use this one.
    celery_app.set_default()
    app.extensions['celery'] = celery_app
    return celery_app


# Chapter 10: Flask-Assets. Every page loads one CSS and one JS file, each Bootstrap's (served from
# Bootstrap-Flask's package: the `bootstrap/` prefix is its blueprint's static folder) and the
# site's own, joined and minified (rcssmin, rjsmin), built into static/gen/ (not in git).
assets_env = Environment()
main_css = Bundle('bootstrap/css/bootstrap.min.css', 'css/site.css',
                  filters='rcssmin', output='gen/common.css')
main_js = Bundle('bootstrap/umd/popper.min.js', 'bootstrap/js/bootstrap.min.js',
                 filters='rjsmin', output='gen/common.js')


def assets_init_app(app):
    """Bind Flask-Assets to the app, register the bundles, and build those older than their files."""
    assets_env.init_app(app)
    assets_env.register('main_css', main_css)
    assets_env.register('main_js', main_js)
    build_bundles(app)
    app.jinja_env.globals['asset_url'] = asset_url


def asset_url(name):
    """The URL of a bundle, for the templates (`{{ asset_url('main_css') }}`). The book's
    `{% assets %}` tag hashes the whole bundle file on every page (for a Subresource Integrity value
    the page never uses): 13% of the home page's time. Built at start, a bundle's URL does not
    change while the app runs, unless ASSETS_AUTO_BUILD (development) rebuilds it as you edit. (It
    is url_for's, under the path the app is served at: kept for each, with the links, links.py.)"""
    if current_app.config['ASSETS_AUTO_BUILD']:
        return assets_env[name].urls()[0]
    return current_app.extensions['links'].kept(('bundle', name), lambda: assets_env[name].urls()[0])


def build_bundles(app):
    """Build each bundle that is missing or older than one of its files, at start: gunicorn's main
    process (preload_app) builds them once, before its workers start. Each is written under another
    name, then renamed into place, so that processes starting together (the tests' several processes)
    never serve, nor write into, half a file. `flask assets build` builds them all again."""
    with app.app_context():
        for bundle in (main_css, main_js):
            target = bundle.resolve_output()
            sources = [source for _, source in bundle.resolve_contents()]
            if os.path.exists(target) and os.path.getmtime(target) >= max(map(os.path.getmtime, sources)):
                continue
            built = io.StringIO()
            bundle.build(force=True, output=built)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            draft = '{}.{}'.format(target, os.getpid())
            with open(draft, 'w', encoding='utf-8') as new:
                new.write(built.getvalue())
            os.replace(draft, target)
