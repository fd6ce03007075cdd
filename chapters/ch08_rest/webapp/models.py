import functools
import re
import secrets

from flask import current_app
from flask_login import AnonymousUserMixin, UserMixin
from flask_sqlalchemy import SQLAlchemy
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import validates

from webapp.extensions import bcrypt
from webapp.sanitize import clean_post_text

db = SQLAlchemy()

# bcrypt hashes at most 72 bytes of a password; the forms refuse longer ones with this message.
BCRYPT_MAX_BYTES = 72


def new_session_token():
    """A random value that goes into the id Flask-Login keeps in the session (see User.get_id)."""
    return secrets.token_urlsafe(24)


# Which usernames there may be (checked where users are made: registration, social login, the /user
# view): 1 to 40 ASCII letters, digits, "_", "." and "-", starting with a letter or a digit. A name is
# part of its profile's URL, /blog/user/<name>: no "/", no spaces, no "..", nothing that looks like
# another name in another alphabet. Names are one name whatever their case (see user_named).
USERNAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,39}\Z')
USERNAME_RULE = ('A username is 1 to 40 letters (a-z, A-Z), digits, "_", "." or "-", '
                 'starting with a letter or a digit.')
USERNAME_TAKEN = 'User with that name already exists'

# The book's three roles. The migration that makes the role table adds them; a database made by
# db.create_all() has none until they are added (add_roles(), or as the book's tests do), and a new
# user makes `default` if it is missing (User.__init__).
ROLES = {
    'admin': 'Can edit any post',
    'poster': 'Can write posts',
    'default': 'Every user',
}

roles = db.Table(
    'role_users',
    db.Column('user_id', db.Integer, db.ForeignKey('user.id')),
    db.Column('role_id', db.Integer, db.ForeignKey('role.id'))
)

# Many-to-many: a post has many tags and a tag many posts, joined through this table.
# Indexed both ways (migration 0005), so neither a post's tags nor a tag's posts need the whole table.
# The first index holds both columns: a post's tags are read from the index alone.
tags = db.Table(
    'post_tags',
    db.Column('post_id', db.Integer, db.ForeignKey('post.id')),
    db.Column('tag_id', db.Integer, db.ForeignKey('tag.id'), index=True),
    db.Index('ix_post_tags_post_id_tag_id', 'post_id', 'tag_id')
)


# The book wrote is_authenticated(), is_active(), is_anonymous() and get_id() by hand; Flask-Login's
# UserMixin provides them, and since Flask-Login 0.3 the first three are properties, not methods.
class User(UserMixin, db.Model):
    id = db.Column(db.Integer(), primary_key=True)
    username = db.Column(db.String(255), unique=True)
    # A bcrypt hash, never the password. None for a user who signs in only through a social login.
    password = db.Column(db.String(255))
    # "<provider>:<the provider's id for the user>" for a user made by a social login (not in the
    # book, which matched social users by display name: anyone naming themselves "admin" on
    # Facebook would have signed in as the site's admin).
    social_id = db.Column(db.String(255), unique=True)
    # Changed on logout and with the password: the session and remember-me cookies made before
    # then name the old one, and sign nobody in any more (see get_id and the user_loader).
    session_token = db.Column(db.String(64), nullable=False, default=new_session_token)
    posts = db.relationship(
        'Post',
        backref='user',
        lazy='dynamic'
    )
    roles = db.relationship(
        'Role',
        secondary=roles
    )

    def __init__(self, username=None, **kwargs):
        super().__init__(username=username, **kwargs)
        # Every new user gets the default role (the book's Role.query.filter_by(...).one()), made
        # if the database has none yet (one made by db.create_all(), before anyone added the roles).
        self.roles.append(default_role())

    def __repr__(self):
        return "<User '{}'>".format(self.username)

    def get_id(self):
        # Flask-Login's "alternative id": what the session and the remember-me cookie keep. With
        # UserMixin's plain id, a copied cookie would sign its holder in for ever.
        return '{}:{}'.format(self.id, self.session_token)

    def sign_out_everywhere(self):
        """Make every session and remember-me cookie of this user worthless (on every device)."""
        self.session_token = new_session_token()

    def set_password(self, password):
        # bcrypt 5 refuses more than 72 bytes rather than silently using the first 72.
        self.password = bcrypt.generate_password_hash(password).decode('utf-8')
        # Whoever signed in with the old password (or stole a cookie) is signed out.
        self.sign_out_everywhere()

    def check_password(self, password):
        if not self.password or len(password.encode('utf-8')) > BCRYPT_MAX_BYTES:
            # Nothing can match, but answering at once would tell a stranger that this account
            # exists (and has no password): spend the same bcrypt check as a wrong password.
            spend_a_password_check()
            return False
        return bcrypt.check_password_hash(self.password, password)

    def has_role(self, name):
        return any(role.name == name for role in self.roles)

    # The book's API tokens came from itsdangerous's TimedJSONWebSignatureSerializer, removed in
    # itsdangerous 2.1. URLSafeTimedSerializer signs the user's id with the app's secret key and a
    # time; the age is checked when the token comes back (API_TOKEN_MAX_AGE, the book's 600 s).
    @staticmethod
    def token_serializer():
        return URLSafeTimedSerializer(current_app.config['SECRET_KEY'], salt='api-token')

    def generate_auth_token(self):
        # With the session token (chapter 6): logging out everywhere or a new password ends it too.
        return self.token_serializer().dumps({'id': self.id, 'session': self.session_token})

    @staticmethod
    def verify_auth_token(token):
        """The user a token names, or None: tampered, expired, or the user is gone."""
        try:
            data = User.token_serializer().loads(
                token, max_age=current_app.config['API_TOKEN_MAX_AGE'])
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        if not isinstance(data, dict) or not isinstance(data.get('id'), int):
            return None
        user = db.session.get(User, data['id'])
        return user if user is not None and user.session_token == data.get('session') else None


