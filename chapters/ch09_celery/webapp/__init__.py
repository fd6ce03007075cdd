import datetime
import os

import click
from flask import Flask, redirect, url_for
from flask.cli import with_appcontext
from flask_login import current_user
from flask_principal import RoleNeed, UserNeed, identity_loaded
from flask_wtf.csrf import generate_csrf
from sqlalchemy import inspect, select

from webapp.config import instance_secret_key
from webapp.controllers.blog import blog_blueprint
from webapp.controllers.main import main_blueprint
from webapp.controllers.rest import rest_blueprint
from webapp.converters import IdConverter, TextConverter
from webapp.demo import seed
from webapp.extensions import (bcrypt, bootstrap, celery_init_app, ckeditor, limiter, login_manager,
                               migrate, oauth, principals)
from webapp.models import (USERNAME, USERNAME_RULE, Anonymous, Comment, Post, Reminder, Role, Tag,
                           User, as_utc, db, user_named)

# The book's WEBAPP_ENV: which configuration `flask --app webapp ...` uses.
ENVIRONMENTS = {
    'dev': 'webapp.config.DevConfig',
    'prod': 'webapp.config.ProdConfig',
    'test': 'webapp.config.TestConfig',
}


def config_from_environment():
    env = os.environ.get('WEBAPP_ENV', 'dev')
    if env not in ENVIRONMENTS:
        raise SystemExit(
            "WEBAPP_ENV={!r} is not an environment: use one of {}".format(
                env, ', '.join(ENVIRONMENTS))
        )
    return ENVIRONMENTS[env]


# Google's reCAPTCHA, when configured, loads its script and its frame from these places.
RECAPTCHA_SOURCES = 'https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/'


