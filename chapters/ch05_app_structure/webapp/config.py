import os
import secrets


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
