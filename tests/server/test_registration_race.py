"""Chapter 6 on: twenty people registering one new name at the same moment, on a real threaded server."""
import re
import threading

import pytest
import requests
from sqlalchemy import func, select

from workbook import live

pytestmark = pytest.mark.chapters(since=6)

RACERS = 20


@pytest.fixture
def served(make_app, sqlite_or_postgresql_url):
    """The chapter's app on a fresh SQLite file or PostgreSQL database, served by a threaded server."""
    app = make_app(sqlite_or_postgresql_url)
    # Twenty registrations from one client in a moment: above chapter 6's rate limits, which have
    # their own tests (test_rate_limits.py); here the race is the point.
    app.config.update({name: "1000 per minute" for name in app.config if name.endswith("_LIMIT_PER_CLIENT")
                       or name.endswith("_LIMIT_PER_ACCOUNT")})
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        db.create_all()
        from webapp.models import add_roles

        add_roles()  # as `flask db upgrade` leaves the database: create_all makes no rows
    with live.serving(app, quiet=True) as base:
        yield app, base


def users_named(app, name):
    from webapp.models import User

    db = app.extensions["sqlalchemy"]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User).filter_by(username=name))


def token(session, url):
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                     session.get(url, timeout=30).text).group(1)


def all_at_once(work):
    """Run work(n) for each racer in a thread of its own, all released together; their results."""
    start = threading.Barrier(RACERS)
    results = [None] * RACERS

    def racer(n):
        prepared = work(n)
        start.wait(timeout=60)
        results[n] = prepared()

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_concurrent_registrations_of_one_name_make_one_account(served):
    """Twenty registrations of one new name at once: one account, nineteen "already exists" forms, never a
    500."""
    app, base = served

    def register(n):
        session = requests.Session()
        csrf = token(session, base + "/register")
        data = {"csrf_token": csrf, "username": "samename", "password": "long enough",
                "confirm": "long enough"}
        return lambda: session.post(base + "/register", data=data, allow_redirects=False, timeout=60)

    answers = all_at_once(register)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * (RACERS - 1) + [302]
    assert all("User with that name already exists" in answer.text
               for answer in answers if answer.status_code == 200)
    assert users_named(app, "samename") == 1


def test_concurrent_user_view_creations_of_one_name_make_one_account(served):
    """Twenty admin POSTs to /user of one new name at once: one 201, nineteen 409s with the reason."""
    app, base = served
    from webapp.models import Role, User

    db = app.extensions["sqlalchemy"]
    with app.app_context():
        admin = User("root")
        admin.set_password("long enough")
        admin.roles.append(db.session.scalars(select(Role).filter_by(name="admin")).one())
        db.session.add(admin)
        db.session.commit()
    signed_in = requests.Session()
    signed_in.post(base + "/login", allow_redirects=False, timeout=30, data={
        "csrf_token": token(signed_in, base + "/login"), "username": "root", "password": "long enough"})

    def create(n):
        session = requests.Session()
        session.cookies.update(signed_in.cookies)
        return lambda: session.post(base + "/user", json={"username": "samename"}, timeout=60)

    answers = all_at_once(create)
    assert sorted(answer.status_code for answer in answers) == [201] + [409] * (RACERS - 1)
    assert all(answer.json() == {"error": "User with that name already exists"}
               for answer in answers if answer.status_code == 409)
    assert users_named(app, "samename") == 1
