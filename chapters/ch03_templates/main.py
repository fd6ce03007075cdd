import datetime
import os
import random

import click
from flask import Flask, abort, flash, redirect, render_template, url_for
from flask_bootstrap import Bootstrap5
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import configure_mappers, joinedload, selectinload
from werkzeug.routing import IntegerConverter, UnicodeConverter
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from config import DevConfig, instance_secret_key

app = Flask(__name__)
app.config.from_object(DevConfig)
if not app.config['SECRET_KEY']:
    app.config['SECRET_KEY'] = instance_secret_key(
        os.path.join(app.instance_path, app.config['SECRET_KEY_FILE']))


# What a part of a URL may be: `<int:post_id>`, `<int:page>`, `<string:tag_name>` use these.
class IdConverter(IntegerConverter):
    """`<int:...>` in a URL, at most 2**31 - 1: the largest value of an integer column on PostgreSQL
    and MySQL. A larger id names no row (404), where the query would fail with a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault('max', 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class TextConverter(UnicodeConverter):
    """`<string:...>` (and a part with no converter named): any text but a NUL character (`%00`),
    which PostgreSQL refuses in text, even in a WHERE clause. A URL holding one is a bad request."""

    def to_python(self, value):
        if '\x00' in value:
            abort(400)
        return value


app.url_map.converters.update(int=IdConverter, string=TextConverter, default=TextConverter)

db = SQLAlchemy(app)
migrate = Migrate(app, db)
bootstrap = Bootstrap5(app)

# Many-to-many: a post has many tags and a tag many posts, joined through this table.
tags = db.Table(
    'post_tags',
    db.Column('post_id', db.Integer, db.ForeignKey('post.id')),
    db.Column('tag_id', db.Integer, db.ForeignKey('tag.id'))
)


class User(db.Model):
    id = db.Column(db.Integer(), primary_key=True)
    username = db.Column(db.String(255))
    password = db.Column(db.String(255))
    posts = db.relationship(
        'Post',
        backref='user',
        lazy='dynamic'
    )

    def __init__(self, username):
        self.username = username

    def __repr__(self):
        return "<User '{}'>".format(self.username)


class Post(db.Model):
    id = db.Column(db.Integer(), primary_key=True)
    title = db.Column(db.String(255))
    text = db.Column(db.Text())
    publish_date = db.Column(db.DateTime())
    comments = db.relationship(
        'Comment',
        backref='post',
        lazy='dynamic'
    )
    user_id = db.Column(db.Integer(), db.ForeignKey('user.id'))
    tags = db.relationship(
        'Tag',
        secondary=tags,
        backref=db.backref('posts', lazy='dynamic')
    )

    def __init__(self, title):
        self.title = title

    def __repr__(self):
        return "<Post '{}'>".format(self.title)


class Comment(db.Model):
    id = db.Column(db.Integer(), primary_key=True)
    name = db.Column(db.String(255))
    text = db.Column(db.Text())
    date = db.Column(db.DateTime())
    post_id = db.Column(db.Integer(), db.ForeignKey('post.id'))

    def __repr__(self):
        return "<Comment '{}'>".format(self.text[:15])


class Tag(db.Model):
    id = db.Column(db.Integer(), primary_key=True)
    title = db.Column(db.String(255))

    def __init__(self, title):
        self.title = title

    def __repr__(self):
        return "<Tag '{}'>".format(self.title)


def no_nul_character(form, field):
    # PostgreSQL refuses text holding a NUL character: a form error, not a database error.
    if isinstance(field.data, str) and '\x00' in field.data:
        raise ValidationError('This field cannot hold a NUL character.')


class BlogForm(FlaskForm):
    """The blog's forms: every field also refuses a NUL character, after its own validators."""

    def validate(self, extra_validators=None):
        extra = dict(extra_validators or {})
        for name in self._fields:
            extra[name] = [*extra.get(name, ()), no_nul_character]
        return super().validate(extra)


class CommentForm(BlogForm):
    name = StringField(
        'Name',
        validators=[DataRequired(), Length(max=255)]
    )
    # A comment is short: a sensible limit, said in a form error (the column itself is unbounded).
    text = TextAreaField(u'Comment', validators=[DataRequired(), Length(max=10000)])


# A list of posts shows each post's author and tags. Loading them with the posts (one JOIN for the
# author, one extra SELECT ... IN for all the tags) keeps a page at a fixed number of queries;
# left to lazy loading, every post on the page would cost its own queries (the "N+1" problem).
def with_author_and_tags():
    # `Post.user` is made by the backref on User.posts: make sure the backrefs are set up.
    configure_mappers()
    return (joinedload(Post.user), selectinload(Post.tags))


NEWEST_FIRST = (Post.publish_date.desc(), Post.id.desc())


def sidebar_data():
    recent = db.session.scalars(
        select(Post).order_by(*NEWEST_FIRST).limit(5)
    ).all()
    # The five tags carried by the most posts, most used first (ties in the order of their titles).
    total = func.count(tags.c.post_id).label('total')
    top_tags = db.session.execute(
        select(Tag, total).join(tags).group_by(Tag).order_by(total.desc(), Tag.title).limit(5)
    ).all()

    return recent, top_tags


