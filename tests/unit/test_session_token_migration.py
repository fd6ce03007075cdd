"""Migration 0004 (chapter 6 on) gives every user who was already there a session token of their own,
on SQLite, PostgreSQL and MariaDB."""
import flask_migrate
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.chapters(since=6)


def test_upgrade_gives_existing_users_tokens_of_their_own(make_app, any_database_url, chapter_code):
    """Users made before 0004 each get a different session token, and can sign in after it."""
    app = make_app(any_database_url)
    directory = str(chapter_code / "migrations")
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        flask_migrate.upgrade(directory=directory, revision="0003")
        user = sa.table("user", sa.column("username"), sa.column("session_token"))
        db.session.execute(user.insert(), [{"username": "ann"}, {"username": "bob"}])
        db.session.commit()
        flask_migrate.upgrade(directory=directory, revision="0004")
        tokens = db.session.execute(sa.select(user.c.session_token)).scalars().all()
        db.session.remove()
        assert len(tokens) == 2 and all(tokens) and tokens[0] != tokens[1]
        # The column is required from now on.
        column = next(c for c in sa.inspect(db.engine).get_columns("user") if c["name"] == "session_token")
        assert column["nullable"] is False
        flask_migrate.downgrade(directory=directory, revision="base")
