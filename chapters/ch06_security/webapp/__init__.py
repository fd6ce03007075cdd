import os

import click
from flask import Flask, redirect, url_for
from flask.cli import with_appcontext
from flask_login import current_user
from flask_principal import RoleNeed, UserNeed, identity_loaded
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from webapp.controllers.blog import blog_blueprint
from webapp.controllers.main import main_blueprint
from webapp.converters import IdConverter, TextConverter
from webapp.demo import seed
from webapp.extensions import bcrypt, bootstrap, login_manager, migrate, oauth, principals
from webapp.models import Anonymous, Comment, Post, Role, Tag, User, db

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


def create_app(object_name=None):
    """Build the app from a config object or its import path (default: the one WEBAPP_ENV names).

    `flask --app webapp ...` calls create_app() with no argument.
    """
    app = Flask(__name__)
    app.config.from_object(object_name or config_from_environment())
    if not app.config.get('SECRET_KEY'):
        raise SystemExit(
            'no SECRET_KEY: set the SECRET_KEY environment variable to start with this configuration'
        )

    db.init_app(app)
    migrate.init_app(app, db)
    bootstrap.init_app(app)
    bcrypt.init_app(app)
    login_manager.init_app(app)
    login_manager.anonymous_user = Anonymous
    principals.init_app(app)
    oauth.init_app(app)

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

    # What the book's manage.py did: a shell with the models, and (new) demo data.
    @app.shell_context_processor
    def make_shell_context():
        return dict(app=app, db=db, User=User, Post=Post, Tag=Tag, Comment=Comment, Role=Role)

    app.cli.add_command(seed)
    app.cli.add_command(add_role)

    return app


@click.command('add-role')
@with_appcontext
@click.argument('username')
@click.argument('role', type=click.Choice(['admin', 'poster', 'default']))
def add_role(username, role):
    """Give USERNAME the ROLE: `flask add-role alice poster` lets alice write posts."""
    user = db.session.scalars(select(User).filter_by(username=username)).first()
    if user is None:
        raise click.ClickException('no user named {!r}'.format(username))
    if not user.has_role(role):
        user.roles.append(db.session.scalars(select(Role).filter_by(name=role)).one())
        db.session.commit()
    click.echo('{} has the roles: {}'.format(username, ', '.join(sorted(r.name for r in user.roles))))
