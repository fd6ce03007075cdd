"""The `flask` commands of the blog (webapp/commands.py, as in cookiecutter-flask), registered in
`create_app`. The book's manage.py made them with Flask-Script; Flask's own CLI (Click) does it now.

Flask's CLI already has the book's other commands: `server` is `flask run`, `shell` is `flask shell`,
`show-urls` is `flask routes`.
"""
import datetime
import os
import shutil

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, select

from webapp.models import USERNAME, USERNAME_RULE, Reminder, Role, User, as_utc, db, user_named


@click.command('test')
def hello():
    """The book's first command: prints "Hello, World!"."""
    click.echo('Hello, World!')


@click.command('clean')
@click.argument('folder', required=False)
@with_appcontext
def clean(folder):
    """Remove compiled Python files (__pycache__ folders, *.pyc, *.pyo) under FOLDER (default: the
    project's folder, the one that holds webapp/), as Flask-Script's Clean did. Folders whose name
    starts with a dot (.venv, .git) are left alone."""
    folder = folder or os.path.dirname(current_app.root_path)
    if not os.path.isdir(folder):
        raise click.ClickException('{!r} is not a folder'.format(folder))
    removed = 0
    for path, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith('.')]
        for name in list(folders):
            if name == '__pycache__':
                shutil.rmtree(os.path.join(path, name))
                folders.remove(name)
                removed += 1
        for name in files:
            if name.endswith(('.pyc', '.pyo')):
                os.remove(os.path.join(path, name))
                removed += 1
    click.echo('removed {} compiled files and __pycache__ folders under {}'.format(removed, folder))


def require_tables():
    if not inspect(db.engine).has_table('user'):
        raise click.ClickException('the database has no tables yet: run `flask db upgrade` first')


@click.command('add-user')
@with_appcontext
@click.argument('username')
@click.password_option(help='Asked for when not given (typed twice, not shown).')
def add_user(username, password):
    """Create USERNAME with a password, as /register does: `flask add-user alice`."""
    require_tables()
    if not USERNAME.match(username):  # the registration form's rules, name and password
        raise click.ClickException(USERNAME_RULE)
    if user_named(username) is not None:
        raise click.ClickException('{!r} already exists'.format(username))
    if len(password) < 8:
        raise click.ClickException('a password needs at least 8 characters')
    user = User(username)
    try:
        user.set_password(password)
    except ValueError:
        raise click.ClickException("a password can be at most 72 bytes (bcrypt's limit)")
    db.session.add(user)
    db.session.commit()
    click.echo('{} can now log in; roles: default'.format(username))


@click.command('add-role')
@with_appcontext
@click.argument('username')
@click.argument('role', type=click.Choice(['admin', 'poster', 'default']))
def add_role(username, role):
    """Give USERNAME the ROLE: `flask add-role alice poster` lets alice write posts."""
    require_tables()
    user = user_named(username)
    if user is None:
        raise click.ClickException('no user named {!r}: `flask add-user {}` creates one'.format(
            username, username))
    if not user.has_role(role):
        user.roles.append(db.session.scalars(select(Role).filter_by(name=role)).one())
        db.session.commit()
    click.echo('{} has the roles: {}'.format(user.username, ', '.join(sorted(r.name for r in user.roles))))


@click.command('add-reminder')
@with_appcontext
@click.argument('email')
@click.argument('when')
@click.argument('text')
def add_reminder(email, when, text):
    """Mail TEXT to EMAIL at WHEN (ISO 8601, local time unless it names a zone; "now" for at once):
    `flask add-reminder ada@example.com "2026-12-24 09:00" "Buy a tree"`. A worker sends it.

    Says whether the reminder was saved; saved, it is mailed at its time even if the broker does not
    take its task now (the sweeper queues it then)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        require_tables()
    except SQLAlchemyError as error:
        raise click.ClickException('not saved: the database did not answer ({})'.format(
            str(error).splitlines()[0]))
    try:
        date = datetime.datetime.now() if when == 'now' else datetime.datetime.fromisoformat(when)
    except ValueError:
        raise click.ClickException('not saved: {!r} is not a date and time like "2026-12-24 09:00"'
                                   .format(when))
    try:
        reminder = Reminder(email=email, text=text, date=as_utc(date))
    except ValueError as error:
        raise click.ClickException('not saved: {}'.format(error))
    db.session.add(reminder)
    try:
        db.session.commit()  # and its task is queued (webapp/models.py)
    except SQLAlchemyError as error:
        db.session.rollback()
        raise click.ClickException('not saved: the database did not answer ({})'.format(
            str(error).splitlines()[0]))
    saved = 'reminder {} for {} at {} UTC'.format(reminder.id, reminder.email,
                                                  reminder.date.isoformat(' ', 'minutes'))
    not_queued = db.session.info.pop('reminders_not_queued', {}).get(reminder.id)
    if not_queued is not None:
        click.echo('{}: saved; the broker did not take its task now ({}), so the sweeper queues it '
                   'when it is due'.format(saved, type(not_queued).__name__))
    else:
        click.echo('{}: a worker sends it then'.format(saved))
