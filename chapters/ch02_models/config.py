import os


class Config(object):
    pass


class ProdConfig(Config):
    pass


class DevConfig(Config):
    DEBUG = True
    # The book hard-codes "YOUR URI". Reading it from the environment lets one checkout talk to
    # SQLite, PostgreSQL or MySQL without an edit. A relative SQLite path lands in instance/.
    SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL', 'sqlite:///database.db')
