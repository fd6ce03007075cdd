"""The book's data model (chapter 2): users, posts, comments and tags, and every CRUD query it shows.

The book wrote `Model.query…`; these use SQLAlchemy 2's `select()` through `db.session`, as the
workbook's snapshots and notebooks do.
"""
import datetime
import importlib

import pytest
from sqlalchemy import not_, or_, select, update

pytestmark = pytest.mark.chapters(since=2)


@pytest.fixture
def users(db, models):
    """Three users, created and committed the book's way."""
    made = [models.User(username=name) for name in ("fake_name", "alice", "bob")]
    made[0].password = "test"
    db.session.add_all(made)
    db.session.commit()
    return made


def test_user_is_created_and_read_back(db, models):
    """A user added to the session and committed can be read back, with the book's repr."""
    db.session.add(models.User(username="fake_name"))
    db.session.commit()
    users = db.session.scalars(select(models.User)).all()
    assert [repr(user) for user in users] == ["<User 'fake_name'>"]


def test_all_limit_order_first_and_get_read_what_the_book_says(db, models, users):
    """all, limit, order_by ascending and descending, first and get by id return what the book says."""
    User = models.User
    assert len(db.session.scalars(select(User)).all()) == 3
    assert len(db.session.scalars(select(User).limit(2)).all()) == 2
    ascending = db.session.scalars(select(User).order_by(User.username)).all()
    assert [u.username for u in ascending] == ["alice", "bob", "fake_name"]
    descending = db.session.scalars(select(User).order_by(User.username.desc())).all()
    assert [u.username for u in descending] == ["fake_name", "bob", "alice"]
    assert db.session.scalars(select(User).order_by(User.id)).first().username == "fake_name"
    assert db.session.get(User, users[1].id).username == "alice"
    assert db.session.get(User, 999) is None


def test_paginate_splits_posts_into_pages_of_ten(db, models):
    """db.paginate splits 25 posts into pages of 10: 3 pages, the last holding 5."""
    db.session.add_all(models.Post(title=f"post {n}") for n in range(25))
    db.session.commit()
    first = db.paginate(select(models.Post).order_by(models.Post.id), page=1, per_page=10)
    assert (first.total, first.pages, len(first.items)) == (25, 3, 10)
    assert first.has_next and not first.has_prev
    last = db.paginate(select(models.Post).order_by(models.Post.id), page=3, per_page=10)
    assert [p.title for p in last.items] == [f"post {n}" for n in range(20, 25)]


def test_filters_select_the_rows_the_book_says(db, models, users):
    """filter_by, filter with >, in_, == None, not_ and or_ select the rows the book says."""
    User = models.User
    by_name = db.session.scalars(select(User).filter_by(username="fake_name")).all()
    assert [u.username for u in by_name] == ["fake_name"]
    later = db.session.scalars(select(User).filter(User.id > users[0].id)).all()
    assert {u.username for u in later} == {"alice", "bob"}
    no_password = db.session.scalars(
        select(User).filter(User.username.in_(["fake_name", "alice"]), User.password == None)  # noqa: E711
    ).all()
    assert [u.username for u in no_password] == ["alice"]
    with_password = db.session.scalars(select(User).filter(not_(User.password == None))).all()  # noqa: E711
    assert [u.username for u in with_password] == ["fake_name"]
    either = db.session.scalars(
        select(User).filter(or_(not_(User.password == None), User.username == "bob"))  # noqa: E711
    ).all()
    assert {u.username for u in either} == {"fake_name", "bob"}


def test_bulk_update_changes_rows_and_delete_removes_them(db, models, users):
    """A bulk update changes the matching rows; a deleted user is gone after commit."""
    User = models.User
    db.session.execute(update(User).where(User.username == "alice").values(password="secret"))
    db.session.commit()
    assert db.session.scalars(select(User.password).filter_by(username="alice")).one() == "secret"
    db.session.delete(db.session.scalars(select(User).filter_by(username="bob")).one())
    db.session.commit()
    assert {u.username for u in db.session.scalars(select(User))} == {"fake_name", "alice"}


def test_a_post_given_a_user_is_among_their_posts(db, models):
    """A post given a user appears in user.posts, and post.user points back (backref)."""
    user = models.User(username="author")
    post = models.Post(title="First post")
    post.user = user
    post.publish_date = datetime.datetime(2015, 9, 30)
    comment = models.Comment(name="reader", text="A comment that is long enough", post=post)
    db.session.add_all([user, post, comment])
    db.session.commit()
    assert user.posts.all() == [post], \
        f"after post.user = user, user.posts should list the post; it lists {user.posts.all()}"
    assert post.user_id == user.id, "after post.user = user, post.user_id should be the user's id"
    assert post.comments.all() == [comment]
    assert repr(comment) == "<Comment 'A comment that '>"
    assert repr(post) == "<Post 'First post'>"


def test_a_tag_lists_its_posts_and_a_post_its_tags(db, models):
    """A tag on two posts lists both, and each post lists its tags (through post_tags)."""
    python, flask = models.Tag("Python"), models.Tag("Flask")
    one, two = models.Post("one"), models.Post("two")
    one.tags = [python, flask]
    two.tags.append(python)
    db.session.add_all([one, two])
    db.session.commit()
    assert {p.title for p in python.posts} == {"one", "two"}
    assert flask.posts.all() == [one]
    assert repr(python) == "<Tag 'Python'>"
    table = models.tags.name
    assert table == "post_tags", f"the posts' tags are stored in {table}; the book's table is post_tags"
    linked = db.session.execute(select(db.metadata.tables["post_tags"])).all()
    assert len(linked) == 3


def test_one_row_is_one_object_in_a_session(db, models, users):
    """Two loads of the same row in one session give the very same object."""
    User = models.User
    by_id = db.session.get(User, users[0].id)
    by_name = db.session.scalars(select(User).filter_by(username="fake_name")).one()
    assert by_id is by_name
    by_id.password = "changed"
    assert by_name.password == "changed"


def test_rollback_discards_uncommitted_changes(db, models, users):
    """The session is a transaction: a rollback undoes what was not committed."""
    db.session.add(models.User(username="ghost"))
    db.session.rollback()
    names = {u.username for u in db.session.scalars(select(models.User))}
    assert "ghost" not in names


def test_models_round_trip_on_every_database(make_app, any_database_url, chapter):
    """Users, posts, comments and tags are stored and read back the same on SQLite, PostgreSQL and MariaDB."""
    app = make_app(any_database_url)
    db = app.extensions["sqlalchemy"]
    models = importlib.import_module(chapter.models)
    with app.app_context():
        db.create_all()
        try:
            user = models.User(username="ünïcode")
            post = models.Post("Hello")
            post.user, post.text = user, "x" * 10_000
            post.tags = [models.Tag("t1"), models.Tag("t2")]
            post.comments.append(models.Comment(name="n", text="c"))
            db.session.add(post)
            db.session.commit()
            db.session.expunge_all()
            again = db.session.scalars(select(models.Post)).one()
            assert again.user.username == "ünïcode"
            assert len(again.text) == 10_000
            assert sorted(t.title for t in again.tags) == ["t1", "t2"]
            assert [c.text for c in again.comments] == ["c"]
        finally:
            db.session.remove()
            db.drop_all()
