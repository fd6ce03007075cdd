"""Chapter 6's accounts: bcrypt-hashed passwords, roles, the default role, `flask add-role`."""
import pytest
from sqlalchemy import select

pytestmark = pytest.mark.chapters(since=6)


def test_password_is_stored_as_a_bcrypt_hash(db, models):
    """set_password stores a bcrypt hash, never the password; check_password tells right from wrong."""
    user = models.User("ada")
    user.set_password("analytical engine")
    db.session.add(user)
    db.session.commit()
    stored = db.session.scalar(select(models.User.password).filter_by(username="ada"))
    assert stored.startswith("$2b$") and len(stored) == 60
    assert "analytical engine" not in stored
    assert user.check_password("analytical engine")
    assert not user.check_password("Analytical engine")
    assert not user.check_password("")


def test_same_password_hashes_differently(db, models):
    """Two users with the same password get different hashes (bcrypt salts each one)."""
    first, second = models.User("a"), models.User("b")
    first.set_password("same password")
    second.set_password("same password")
    assert first.password != second.password


def test_long_password_is_refused_not_truncated(db, models):
    """A password over bcrypt's 72 bytes is refused by set_password and never matches a stored one."""
    user = models.User("long")
    with pytest.raises(ValueError):
        user.set_password("x" * 73)
    user.set_password("x" * 72)
    assert user.check_password("x" * 72)
    assert not user.check_password("x" * 72 + "y")  # bcrypt alone would have said yes


def test_user_without_password_cannot_log_in_with_one(db, models):
    """A user made by a social login has no password: no password matches it."""
    user = models.User("social")
    assert user.password is None
    assert not user.check_password("anything")


def test_new_user_gets_the_default_role(db, models):
    """Every new user holds the `default` role from the moment it is made."""
    user = models.User("newcomer")
    assert [role.name for role in user.roles] == ["default"]
    db.session.add(user)
    db.session.commit()
    default = db.session.scalars(select(models.Role).filter_by(name="default")).one()
    assert [u.username for u in default.users] == ["newcomer"]
    assert repr(default) == "<Role 'default'>"


def test_a_prepared_database_holds_the_three_roles(db, models):
    """A database as `flask db upgrade` leaves it (the suites' own, made by create_all and then
    add_roles()) holds the book's roles: admin, poster and default."""
    names = db.session.scalars(select(models.Role.name).order_by(models.Role.name)).all()
    assert names == ["admin", "default", "poster"]


@pytest.fixture
def bare_database(make_app, tmp_path, models):
    """The chapter's app on a database made by db.create_all() alone, inside an app context."""
    app = make_app(f"sqlite:///{tmp_path / 'bare.db'}")
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        db.create_all()
        yield db


def role_names(db, models):
    return db.session.scalars(select(models.Role.name).order_by(models.Role.name)).all()


def test_create_all_makes_tables_and_no_roles_so_a_test_adds_them(bare_database, models):
    """db.create_all() makes the tables and no rows, so a test adds the roles itself, as the book's
    tests and run_test_server.py do (Role("default"), Role("poster"), then User("test")): the new
    user gets the `default` role the test made."""
    db = bare_database
    assert role_names(db, models) == []
    db.session.add_all([models.Role("default"), models.Role("poster")])
    db.session.commit()
    user = models.User("test")
    user.roles.append(db.session.scalars(select(models.Role).filter_by(name="poster")).one())
    db.session.add(user)
    db.session.commit()
    assert sorted(role.name for role in user.roles) == ["default", "poster"]
    assert role_names(db, models) == ["default", "poster"]


def test_a_first_user_makes_the_default_role_and_add_roles_the_rest(bare_database, models):
    """On a database without roles the first users make `default` once (two users in one commit
    share it); add_roles() then adds the roles still missing, as the migration would, once."""
    db = bare_database
    db.session.add_all([models.User("ann"), models.User("bob")])
    db.session.commit()
    assert role_names(db, models) == ["default"]
    models.add_roles()
    models.add_roles()
    assert role_names(db, models) == ["admin", "default", "poster"]
    assert all([role.name for role in user.roles] == ["default"]
               for user in db.session.scalars(select(models.User)))


def test_usernames_are_unique(db, models):
    """Two users cannot share a username (the database refuses the second)."""
    import sqlalchemy.exc

    db.session.add_all([models.User("twin"), models.User("twin")])
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        db.session.commit()