def content_security_policy(config):
    """What the pages may load: only this site's own files (Bootstrap is served locally, and no
    template has an inline script or style), no plugins, and no other site may frame them."""
    policy = [
        "default-src 'self'",
        # Bootstrap's CSS draws some icons (checkboxes, selects) from data: URLs.
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    if config.get('RECAPTCHA_PUBLIC_KEY'):
        policy += ["script-src 'self' " + RECAPTCHA_SOURCES, "frame-src " + RECAPTCHA_SOURCES]
    return '; '.join(policy)


def create_app(object_name=None):
    """Build the app from a config object or its import path (default: the one WEBAPP_ENV names).

    `flask --app webapp ...` calls create_app() with no argument.
    """
    app = Flask(__name__)
    app.config.from_object(object_name or config_from_environment())
    if not app.config.get('SECRET_KEY') and app.config.get('SECRET_KEY_FILE'):
        # Development: the key made at first start and kept in the instance folder.
        app.config['SECRET_KEY'] = instance_secret_key(
            os.path.join(app.instance_path, app.config['SECRET_KEY_FILE']))
    if not app.config.get('SECRET_KEY'):
        raise SystemExit(
            'no SECRET_KEY: set the SECRET_KEY environment variable to start with this configuration'
        )

    db.init_app(app)
    migrate.init_app(app, db)
    bootstrap.init_app(app)
    ckeditor.init_app(app)
    bcrypt.init_app(app)
    login_manager.init_app(app)
    login_manager.anonymous_user = Anonymous
    limiter.init_app(app)
    principals.init_app(app)
    oauth.init_app(app)
    # The embedded broker's SQLite files live in the instance folder: it must exist.
    os.makedirs(app.instance_path, exist_ok=True)
    celery_init_app(app)

    csp = content_security_policy(app.config)

    @app.after_request
    def security_headers(response):
        # Every answer, pages, errors and static files alike (not in the book; see the README).
        response.headers.setdefault('Content-Security-Policy', csp)
        response.headers.setdefault('X-Content-Type-Options', 'nosniff')
        response.headers.setdefault('X-Frame-Options', 'DENY')  # frame-ancestors, for old browsers
        response.headers.setdefault('Referrer-Policy', 'strict-origin-when-cross-origin')
        if app.config.get('STRICT_TRANSPORT_SECURITY'):
            response.headers.setdefault('Strict-Transport-Security',
                                        app.config['STRICT_TRANSPORT_SECURITY'])
        return response

    # The logout button is a one-field form in the navigation bar of every page: its token.
    app.jinja_env.globals['csrf_token'] = generate_csrf

    @identity_loaded.connect_via(app)
    def on_identity_loaded(sender, identity):
        # Set the identity user object
        identity.user = current_user

        # Add the UserNeed to the identity
        if hasattr(current_user, 'id'):
            identity.provides.add(UserNeed(current_user.id))

        # Add each role to the identity
        if hasattr(current_user, 'roles'):
            for role in current_user.roles:
                identity.provides.add(RoleNeed(role.name))

    # What a part of a URL may be (webapp/converters.py), before the blueprints add their routes.
    app.url_map.converters.update(int=IdConverter, string=TextConverter, default=TextConverter)

    @app.route('/')
    def index():
        return redirect(url_for('blog.home'))

    app.register_blueprint(main_blueprint)
    app.register_blueprint(blog_blueprint)
    app.register_blueprint(rest_blueprint)

    # What the book's manage.py did: a shell with the models, and (new) demo data.
    @app.shell_context_processor
    def make_shell_context():
        return dict(app=app, db=db, User=User, Post=Post, Tag=Tag, Comment=Comment, Role=Role,
                    Reminder=Reminder)

    app.cli.add_command(seed)
    app.cli.add_command(add_user)
    app.cli.add_command(add_role)
    app.cli.add_command(add_reminder)

    return app


def require_tables():
    if not inspect(db.engine).has_table('user'):
        raise click.ClickException('the database has no tables yet: run `flask db upgrade` first')


@click.command('add-user')
@with_appcontext
@click.argument('username')
@click.password_option(help='Asked for when not given (typed twice, not shown).')
def add_user(username, password):
    """Create USERNAME with a password, as /register does: `flask add-user alice`."""
    require_tables()
    if not USERNAME.match(username):  # the registration form's rules, name and password
        raise click.ClickException(USERNAME_RULE)
    if user_named(username) is not None:
        raise click.ClickException('{!r} already exists'.format(username))
    if len(password) < 8:
        raise click.ClickException('a password needs at least 8 characters')
    user = User(username)
    try:
        user.set_password(password)
    except ValueError:
        raise click.ClickException("a password can be at most 72 bytes (bcrypt's limit)")
    db.session.add(user)
    db.session.commit()
    click.echo('{} can now log in; roles: default'.format(username))


@click.command('add-role')
@with_appcontext
@click.argument('username')
@click.argument('role', type=click.Choice(['admin', 'poster', 'default']))
def add_role(username, role):
    """Give USERNAME the ROLE: `flask add-role alice poster` lets alice write posts."""
    require_tables()
    user = user_named(username)
    if user is None:
        raise click.ClickException('no user named {!r}: `flask add-user {}` creates one'.format(
            username, username))
    if not user.has_role(role):
        user.roles.append(db.session.scalars(select(Role).filter_by(name=role)).one())
        db.session.commit()
    click.echo('{} has the roles: {}'.format(user.username, ', '.join(sorted(r.name for r in user.roles))))


@click.command('add-reminder')
@with_appcontext
@click.argument('email')
@click.argument('when')
@click.argument('text')
def add_reminder(email, when, text):
    """Mail TEXT to EMAIL at WHEN (ISO 8601, local time unless it names a zone; "now" for at once):
    `flask add-reminder ada@example.com "2026-12-24 09:00" "Buy a tree"`. A worker sends it.

    Says whether the reminder was saved; saved, it is mailed at its time even if the broker does not
    take its task now (the sweeper queues it then)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        require_tables()
    except SQLAlchemyError as error:
        raise click.ClickException('not saved: the database did not answer ({})'.format(
            str(error).splitlines()[0]))
    try:
        date = datetime.datetime.now() if when == 'now' else datetime.datetime.fromisoformat(when)
    except ValueError:
        raise click.ClickException('not saved: {!r} is not a date and time like "2026-12-24 09:00"'
                                   .format(when))
    try:
        reminder = Reminder(email=email, text=text, date=as_utc(date))
    except ValueError as error:
        raise click.ClickException('not saved: {}'.format(error))
    db.session.add(reminder)
    try:
        db.session.commit()  # and its task is queued (webapp/models.py)
    except SQLAlchemyError as error:
        db.session.rollback()
        raise click.ClickException('not saved: the database did not answer ({})'.format(
            str(error).splitlines()[0]))
    saved = 'reminder {} for {} at {} UTC'.format(reminder.id, reminder.email,
                                                  reminder.date.isoformat(' ', 'minutes'))
    not_queued = db.session.info.pop('reminders_not_queued', {}).get(reminder.id)
    if not_queued is not None:
        click.echo('{}: saved; the broker did not take its task now ({}), so the sweeper queues it '
                   'when it is due'.format(saved, type(not_queued).__name__))
    else:
        click.echo('{}: a worker sends it then'.format(saved))
