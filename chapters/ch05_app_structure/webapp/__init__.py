import os

from flask import Flask, redirect, url_for
from flask_bootstrap import Bootstrap5
from flask_migrate import Migrate

from webapp.config import instance_secret_key
from webapp.controllers.blog import blog_blueprint
from webapp.controllers.main import main_blueprint
from webapp.converters import IdConverter, TextConverter
from webapp.demo import seed
from webapp.models import Comment, Post, Tag, User, db

migrate = Migrate()
bootstrap = Bootstrap5()

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
        return dict(app=app, db=db, User=User, Post=Post, Tag=Tag, Comment=Comment)

    app.cli.add_command(seed)

    return app
