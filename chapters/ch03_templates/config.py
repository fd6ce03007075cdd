import os
import secrets


class Config(object):
    # Bootstrap's CSS and JS come from the Bootstrap-Flask package itself, not from a CDN:
    # the pages render offline.
    BOOTSTRAP_SERVE_LOCAL = True
    # The largest request body the app reads (413 beyond it): a form of the blog is far smaller.
    MAX_CONTENT_LENGTH = 1024 * 1024


class ProdConfig(Config):
    SECRET_KEY = os.environ.get('SECRET_KEY')


class DevConfig(Config):
    DEBUG = True
    # Flask-WTF signs its CSRF tokens with the secret key: SECRET_KEY from the environment, else
    # (main.py) a random one made at first start and kept in the instance folder.
    SECRET_KEY = os.environ.get('SECRET_KEY')
    SECRET_KEY_FILE = 'secret_key'
    # The book hard-codes "YOUR URI". Reading it from the environment lets one checkout talk to
    # SQLite, PostgreSQL or MySQL without an edit. A relative SQLite path lands in instance/.
    SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL', 'sqlite:///database.db')


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
