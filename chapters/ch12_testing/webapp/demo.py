"""Demo data for the blog, and `flask seed`, which adds it (not in the book)."""
import datetime
import random

import click
from flask.cli import with_appcontext
from sqlalchemy import func, inspect, select

from webapp.models import Comment, Post, Tag, User, db

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
