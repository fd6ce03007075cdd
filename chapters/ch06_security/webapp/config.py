import os


class Config(object):
    # Bootstrap's CSS and JS come from the Bootstrap-Flask package itself, not from a CDN.
    BOOTSTRAP_SERVE_LOCAL = True
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


class DevConfig(Config):
    DEBUG = True
    SECRET_KEY = os.environ.get('SECRET_KEY', 'dev-only-not-secret')


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = 'test-only-not-secret'
    # The tests point DATABASE_URL at a fresh database; on its own, an in-memory SQLite one.
    SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL', 'sqlite://')
    # bcrypt's cost is the point in production (12 rounds: a quarter of a second a hash); the tests
    # hash hundreds of passwords, so they use the lowest cost bcrypt allows.
    BCRYPT_LOG_ROUNDS = 4
    # Never ask Google while testing, even when the developer's environment holds keys.
    RECAPTCHA_PUBLIC_KEY = None
    RECAPTCHA_PRIVATE_KEY = None