def user_named(username):
    """The user called `username`, whatever its case: `alice`, `Alice` and `ALICE` are one name.

    The name keeps the case it was registered with. An exact match comes first (a database from
    before this rule may hold two names that differ only in case).
    """
    return db.session.scalars(
        select(User)
        .filter(func.lower(User.username) == username.lower())
        .order_by(User.username != username)
    ).first()


@functools.lru_cache
def stand_in_hash(rounds):
    # A bcrypt hash of a random string, made once per cost: nothing anyone types can match it.
    return bcrypt.generate_password_hash(secrets.token_hex(16), rounds).decode('utf-8')


def spend_a_password_check():
    """One bcrypt check at the app's cost, against the stand-in hash: what a login costs when there
    is no password to check (an unknown username, an account without one), so that the response time
    does not tell it from a wrong password."""
    rounds = current_app.config.get('BCRYPT_LOG_ROUNDS', 12)
    bcrypt.check_password_hash(stand_in_hash(rounds), 'not the password')


class Anonymous(AnonymousUserMixin):
    """Who `current_user` is before signing in: no name, no roles."""
    username = None
    roles = ()

    def has_role(self, name):
        return False


class Role(db.Model):
    id = db.Column(db.Integer(), primary_key=True)
    name = db.Column(db.String(80), unique=True)
    description = db.Column(db.String(255))
    # The book's backref, read-only here: a new user holds the (saved) default role from the start;
    # with a two-way link, SQLAlchemy would also try to put that still unsaved user in the role's list.
    users = db.relationship(
        'User',
        secondary=roles,
        lazy='dynamic',
        viewonly=True
    )

    def __init__(self, name, description=None):
        self.name = name
        self.description = description

    def __repr__(self):
        return "<Role '{}'>".format(self.name)


def default_role():
    """The `default` role: the one in the database, else the one made for an earlier new user of
    this session (not saved yet: two users made before a commit share it), else a new one, saved
    with the user."""
    made = db.session.info.get('default_role_made')
    if made is not None and not (inspect(made).detached or inspect(made).deleted):
        return made
    with db.session.no_autoflush:
        default = db.session.scalars(select(Role).filter_by(name='default')).first()
    if default is None:
        default = db.session.info['default_role_made'] = Role('default', ROLES['default'])
    return default


def add_roles():
    """Add the book's three roles that the database lacks, and commit: what `flask db upgrade` does
    (migration 0003), for a database made by db.create_all(), which makes tables and no rows."""
    have = set(db.session.scalars(select(Role.name)))
    db.session.add_all(Role(name, description) for name, description in ROLES.items()
                       if name not in have)
    db.session.commit()


class Post(db.Model):
    # The pages list posts newest first: with this index the database reads the first ten (or the
    # sidebar's five) in order and stops, instead of sorting every post for each page.
    __table_args__ = (db.Index('ix_post_publish_date_id', 'publish_date', 'id'),)

    id = db.Column(db.Integer(), primary_key=True)
    title = db.Column(db.String(255))
    text = db.Column(db.Text())
    publish_date = db.Column(db.DateTime())
    comments = db.relationship(
        'Comment',
        backref='post',
        lazy='dynamic'
    )
    # A user's page finds the user's posts through this index (migration 0005).
    user_id = db.Column(db.Integer(), db.ForeignKey('user.id'), index=True)
    tags = db.relationship(
        'Tag',
        secondary=tags,
        backref=db.backref('posts', lazy='dynamic')
    )

    def __init__(self, title):
        self.title = title

    def __repr__(self):
        return "<Post '{}'>".format(self.title)

    @validates('text')
    def clean_text(self, key, text):
        # HTML keeps only what the blog may show (webapp/sanitize.py), whoever writes it.
        return clean_post_text(text)


class Comment(db.Model):
    id = db.Column(db.Integer(), primary_key=True)
    name = db.Column(db.String(255))
    text = db.Column(db.Text())
    date = db.Column(db.DateTime())
    # A post's page finds its comments through this index (migration 0005).
    post_id = db.Column(db.Integer(), db.ForeignKey('post.id'), index=True)

    def __repr__(self):
        return "<Comment '{}'>".format(self.text[:15])


class Tag(db.Model):
    id = db.Column(db.Integer(), primary_key=True)
    title = db.Column(db.String(255))

    def __init__(self, title):
        self.title = title

    def __repr__(self):
        return "<Tag '{}'>".format(self.title)
