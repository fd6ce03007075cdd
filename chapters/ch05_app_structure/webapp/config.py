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


class ProdConfig(Config):
    # No default: create_app refuses to start a production app without a secret key.
    SECRET_KEY = os.environ.get('SECRET_KEY')


class DevConfig(Config):
    DEBUG = True
    SECRET_KEY = os.environ.get('SECRET_KEY', 'dev-only-not-secret')


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = 'test-only-not-secret'
    # The tests point DATABASE_URL at a fresh database; on its own, an in-memory SQLite one.
    SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL', 'sqlite://')
