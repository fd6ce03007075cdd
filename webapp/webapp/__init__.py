import os

from flask import Flask, redirect, url_for
from flask_login import current_user
from flask_principal import RoleNeed, UserNeed, identity_loaded
from flask_wtf.csrf import generate_csrf

from webapp.caching import SharedPages
from webapp.commands import add_reminder, add_role, add_user, clean, hello
from webapp.config import instance_secret_key
from webapp.controllers.admin import AdminHome
from webapp.controllers.blog import blog_blueprint
from webapp.controllers.main import main_blueprint
from webapp.controllers.rest import rest_blueprint
from webapp.converters import IdConverter, TextConverter
from webapp.demo import demo_accounts, seed
from webapp.links import Links
from webapp.extensions import (admin, assets_init_app, bcrypt, bootstrap, cache, celery_init_app,
                               ckeditor, debug_toolbar, limiter, login_manager, mail, migrate, oauth,
                               principals)
from webapp.models import Anonymous, Comment, Post, Reminder, Role, Tag, User, db

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
    template has an inline script or style), no plugins, and no other site may frame them. In
    development, with the debug toolbar, inline scripts and styles too."""
    policy = [
        "default-src 'self'",
        # Bootstrap's CSS draws some icons (checkboxes, selects) from data: URLs.
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    scripts = []
    if config.get('RECAPTCHA_PUBLIC_KEY'):
        scripts.append(RECAPTCHA_SOURCES)
        policy.append("frame-src " + RECAPTCHA_SOURCES)
    if config.get('DEBUG_TB_ENABLED'):
        # Development only: the debug toolbar writes inline scripts and styles into every page.
        scripts.append("'unsafe-inline'")
        policy.append("style-src 'self' 'unsafe-inline'")
    if scripts:
        policy.append(' '.join(["script-src 'self'"] + scripts))
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
    bcrypt.init_app(app)
    login_manager.init_app(app)
    login_manager.anonymous_user = Anonymous
    limiter.init_app(app)
    principals.init_app(app)
    cache.init_app(app)
    # Pages the same for every anonymous visitor go out from the cache before Flask runs (caching.py).
    app.wsgi_app = SharedPages(app, app.wsgi_app)
    oauth.init_app(app)
    mail.init_app(app)
    debug_toolbar.init_app(app)
    assets_init_app(app)
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
    # url_for's links, built once (webapp/links.py): every page's navigation bar, the blog's lists.
    Links(app)

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
    # The admin's views (controllers/admin.py), its home page for admins only like the rest.
    admin.init_app(app, index_view=AdminHome())
    ckeditor.init_app(app)

    # What the book's manage.py did: a shell with the models, and (new) demo data.
    @app.shell_context_processor
    def make_shell_context():
        return dict(app=app, db=db, User=User, Post=Post, Tag=Tag, Comment=Comment, Role=Role,
                    Reminder=Reminder)

    app.cli.add_command(seed)
    app.cli.add_command(add_user)
    app.cli.add_command(add_role)
    app.cli.add_command(add_reminder)
    app.cli.add_command(hello)
    app.cli.add_command(clean)
    app.cli.add_command(demo_accounts)

    return app

