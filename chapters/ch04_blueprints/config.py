import os


class Config(object):
    # Bootstrap's CSS and JS come from the Bootstrap-Flask package itself, not from a CDN:
    # the pages render offline.
    BOOTSTRAP_SERVE_LOCAL = True
    # The largest request body the app reads (413 beyond it): a form of the blog is far smaller.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Test a pooled connection before using it: after the database restarts, the first request
    # gets a fresh connection instead of an error.
    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True}


class ProdConfig(Config):
    SECRET_KEY = os.environ.get('SECRET_KEY')


class DevConfig(Config):
    DEBUG = True
    # Flask-WTF signs its CSRF tokens with the secret key. A fixed key is fine on a laptop only;
    # set SECRET_KEY in the environment anywhere else.
    SECRET_KEY = os.environ.get('SECRET_KEY', 'dev-only-not-secret')
    # The book hard-codes "YOUR URI". Reading it from the environment lets one checkout talk to
    # SQLite, PostgreSQL or MySQL without an edit. A relative SQLite path lands in instance/.
    SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL', 'sqlite:///database.db')
