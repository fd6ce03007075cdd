import os
import secrets

from celery.schedules import crontab

# Flask's instance folder for this package (instance/ beside webapp/): the embedded broker's and
# results' SQLite files live there, beside the blog's database.
INSTANCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'instance')
# A broker and a result store that need no server: kombu's SQLAlchemy transport and Celery's database
# backend, each one SQLite file. Real queues, real worker processes; fine for one machine.
EMBEDDED_BROKER = 'sqla+sqlite:///' + os.path.join(INSTANCE, 'celery-broker.sqlite')
EMBEDDED_RESULTS = 'db+sqlite:///' + os.path.join(INSTANCE, 'celery-results.sqlite')


# How often beat's `send_due_reminders` queues the reminders due and not sent (the outbox's sweeper,
# webapp/tasks.py): a reminder the broker never got is mailed at most this late.
REMINDER_SWEEP_SECONDS = float(os.environ.get('REMINDER_SWEEP_SECONDS', 60))


def celery_settings(broker, results):
    """Celery's settings, lowercase, under the one CELERY key (Flask's docs, "Background Tasks with
    Celery"). CELERY_BROKER_URL, CELERY_RESULT_BACKEND and CELERY_TASK_DEFAULT_QUEUE in the
    environment take precedence."""
    return {
        'broker_url': os.environ.get('CELERY_BROKER_URL', broker),
        'result_backend': os.environ.get('CELERY_RESULT_BACKEND', results),
        # Where tasks wait: name a queue per app when several apps share one broker.
        'task_default_queue': os.environ.get('CELERY_TASK_DEFAULT_QUEUE', 'celery'),
        'include': ['webapp.tasks'],
        'task_ignore_result': False,
        # A task reports STARTED when a worker begins it (Celery reports only PENDING until done
        # otherwise).
        'task_track_started': True,
        # A task's message is acknowledged when the task has finished, not when a worker took it:
        # a worker killed half-way (SIGKILL, a power cut) leaves it on the broker for the next one.
        # reject_on_worker_lost does the same when only the worker's pool process dies.
        'task_acks_late': True,
        'task_reject_on_worker_lost': True,
        # Each worker process takes one message at a time; the others stay for other workers.
        'worker_prefetch_multiplier': 1,
        'broker_connection_retry_on_startup': True,
        # Redis (the results) down or hung: a task's state is not written, after 5 s, rather than a
        # worker waiting for good (what a lost write costs a reminder: webapp/tasks.py).
        'redis_socket_timeout': 5.0,
        'redis_socket_connect_timeout': 5.0,
        'timezone': 'UTC',
        # Beat's own state (when each entry last ran), beside the databases, not in the current folder.
        'beat_schedule_filename': os.path.join(INSTANCE, 'celerybeat-schedule'),
        'beat_schedule': {
            # The book's crontab(day_of_week=6, hour=10) left out the minute, whose default is every
            # minute: sixty digests each Saturday from 10:00. minute=0: one, at 10:00 UTC.
            'weekly-digest': {
                'task': 'webapp.tasks.digest',
                'schedule': crontab(day_of_week=6, hour=10, minute=0),
            },
            # The reminders' outbox: due and unsent ones are queued again (webapp/tasks.py). A sweep
            # not run by the next one is dropped, not piled up while no worker runs.
            'send-due-reminders': {
                'task': 'webapp.tasks.send_due_reminders',
                'schedule': REMINDER_SWEEP_SECONDS,
                'options': {'expires': REMINDER_SWEEP_SECONDS},
            },
        },
    }


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

    # The REST API (chapter 8): how long a token from POST /api/auth stays good, in seconds.
    API_TOKEN_MAX_AGE = int(os.environ.get('API_TOKEN_MAX_AGE', 600))
    # Flask-RESTX: a 404 from /api/... does not suggest other URLs; errors are JSON {"message": …}.
    RESTX_ERROR_404_HELP = False
    RESTX_MASK_SWAGGER = False
    SWAGGER_UI_DOC_EXPANSION = 'list'  # Swagger UI opens with every operation listed

    # Chapter 9: Celery on the embedded broker (no server needed); production uses RabbitMQ and Redis.
    CELERY = celery_settings(EMBEDDED_BROKER, EMBEDDED_RESULTS)
    # How long `remind` (and the digest) waits before trying again when the mail server or the
    # database does not answer, doubled at each of the five retries (the book: 300 s, five times).
    REMINDER_RETRY_DELAY = float(os.environ.get('REMINDER_RETRY_DELAY', 300))
    # The reminders' outbox (webapp/tasks.py). How long saving a reminder waits for the broker to
    # take its task (then it is left to the sweeper):
    REMINDER_QUEUE_TIMEOUT = float(os.environ.get('REMINDER_QUEUE_TIMEOUT', 1))
    # How often the sweeper runs (beat's `send-due-reminders`, above):
    REMINDER_SWEEP_SECONDS = REMINDER_SWEEP_SECONDS
    # How long a worker mailing a reminder keeps it from the others (longer than a mail takes):
    REMINDER_CLAIM_SECONDS = float(os.environ.get('REMINDER_CLAIM_SECONDS', 300))
    # How long the sweeper waits before queueing a reminder again that it queued already:
    REMINDER_REQUEUE_SECONDS = float(os.environ.get('REMINDER_REQUEUE_SECONDS', 600))
    # The mail server the tasks send through, with smtplib (chapter 10 puts Flask-Mail in front of
    # it; the names are Flask-Mail's).
    MAIL_SERVER = os.environ.get('MAIL_SERVER', '127.0.0.1')
    MAIL_PORT = int(os.environ.get('MAIL_PORT', 25))
    MAIL_USE_TLS = os.environ.get('MAIL_USE_TLS', '') == '1'
    MAIL_USERNAME = os.environ.get('MAIL_USERNAME')
    MAIL_PASSWORD = os.environ.get('MAIL_PASSWORD')
    MAIL_DEFAULT_SENDER = os.environ.get('MAIL_DEFAULT_SENDER', 'blog@localhost')
    MAIL_TIMEOUT = 10  # seconds; a mail server that does not answer is a retry, not a stuck worker
    # Who gets the weekly digest: addresses separated by commas.
    DIGEST_RECIPIENTS = [a.strip() for a in os.environ.get(
        'DIGEST_RECIPIENTS', 'readers@localhost').split(',') if a.strip()]


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
    # RabbitMQ carries the tasks, Redis keeps their results.
    CELERY = celery_settings('amqp://guest:guest@127.0.0.1:5672//', 'redis://127.0.0.1:6379/0')


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
    # Tasks go nowhere unless a test names a broker (its worker's): kombu's in-process transport.
    CELERY = celery_settings('memory://', 'cache+memory://')


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
