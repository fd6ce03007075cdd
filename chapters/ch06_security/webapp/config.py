import os
import secrets


class Config(object):
    # Bootstrap's CSS and JS come from the Bootstrap-Flask package itself, not from a CDN.
    BOOTSTRAP_SERVE_LOCAL = True
    # CKEditor 4 (the post editor) from Flask-CKEditor's package too, never from its CDN.
    CKEDITOR_SERVE_LOCAL = True
    CKEDITOR_PKG_TYPE = 'standard'
    # The largest request body the app reads (413 beyond it): a form of the blog is far smaller.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Test a pooled connection before using it: after the database restarts, the first request
    # gets a fresh connection instead of an error.
    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True}
    # A relative SQLite path lands in the instance/ folder beside the package (Flask-SQLAlchemy 3),
    # which is what the book's `path.join(path.pardir, 'database.db')` was after.
    SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL', 'sqlite:///database.db')

    # The session cookie carries who is signed in. Flask already makes it HttpOnly (no script can
    # read it); SameSite=Lax keeps other sites' forms and scripts from sending it along.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = 'Lax'
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = 'Lax'

    # How often one client (an address) and one account (a username, from any address) may try to
    # sign in or register: Flask-Limiter's notation, "N per second|minute|hour|day". Login counts
    # only failed attempts against an account, so its owner is not locked out by their own success.
    LOGIN_LIMIT_PER_CLIENT = '10 per minute'
    LOGIN_LIMIT_PER_ACCOUNT = '5 per minute'
    REGISTER_LIMIT_PER_CLIENT = '10 per hour'
    REGISTER_LIMIT_PER_ACCOUNT = '5 per hour'
    # Where Flask-Limiter keeps its counts: one process's memory here, Redis in production.
    RATELIMIT_STORAGE_URI = 'threadsafe-memory://'  # extensions.py
    # A 429 says when to try again (Retry-After), and every limited answer how much is left.
    RATELIMIT_HEADERS_ENABLED = True

    # reCAPTCHA on the registration form, only when both keys are set (see the chapter's README).
    RECAPTCHA_PUBLIC_KEY = os.environ.get('RECAPTCHA_PUBLIC_KEY')
    RECAPTCHA_PRIVATE_KEY = os.environ.get('RECAPTCHA_PRIVATE_KEY')

    # Social login: a provider appears on the login page only when its client id and secret are set.
    # Any OpenID Connect provider, found through its discovery document:
    OIDC_NAME = os.environ.get('OIDC_NAME', 'OpenID Connect')
    OIDC_CLIENT_ID = os.environ.get('OIDC_CLIENT_ID')
    OIDC_CLIENT_SECRET = os.environ.get('OIDC_CLIENT_SECRET')
    OIDC_SERVER_METADATA_URL = os.environ.get('OIDC_SERVER_METADATA_URL')
    # Facebook (its addresses can be pointed elsewhere, which the tests do):
    FACEBOOK_CLIENT_ID = os.environ.get('FACEBOOK_CLIENT_ID')
    FACEBOOK_CLIENT_SECRET = os.environ.get('FACEBOOK_CLIENT_SECRET')
    FACEBOOK_AUTHORIZE_URL = os.environ.get('FACEBOOK_AUTHORIZE_URL')
    FACEBOOK_ACCESS_TOKEN_URL = os.environ.get('FACEBOOK_ACCESS_TOKEN_URL')
    FACEBOOK_API_BASE_URL = os.environ.get('FACEBOOK_API_BASE_URL')


class ProdConfig(Config):
    # No default: create_app refuses to start a production app without a secret key.
    SECRET_KEY = os.environ.get('SECRET_KEY')
    # Production is served over HTTPS: the cookies never travel over plain HTTP.
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # Browsers that once reached the site over HTTPS never try plain HTTP for a year (HSTS).
    STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains'
    # Several worker processes (gunicorn) must share the rate limits' counts: Redis holds them.
    RATELIMIT_STORAGE_URI = os.environ.get('RATELIMIT_STORAGE_URI', 'redis://127.0.0.1:6379')
    # Redis down: count in each process's memory meanwhile (and log it) rather than refuse to sign in.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True


class DevConfig(Config):
    DEBUG = True
    # SECRET_KEY from the environment, else (create_app) a random one made at first start and kept
    # in the instance folder, beside the SQLite database.
    SECRET_KEY = os.environ.get('SECRET_KEY')
    SECRET_KEY_FILE = 'secret_key'


class TestConfig(Config):
    TESTING = True
    # A new random key for each test run (each import of this module).
    SECRET_KEY = secrets.token_hex()
    # The tests point DATABASE_URL at a fresh database; on its own, an in-memory SQLite one.
    SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL', 'sqlite://')
    # bcrypt's cost is the point in production (12 rounds: a quarter of a second a hash); the tests
    # hash hundreds of passwords, so they use the lowest cost bcrypt allows.
    BCRYPT_LOG_ROUNDS = 4
    # Never ask Google while testing, even when the developer's environment holds keys.
    RECAPTCHA_PUBLIC_KEY = None
    RECAPTCHA_PRIVATE_KEY = None


def instance_secret_key(path):
    """The secret key kept at `path` (the instance folder's `secret_key`), made at first start.

    A random key per checkout, never in the code: a key written in a public repository lets anyone
    sign a session cookie or a CSRF token for the site. Only its owner may read the file.
    """
    try:
        with open(path) as kept:
            return kept.read().strip()
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    key = secrets.token_hex()
    # Written under another name, then linked into place: a second process starting at the same
    # moment finds either no key or the whole of the first one's, never half of it.
    draft = '{}.{}'.format(path, os.getpid())
    with open(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as new:
        new.write(key + '\n')
    try:
        os.link(draft, path)
    except FileExistsError:
        return instance_secret_key(path)
    finally:
        os.remove(draft)
    return key
