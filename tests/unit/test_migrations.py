"""The chapter's Flask-Migrate scripts build the schema the models describe, on all three databases."""
import datetime
import importlib
import os
import subprocess

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

pytestmark = pytest.mark.chapters(since=2)


@pytest.fixture
def migrated(make_app, any_database_url, chapter_code):
    """The chapter's app on an empty database, with a function to run `flask db` steps on it."""
    import flask_migrate

    app = make_app(any_database_url)
    directory = str(chapter_code / "migrations")

    def step(command: str, revision: str):
        with app.app_context():
            getattr(flask_migrate, command)(directory=directory, revision=revision)

    yield app, step
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        db.session.remove()
        step("downgrade", "base")


def table_names(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(app.extensions["sqlalchemy"].engine).get_table_names())


def test_upgrade_builds_the_models_tables(migrated):
    """`flask db upgrade` creates every table of the models, and nothing else but alembic_version."""
    app, step = migrated
    step("upgrade", "head")
    expected = set(app.extensions["sqlalchemy"].metadata.tables) | {"alembic_version"}
    built = table_names(app)
    assert built == expected, "; ".join(
        [f"the migrations create {t}, which no model has" for t in sorted(built - expected)]
        + [f"the migrations do not create {t}, which the models have" for t in sorted(expected - built)])


def test_models_and_migrations_agree(migrated):
    """After upgrading, autogenerate finds nothing to add: the scripts match the models."""
    app, step = migrated
    step("upgrade", "head")
    db = app.extensions["sqlalchemy"]
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "autogenerate would still " + ", ".join(map(describe, differences))


def describe(difference) -> str:
    """One of autogenerate's differences in words: `add table post_tags`, `modify type user.username`."""
    if isinstance(difference, list):  # changes to one column come as a list of ("modify_…", …) tuples
        difference = difference[0]
    kind, *rest = difference
    words = kind.replace("_", " ")
    if kind in ("add_table", "remove_table"):
        return f"{words} {rest[0].name}"
    if kind in ("add_column", "remove_column"):
        return f"{words} {rest[1]}.{rest[2].name}"
    if kind.startswith("modify_"):
        return f"{words} {rest[1]}.{rest[2]}"
    return words


@pytest.mark.snapshot_convention(
    "the workbook's migrations put the users in a first revision of their own; "
    "the book's, and yours from `flask db migrate`, need not")
def test_downgrade_and_upgrade_keep_users(migrated):
    """Downgrading to the first revision and back keeps the users: only what was dropped is lost."""
    app, step = migrated
    step("upgrade", "head")
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        # A required column a later chapter adds (chapter 6's session token) gets a value too.
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("user")}
        row = {"username": "kept", **({"session_token": "kept"} if "session_token" in columns else {})}
        db.session.execute(sa.table("user", *map(sa.column, row)).insert().values(row))
        db.session.commit()
        db.session.remove()
    step("downgrade", "0001")
    assert "post" not in table_names(app)
    step("upgrade", "head")
    with app.app_context():
        user_table = db.engine.dialect.identifier_preparer.quote("user")
        names = db.session.execute(sa.text("SELECT username FROM " + user_table)).scalars().all()
        db.session.remove()
    assert names == ["kept"]
    assert "post" in table_names(app)


def test_flask_db_upgrade_creates_the_database(chapter, chapter_code, tmp_path):
    """`flask db upgrade`, typed in the chapter's folder, creates the database file it is pointed at."""
    database = tmp_path / "cli.db"
    result = subprocess.run(
        chapter.flask_command("db", "upgrade"),
        cwd=chapter_code, capture_output=True, text=True,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{database}", "WEBAPP_ENV": "dev"},
    )
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        assert "post_tags" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.mark.chapters(since=9)
def test_reminders_are_stored_after_upgrade(migrated, chapter):
    """After `flask db upgrade`, a reminder (longest address, long text, its date to the second) is stored
    and read back the same."""
    app, step = migrated
    step("upgrade", "head")
    models = importlib.import_module(chapter.models)
    # 254 characters, the longest there is
    address = "a" * 64 + "@" + ".".join(["b" * 62] + ["b" * 61] * 2) + ".cc"
    date = datetime.datetime(2030, 12, 24, 9, 0, 59)
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        db.session.add(models.Reminder(email=address, text="ü" * 10_000, date=date))
        db.session.commit()
        db.session.expunge_all()
        again = db.session.scalars(sa.select(models.Reminder)).one()
        assert (again.email, again.text, again.date) == (address, "ü" * 10_000, date)
        db.session.remove()
