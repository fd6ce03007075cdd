"""Every extension, made here without an app and bound to one in `create_app` with `init_app`.

Views and models import what they need from this module; nothing here imports the app.
"""
import hmac
import threading

from authlib.integrations.flask_client import OAuth
from flask_bcrypt import Bcrypt
from flask_bootstrap import Bootstrap5
from flask_ckeditor import CKEditor
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_principal import Permission, Principal, RoleNeed
from limits.storage import MemoryStorage

bcrypt = Bcrypt()
migrate = Migrate()
bootstrap = Bootstrap5()
# The post editor of the new and edit pages: CKEditor 4, served from Flask-CKEditor's package.
ckeditor = CKEditor()

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
