"""Every extension, made here without an app and bound to one in `create_app` with `init_app`
(`register_extensions`), with the settings that are the code's, not the configuration's.

Views and models import what they need from this module; nothing here imports the app.
"""
from authlib.integrations.flask_client import OAuth
from celery import Celery, Task
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_assets import Environment
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

from webapp.mail import Mail
from webapp.rate_limits import ThreadSafeMemoryStorage  # noqa: F401 (defines threadsafe-memory://)

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


# Rate limits on signing in and up (not in the book): the views say which (controllers/main.py), the
# config how many and where the counts live (RATELIMIT_STORAGE_URI: Redis in production, so that
# every worker process shares them; `threadsafe-memory://` otherwise, webapp/rate_limits.py). A client
# is its address; behind a proxy, see the README.
limiter = Limiter(key_func=get_remote_address)

# Chapter 10: the tasks' mail (reminders, the digest) goes through Flask-Mail (its connection times
# out: webapp/mail.py).
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


# Chapter 10: Flask-Assets. Its bundles, and their build at start: webapp/assets.py.
assets_env = Environment()