def test_a_user_is_authenticated_active_and_not_anonymous(db, models):
    """A user is authenticated, active and not anonymous (properties, as in today's Flask-Login); their id
    for Flask-Login carries their session token."""
    user = models.User("ada")
    db.session.add(user)
    db.session.commit()
    assert user.is_authenticated is True and user.is_active is True and user.is_anonymous is False
    assert user.get_id() == f"{user.id}:{user.session_token}"


def test_user_loader_finds_the_user_by_id(app, db, models):
    """Flask-Login's user_loader turns the id kept in the session back into the user, or None."""
    user = models.User("ada")
    db.session.add(user)
    db.session.commit()
    loader = app.login_manager._user_callback
    assert loader(user.get_id()) == user
    # An id without the user's current session token (an old cookie) is nobody; so is nonsense.
    for stale in (str(user.id), f"{user.id}:old", f"{user.id}:", "999", f"999:{user.session_token}",
                  "", "x:y", "²:y"):
        assert loader(stale) is None, stale


def test_strangers_are_sent_to_login_with_the_books_message(app):
    """Flask-Login sends strangers to main.login with the book's message, and guards sessions strongly."""
    manager = app.login_manager
    assert manager.login_view == "main.login"
    assert manager.session_protection == "strong"
    assert (manager.login_message, manager.login_message_category) == (
        "Please login to access this page", "info")


def test_add_role_gives_a_user_a_role(db, models, runner):
    """`flask add-role NAME ROLE` gives a user a role; an unknown user or role is an error."""
    db.session.add(models.User("ada"))
    db.session.commit()
    result = runner.invoke(args=["add-role", "ada", "poster"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ada has the roles: default, poster"
    again = runner.invoke(args=["add-role", "ada", "poster"])
    assert again.output.strip() == "ada has the roles: default, poster"
    missing = runner.invoke(args=["add-role", "nobody", "poster"])
    assert missing.exit_code != 0 and "no user named 'nobody'" in missing.output
    assert runner.invoke(args=["add-role", "ada", "king"]).exit_code != 0


def test_add_user_creates_an_account_that_can_log_in(db, models, runner):
    """`flask add-user NAME` asks for a password twice and creates a user with the default role."""
    result = runner.invoke(args=["add-user", "alice"], input="long enough\nlong enough\n")
    assert result.exit_code == 0, result.output
    alice = db.session.scalars(select(models.User).filter_by(username="alice")).one()
    assert alice.check_password("long enough") and [r.name for r in alice.roles] == ["default"]
    assert runner.invoke(args=["add-role", "alice", "poster"]).exit_code == 0


@pytest.mark.parametrize("password, error", [
    ("short", "a password needs at least 8 characters"),
    ("x" * 73, "a password can be at most 72 bytes (bcrypt's limit)"),
], ids=["too short", "over 72 bytes"])
def test_add_user_refuses_a_password_the_register_form_refuses(db, models, runner, password, error):
    """`flask add-user` refuses a password /register would refuse, in one line, and creates nobody."""
    result = runner.invoke(args=["add-user", "alice", "--password", password])
    assert result.exit_code == 1 and result.output.strip().endswith(f"Error: {error}")
    assert db.session.scalars(select(models.User)).first() is None


def test_add_user_refuses_a_taken_or_bad_name(db, models, runner):
    """`flask add-user` refuses a name taken in any case, or one the username rule refuses, in one line."""
    db.session.add(models.User("alice"))
    db.session.commit()
    result = runner.invoke(args=["add-user", "ALICE", "--password", "long enough"])
    assert result.exit_code == 1 and "'ALICE' already exists" in result.output
    result = runner.invoke(args=["add-user", "bob/../x", "--password", "long enough"])
    assert result.exit_code == 1 and result.output.startswith("Error: A username is 1 to 40")
    assert db.session.scalars(select(models.User)).all() == [db.session.get(models.User, 1)]


@pytest.mark.parametrize("command", [["add-user", "alice", "--password", "long enough"],
                                     ["add-role", "alice", "poster"]])
def test_account_commands_without_tables_say_what_to_do(make_app, tmp_path, command):
    """On a database with no tables, `flask add-user` and `flask add-role` say in one line to run
    `flask db upgrade` first (no traceback)."""
    app = make_app(f"sqlite:///{tmp_path / 'empty.db'}")
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1
    assert result.output == "Error: the database has no tables yet: run `flask db upgrade` first\n"


def test_shell_context_holds_role(app):
    """`flask shell` also has Role at hand."""
    with app.app_context():
        context = app.make_shell_context()
    assert context["Role"].__name__ == "Role"
