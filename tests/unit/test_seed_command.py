"""`flask seed` fills the database with demo users, posts, tags and comments (chapter 3 on)."""
import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.chapters(since=3)


def test_seed_adds_dated_tagged_posts_with_progress(runner, db, models):
    """`flask seed --posts 150` adds users, tags and 150 dated, tagged posts, reporting its progress."""
    result = runner.invoke(args=["seed", "--users", "3", "--posts", "150", "--tags", "4"])
    assert result.exit_code == 0, result.output
    assert "100 of 150 posts" in result.output and "150 of 150 posts" in result.output
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert (count(models.User), count(models.Tag), count(models.Post)) == (3, 4, 150)
    posts = db.session.scalars(select(models.Post)).all()
    assert all(post.user and post.tags and post.publish_date for post in posts)
    assert count(models.Comment) > 0


def test_seed_twice_adds_new_users(runner, db, models):
    """Seeding again adds more users with names of their own."""
    for _ in range(2):
        assert runner.invoke(args=["seed", "--users", "2", "--posts", "1"]).exit_code == 0
    names = db.session.scalars(select(models.User.username)).all()
    assert len(names) == len(set(names)) == 4


def test_seed_without_tables_says_what_to_do(make_app, tmp_path):
    """On a database with no tables, `flask seed` stops and says to run `flask db upgrade` first."""
    app = make_app(f"sqlite:///{tmp_path / 'empty.db'}")
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code != 0
    assert "run `flask db upgrade` first" in result.output
