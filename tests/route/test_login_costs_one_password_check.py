"""Chapter 6 on: every login attempt costs one bcrypt check of the same cost, so timing tells no username."""
import importlib

import pytest

pytestmark = pytest.mark.chapters(since=6)


@pytest.fixture
def checks(app, monkeypatch):
    """Every bcrypt check and hash the app makes, as (operation, the hash's cost) pairs."""
    bcrypt = importlib.import_module("webapp.extensions").bcrypt
    made = []
    check, generate = bcrypt.check_password_hash, bcrypt.generate_password_hash

    def counted_check(pw_hash, password):
        stored = pw_hash.decode() if isinstance(pw_hash, bytes) else pw_hash
        made.append(("check", stored.split("$")[2]))
        return check(pw_hash, password)

    def counted_generate(password, rounds=None):
        made.append(("hash", rounds))
        return generate(password, rounds)

    monkeypatch.setattr(bcrypt, "check_password_hash", counted_check)
    monkeypatch.setattr(bcrypt, "generate_password_hash", counted_generate)
    return made


@pytest.fixture
def accounts(db, models, auth):
    auth.user("ada")
    social = models.User("social")  # a social login's user: no password
    db.session.add(social)
    db.session.commit()


ATTEMPTS = {
    "unknown user": ("nobody", "correct horse battery"),
    "password over 72 bytes": ("ada", "x" * 100),
    "account with no password": ("social", "correct horse battery"),
    "wrong password": ("ada", "not the password"),
    "right password": ("ada", "correct horse battery"),
}


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_each_login_attempt_costs_one_bcrypt_check(client, app, auth, accounts, checks, attempt):
    """A login (unknown user, too long a password, no password, wrong or right) costs one bcrypt check at
    the app's cost, no hashing."""
    username, password = ATTEMPTS[attempt]
    auth.login("nobody", password="warm up")  # the first check of a process may make its stand-in hash
    cost = "{:02d}".format(app.config["BCRYPT_LOG_ROUNDS"])
    for _ in range(2):
        client.delete_cookie("session")  # a new visitor each time
        checks.clear()
        auth.login(username, password=password)
        assert checks == [("check", cost)], attempt

