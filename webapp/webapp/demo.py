"""Demo data for the blog, and `flask seed`, which adds it; demo accounts for each role, and
`flask demo-accounts`, which makes them (not in the book)."""
import datetime
import random
import secrets

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, inspect, select

from webapp.models import Comment, Post, Role, Tag, User, add_roles, db, user_named

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


@click.command('seed')
@with_appcontext
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


# One account for each role, so that a newcomer can try what each may do.
DEMO_ACCOUNTS = {
    'admin': ('admin', 'poster', 'default'),
    'poster': ('poster', 'default'),
    'reader': ('default',),
}


def reset_demo_accounts():
    """Create or reset the demo accounts, each with exactly its roles and a new random password;
    returns {username: password}. Whoever was signed in as one of them is signed out."""
    add_roles()  # there after `flask db upgrade`; a database made by db.create_all() has none
    passwords = {}
    for username, names in DEMO_ACCOUNTS.items():
        user = user_named(username)
        if user is None:
            user = User(username)
            db.session.add(user)
        user.roles = list(db.session.scalars(select(Role).filter(Role.name.in_(names))))
        passwords[username] = secrets.token_urlsafe(12)
        user.set_password(passwords[username])
    db.session.commit()
    return passwords


@click.command('demo-accounts')
@with_appcontext
def demo_accounts():
    """Create or reset the accounts admin, poster and reader with new random passwords, and print
    them (development only: refused under the production configuration)."""
    if not current_app.config.get('DEMO_ACCOUNTS'):
        raise click.ClickException('demo accounts are for development only, not under this '
                                   'configuration (WEBAPP_ENV=dev makes them)')
    if not inspect(db.engine).has_table('user'):
        raise click.ClickException('the database has no tables yet: run `flask db upgrade` first')
    click.echo('demo accounts (development only; new passwords at every reset):')
    for username, password in reset_demo_accounts().items():
        click.echo('  {:<7} {}  roles: {}'.format(username, password, ', '.join(DEMO_ACCOUNTS[username])))
