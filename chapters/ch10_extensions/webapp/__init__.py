import os

from flask import Flask, redirect, url_for
from flask_principal import identity_loaded
from flask_wtf.csrf import generate_csrf

from webapp.assets import register_bundles
from webapp.commands import add_reminder, add_role, add_user, clean, hello
from webapp.config import instance_secret_key
from webapp.controllers.admin import register_admin
from webapp.controllers.blog import blog_blueprint
from webapp.controllers.main import main_blueprint
from webapp.controllers.rest import rest_blueprint
from webapp.converters import IdConverter, TextConverter
from webapp.demo import seed
from webapp.extensions import (assets_env, bcrypt, bootstrap, cache, celery_init_app, ckeditor,
                               debug_toolbar, limiter, login_manager, mail, migrate, oauth, principals)
from webapp.identity import load_user, on_identity_loaded
from webapp.models import Anonymous, Comment, Post, Reminder, Role, Tag, User, db
from webapp.security import add_security_headers

# The book's WEBAPP_ENV: which configuration `flask --app webapp ...` uses.
ENVIRONMENTS = {
    'dev': 'webapp.config.DevConfig',
    'prod': 'webapp.config.ProdConfig',
    'test': 'webapp.config.TestConfig',
}


def create_app(object_name=None):
    """Build the app from a config object or its import path (default: the one WEBAPP_ENV names).

    `flask --app webapp ...` calls create_app() with no argument. Each step is a function below.
    """
    app = Flask(__name__)
    configure(app, object_name)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_commands(app)
    register_shellcontext(app)
    return app


def config_from_environment():
    env = os.environ.get('WEBAPP_ENV', 'dev')
    if env not in ENVIRONMENTS:
        raise SystemExit(
            "WEBAPP_ENV={!r} is not an environment: use one of {}".format(
                env, ', '.join(ENVIRONMENTS))
        )
    return ENVIRONMENTS[env]


def configure(app, object_name):
    app.config.from_object(object_name or config_from_environment())
    if not app.config.get('SECRET_KEY') and app.config.get('SECRET_KEY_FILE'):
        # Development: the key made at first start and kept in the instance folder.
        app.config['SECRET_KEY'] = instance_secret_key(
            os.path.join(app.instance_path, app.config['SECRET_KEY_FILE']))
    if not app.config.get('SECRET_KEY'):
        raise SystemExit(
            'no SECRET_KEY: set the SECRET_KEY environment variable to start with this configuration'
        )


def register_extensions(app):
    """Bind each extension of webapp/extensions.py to the app."""
    db.init_app(app)
    migrate.init_app(app, db)
    bootstrap.init_app(app)
    bcrypt.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.anonymous_user = Anonymous
    limiter.init_app(app)
    principals.init_app(app)
    cache.init_app(app)
    oauth.init_app(app)
    mail.init_app(app)
    debug_toolbar.init_app(app)
    assets_env.init_app(app)
    register_bundles(app)  # main_css, main_js, built at start (webapp/assets.py)
    # The embedded broker's SQLite files live in the instance folder: it must exist.
    os.makedirs(app.instance_path, exist_ok=True)
    celery_init_app(app)
    ckeditor.init_app(app)


def register_security(app):
    """The security headers on every answer, the roles of whoever signs in, the logout form's token."""
    add_security_headers(app)  # webapp/security.py
    identity_loaded.connect_via(app)(on_identity_loaded)  # webapp/identity.py
    # The logout button is a one-field form in the navigation bar of every page: its token.
    app.jinja_env.globals['csrf_token'] = generate_csrf


def register_blueprints(app):
    # What a part of a URL may be (webapp/converters.py), before the blueprints add their routes.
    app.url_map.converters.update(int=IdConverter, string=TextConverter, default=TextConverter)

    @app.route('/')
    def index():
        return redirect(url_for('blog.home'))

    app.register_blueprint(main_blueprint)
    app.register_blueprint(blog_blueprint)
    app.register_blueprint(rest_blueprint)
    # The admin (controllers/admin.py): its home page and views, for admins only, new for each app.
    register_admin(app)


def register_commands(app):
    """Every `flask` command of the blog (webapp/commands.py), and (new) demo data."""
    app.cli.add_command(seed)
    app.cli.add_command(add_user)
    app.cli.add_command(add_role)
    app.cli.add_command(add_reminder)
    app.cli.add_command(hello)
    app.cli.add_command(clean)


def register_shellcontext(app):
    # What the book's manage.py did: a shell with the models.
    @app.shell_context_processor
    def make_shell_context():
        return dict(app=app, db=db, User=User, Post=Post, Tag=Tag, Comment=Comment, Role=Role,
                    Reminder=Reminder)
