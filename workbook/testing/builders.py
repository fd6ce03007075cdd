"""Test data in one line: users, posts, tags and comments built on the chapter's own models.

In the style of cookiecutter-flask's factories, without a factory library: `make.post("Hello",
author=ann, tags=["flask"])`. Every builder commits and returns what it made, so a test reads as the
blog its user would see.
"""
from __future__ import annotations

import datetime

import pytest

# The day the demo posts start from: a fixed clock makes "newest first" checkable.
START = datetime.datetime(2015, 1, 1, 12, 0)


class Blog:
    """Builds rows through the chapter's models and the app's session."""

    def __init__(self, db, models):
        self.db = db
        self.models = models

    def _one(self, model, **by):
        return self.db.session.scalar(self.db.select(model).filter_by(**by))

    def user(self, username: str = "ann", *roles: str, password: str | None = None):
        """A user (from chapter 6: with `password` hashed and the named roles besides `default`)."""
        user = self.models.User(username)
        if password is not None:
            user.set_password(password)
        for name in roles:
            user.roles.append(self._one(self.models.Role, name=name))
        self.db.session.add(user)
        self.db.session.commit()
        return user

    def tag(self, title: str):
        """The tag called `title`, made if it does not exist yet."""
        tag = self._one(self.models.Tag, title=title)
        if tag is None:
            tag = self.models.Tag(title)
            self.db.session.add(tag)
        return tag

    def post(self, title: str = "A post", *, author=None, text: str = "Some text.",
             date: datetime.datetime = datetime.datetime(2015, 6, 1), tags=(), commit: bool = True):
        """A post; `author` a user or a username (made if new); `tags` titles (made if new)."""
        post = self.models.Post(title)
        post.text, post.publish_date = text, date
        self.db.session.add(post)
        with self.db.session.no_autoflush:  # look the names up without saving a half-built post
            if isinstance(author, str):
                author = self._one(self.models.User, username=author) or self.models.User(author)
            post.user = author
            post.tags = [self.tag(title) for title in tags]
        if commit:
            self.db.session.commit()
        return post

    def comment(self, post, text: str = "A comment.", name: str = "reader", date=None, commit=True):
        comment = self.models.Comment(name=name, text=text, date=date or post.publish_date, post=post)
        self.db.session.add(comment)
        if commit:
            self.db.session.commit()
        return comment

    def posts(self, count: int, start: int = 0) -> list:
        """Posts "Post {start}"… one day apart: even ones by "author", each odd one by a writer of
        its own ("writer{n}"); each tagged "common" and "tag{n}", with one comment by "reader{n}".

        Hundreds at once in the cost tests: the users and tags that exist already are looked up in
        two queries, and everything is saved in one flush."""
        models, session = self.models, self.db.session
        numbers = range(start, start + count)
        names = {"author"} | {f"writer{n}" for n in numbers if n % 2}
        titles = {"common"} | {f"tag{n}" for n in numbers}
        users = {user.username: user for user in session.scalars(
            self.db.select(models.User).where(models.User.username.in_(names)))}
        tags = {tag.title: tag for tag in session.scalars(
            self.db.select(models.Tag).where(models.Tag.title.in_(titles)))}
        made = []
        with session.no_autoflush:  # a new user looks its default role up (chapter 6 on)
            for n in numbers:
                post = models.Post(f"Post {n}")
                post.text, post.publish_date = f"The text of post {n}.", START + datetime.timedelta(days=n)
                name = "author" if n % 2 == 0 else f"writer{n}"
                post.user = users.get(name) or users.setdefault(name, models.User(name))
                post.tags = [tags.get(title) or tags.setdefault(title, models.Tag(title))
                             for title in ("common", f"tag{n}")]
                session.add(post)
                self.comment(post, f"On post {n}", name=f"reader{n}", commit=False)
                made.append(post)
        session.commit()
        return made


@pytest.fixture
def make(db, models):
    """Build test data: `make.user("ann")`, `make.post("Hi", author=ann)`, `make.posts(25)`."""
    return Blog(db, models)
