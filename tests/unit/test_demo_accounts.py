"""The finished app's demo accounts (not in the book): `flask demo-accounts` makes one account for
each role with a new random password, on a developer's machine only."""
import re

import pytest
from flask.cli import FlaskGroup

pytestmark = pytest.mark.chapters(since="webapp")

ROLES = {"admin": {"admin", "poster", "default"}, "poster": {"poster", "default"}, "reader": {"default"}}


def printed_passwords(output: str) -> dict[str, str]:
    """{username: password} from the command's lines "  admin   <password>  roles: …"."""
    return dict(re.findall(r"^  (\w+) +(\S+)  roles: ", output, re.MULTILINE))


def demo_accounts(app):
    return app.test_cli_runner().invoke(FlaskGroup(), ["demo-accounts"])


def test_demo_accounts_sign_in_with_the_printed_passwords_and_hold_their_roles(app, db, models):
    """`flask demo-accounts` prints admin, poster and reader with a password each that signs them
    in; each holds exactly its role (admin: admin, poster and default)."""
    result = demo_accounts(app)
    assert result.exit_code == 0, result.output
    passwords = printed_passwords(result.output)
    assert passwords.keys() == ROLES.keys()
    assert len(set(passwords.values())) == 3 and all(len(p) >= 12 for p in passwords.values())
    for username, password in passwords.items():
        user = models.user_named(username)
        assert user.check_password(password)
        assert {role.name for role in user.roles} == ROLES[username]


def test_running_it_again_gives_new_passwords_and_resets_the_roles(app, db, models):
    """Run again, the command gives each account a new password (the old one no longer signs in) and
    takes back a role given since (reader made a poster is a reader again)."""
    first = printed_passwords(demo_accounts(app).output)
    reader = models.user_named("reader")
    reader.roles.append(db.session.scalars(db.select(models.Role).filter_by(name="poster")).one())
    db.session.commit()

    again = demo_accounts(app)
    assert again.exit_code == 0, again.output
    second = printed_passwords(again.output)
    db.session.expire_all()
    for username in ROLES:
        user = models.user_named(username)
        assert second[username] != first[username]
        assert not user.check_password(first[username]) and user.check_password(second[username])
    assert {role.name for role in models.user_named("reader").roles} == {"default"}
    assert db.session.scalar(db.select(db.func.count()).select_from(models.User)) == 3


def test_the_production_configuration_refuses_demo_accounts(make_app, database_url, monkeypatch, models):
    """Under the production configuration `flask demo-accounts` is refused in one line, and no
    account is made."""
    monkeypatch.setenv("SECRET_KEY", "a production secret")
    app = make_app(database_url, "ProdConfig")
    with app.app_context():
        app.extensions["sqlalchemy"].create_all()
    result = demo_accounts(app)
    assert result.exit_code == 1
    assert result.output == ("Error: demo accounts are for development only, not under this "
                             "configuration (WEBAPP_ENV=dev makes them)\n")
    with app.app_context():
        assert models.user_named("admin") is None