@app.route('/')
@app.route('/<int:page>')
def home(page=1):
    posts = db.paginate(
        select(Post).options(*with_author_and_tags()).order_by(*NEWEST_FIRST),
        page=page,
        per_page=10
    )
    recent, top_tags = sidebar_data()

    return render_template(
        'home.html',
        posts=posts,
        recent=recent,
        top_tags=top_tags
    )


@app.route('/post/<int:post_id>', methods=('GET', 'POST'))
def post(post_id):
    post = db.get_or_404(Post, post_id, options=with_author_and_tags())
    form = CommentForm()
    if form.validate_on_submit():
        new_comment = Comment()
        new_comment.name = form.name.data
        new_comment.text = form.text.data
        new_comment.post_id = post.id
        new_comment.date = datetime.datetime.now()

        db.session.add(new_comment)
        db.session.commit()
        flash('Thank you: your comment is posted.')
        # Redirect after POST: reloading the page does not post the comment twice.
        return redirect(url_for('post', post_id=post.id, _anchor='comments'))

    comments = db.session.scalars(
        select(Comment).filter_by(post_id=post.id).order_by(Comment.date.desc(), Comment.id.desc())
    ).all()
    recent, top_tags = sidebar_data()

    return render_template(
        'post.html',
        post=post,
        comments=comments,
        recent=recent,
        top_tags=top_tags,
        form=form
    )


@app.route('/tag/<string:tag_name>')
def tag(tag_name):
    tag = db.first_or_404(select(Tag).filter_by(title=tag_name))
    posts = db.session.scalars(
        select(Post)
        .join(Post.tags)
        .where(Tag.id == tag.id)
        .options(*with_author_and_tags())
        .order_by(*NEWEST_FIRST)
    ).all()
    recent, top_tags = sidebar_data()

    return render_template(
        'tag.html',
        tag=tag,
        posts=posts,
        recent=recent,
        top_tags=top_tags
    )


@app.route('/user/<string:username>')
def user(username):
    user = db.first_or_404(select(User).filter_by(username=username))
    posts = db.session.scalars(
        select(Post)
        .filter_by(user_id=user.id)
        .options(*with_author_and_tags())
        .order_by(*NEWEST_FIRST)
    ).all()
    recent, top_tags = sidebar_data()

    return render_template(
        'user.html',
        user=user,
        posts=posts,
        recent=recent,
        top_tags=top_tags
    )


@app.shell_context_processor
def make_shell_context():
    return dict(app=app, db=db, User=User, Post=Post, Tag=Tag, Comment=Comment)


# ---------------------------------------------------------------- demo data (not in the book)

WORDS = (
    'flask blueprint template jinja macro view model query session commit migration '
    'request response route form field validator token sidebar page post comment tag '
    'user database index column relationship engine server browser style layout'
).split()
NAMES = 'ada grace linus guido barbara ken dennis margaret alan donald'.split()
FIRST_DATE = datetime.datetime(2015, 1, 1, 9, 0)


def sentence(rng, words):
    return ' '.join(rng.choice(WORDS) for _ in range(words)).capitalize() + '.'


def add_demo_data(users=5, posts=100, tag_count=10, comments=3, seed=0, progress=None):
    """Add users, tags, posts (a publish date each, one to three tags) and comments."""
    rng = random.Random(seed)
    start = db.session.scalar(select(func.count(User.id)))
    people = [User('{}{}'.format(NAMES[n % len(NAMES)], start + n)) for n in range(users)]
    labels = [Tag(word) for word in rng.sample(WORDS, min(tag_count, len(WORDS)))]
    db.session.add_all(people + labels)
    done = 0
    for n in range(posts):
        new_post = Post(sentence(rng, rng.randint(3, 7)).rstrip('.'))
        new_post.text = '\n\n'.join(sentence(rng, rng.randint(8, 20)) for _ in range(3))
        new_post.publish_date = FIRST_DATE + datetime.timedelta(hours=7 * n)
        new_post.user = rng.choice(people)
        new_post.tags = rng.sample(labels, min(len(labels), rng.randint(1, 3)))
        for k in range(rng.randint(0, comments)):
            new_post.comments.append(Comment(
                name=rng.choice(NAMES), text=sentence(rng, rng.randint(4, 12)),
                date=new_post.publish_date + datetime.timedelta(minutes=30 * (k + 1)),
            ))
        db.session.add(new_post)
        done += 1
        if done % 100 == 0 or done == posts:
            db.session.commit()
            if progress is not None:
                progress(done)
    db.session.commit()


@app.cli.command('seed')
@click.option('--users', default=5, show_default=True, help='How many users to add.')
@click.option('--posts', default=100, show_default=True, help='How many posts to add.')
@click.option('--tags', 'tag_count', default=10, show_default=True, help='How many tags to add.')
@click.option('--comments', default=3, show_default=True, help='At most this many comments a post.')
@click.option('--random-seed', default=0, show_default=True, help='Same seed, same demo data.')
def seed(users, posts, tag_count, comments, random_seed):
    """Fill the database with demo users, posts, tags and comments."""
    if not inspect(db.engine).has_table('post'):
        raise click.ClickException('the database has no tables yet: run `flask db upgrade` first')

    def progress(done):
        click.echo('  {:>{width}} of {} posts'.format(done, posts, width=len(str(posts))))

    click.echo('Adding {} users, {} tags and {} posts...'.format(users, tag_count, posts))
    add_demo_data(users, posts, tag_count, comments, random_seed, progress)
    click.echo('Done.')


if __name__ == '__main__':
    app.run()
