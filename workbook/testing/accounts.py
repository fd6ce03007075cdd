"""Chapter 6 on: users with a password and roles, and a client that logs in and out as a browser does
(each form fetched first, its CSRF token sent back)."""
from __future__ import annotations

import pytest


class Auth:
    password = "correct horse battery"

    def __init__(self, client, make, url_for, csrf_token):
        self.client, self.make, self.url_for, self.token = client, make, url_for, csrf_token

    def user(self, username: str, *roles: str, password: str | None = None):
        """A user with a password (the class's own unless given) and the named roles."""
        return self.make.user(username, *roles, password=password or self.password)

    def post_form(self, path: str, data: dict, **kwargs):
        """POST `data` to the form at `path`, with the CSRF token the page hands out."""
        return self.client.post(path, data={"csrf_token": self.token(path), **data}, **kwargs)

    def login(self, username: str, password: str | None = None, query: str = "",
              remember: bool = False, **kwargs):
        data = {"username": username, "password": password or self.password}
        if remember:
            data["remember"] = "y"
        return self.post_form(self.url_for("main.login") + query, data, **kwargs)

    def logout(self, **kwargs):
        # The logout button is a form in every page's navigation bar.
        token = self.token(self.url_for("blog.home"))
        return self.client.post(self.url_for("main.logout"), data={"csrf_token": token}, **kwargs)


@pytest.fixture
def auth(client, make, url_for, csrf_token):
    """Log in and out through the forms: `auth.user("ann", "poster")`, `auth.login("ann")`."""
    return Auth(client, make, url_for, csrf_token)
