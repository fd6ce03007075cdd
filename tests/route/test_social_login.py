"""Social login (chapter 6): signing in through an OpenID Connect provider or a Facebook-style one.

The tests run the whole redirect → callback → account flow against providers served by this module on
127.0.0.1 (kept in this file so that `workbook checkout` carries it with the tests that use it).

The providers are served on a free 127.0.0.1 port by `serve()`; nothing reaches the internet. They
sign in one test
user without asking (a real provider would show its login and consent pages there) and then behave as
a provider must: codes are single-use and bound to the client and the redirect URI, the client must
authenticate at the token endpoint, the ID token is an RS256 JWT signed by a key published at the
JWKS endpoint, and the API answers only a valid bearer token.

    OpenID Connect:  /.well-known/openid-configuration, /authorize, /token, /userinfo, /jwks
    Facebook-style:  /dialog/oauth, /oauth/access_token, /me   (plain OAuth2, no ID token)

Set `provider.user` (OIDC claims) or `provider.facebook_user` to sign in someone else, and
`provider.deny = True` to have the next authorization refused as a user pressing "Cancel" would.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import sys
import time
from contextlib import contextmanager
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, make_response, redirect, request
import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from workbook import live

CLIENT_ID = "workbook-client"
CLIENT_SECRET = "workbook-secret"
FACEBOOK_CLIENT_ID = "workbook-facebook-app"
FACEBOOK_CLIENT_SECRET = "workbook-facebook-secret"


def refuse(status: int, **body):
    """Stop with a JSON error body, as OAuth2 endpoints answer."""
    abort(make_response(jsonify(body), status))


class Provider:
    def __init__(self):
        self.user = {"sub": "oidc-1001", "name": "Ada Lovelace", "preferred_username": "ada",
                     "email": "ada@example.org", "email_verified": True}
        self.facebook_user = {"id": "10203040", "first_name": "Grace", "last_name": "Hopper",
                              "name": "Grace Hopper", "email": "grace@example.org"}
        self.deny = False
        self.key = RSAKey.generate_key(2048, parameters={"kid": "workbook-1", "use": "sig", "alg": "RS256"})
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.seen: list[str] = []  # "METHOD /path" of every request, in order
        self.url = ""  # set by serve()
        self.app = self._make_app()

    # ------------------------------------------------------------------ helpers

    def _client_credentials(self) -> tuple[str | None, str | None]:
        """client_secret_basic (Authorization header) or client_secret_post (form fields)."""
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            return auth.username, auth.password
        values = request.values
        return values.get("client_id"), values.get("client_secret")

    def _issue_code(self, kind: str, client_id: str) -> None | str:
        args = request.args
        redirect_uri = args.get("redirect_uri")
        if not redirect_uri or args.get("client_id") != client_id:
            abort(400, "unknown client or no redirect_uri")
        state = args.get("state")
        if self.deny:
            self.deny = False
            query = {"error": "access_denied", "error_description": "The user denied the request"}
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "kind": kind, "client_id": client_id, "redirect_uri": redirect_uri,
                "nonce": args.get("nonce"), "scope": args.get("scope", ""),
                "code_challenge": args.get("code_challenge"),
                "user": dict(self.user if kind == "oidc" else self.facebook_user),
            }
            query = {"code": code}
        if state is not None:
            query["state"] = state
        separator = "&" if "?" in redirect_uri else "?"
        return redirect(f"{redirect_uri}{separator}{urlencode(query)}")

    def _redeem_code(self, kind: str, client_id: str, client_secret: str) -> dict:
        given_id, given_secret = self._client_credentials()
        if (given_id, given_secret) != (client_id, client_secret):
            refuse(401, error="invalid_client")
        grant = self.codes.pop(request.values.get("code", ""), None)  # single use
        if grant is None or grant["kind"] != kind or grant["client_id"] != client_id:
            refuse(400, error="invalid_grant")
        if request.values.get("redirect_uri") != grant["redirect_uri"]:
            refuse(400, error="invalid_grant", error_description="redirect_uri differs")
        if grant["code_challenge"]:
            verifier = request.values.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
            if digest.decode() != grant["code_challenge"]:
                refuse(400, error="invalid_grant", error_description="PKCE check failed")
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = grant
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}

    def _bearer(self, kind: str) -> dict:
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else request.args.get("access_token", "")
        grant = self.tokens.get(token)
        if grant is None or grant["kind"] != kind:
            refuse(401, error="invalid_token")
        return grant

    def id_token(self, grant: dict) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": grant["client_id"], "iat": now, "exp": now + 300,
                  "auth_time": now, **grant["user"]}
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)

    # ------------------------------------------------------------------ the provider's pages

    def _make_app(self) -> Flask:
        app = Flask("oauth_provider")

        @app.before_request
        def record():
            self.seen.append(f"{request.method} {request.path}")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            base = self.url
            return jsonify(
                issuer=base,
                authorization_endpoint=f"{base}/authorize",
                token_endpoint=f"{base}/token",
                userinfo_endpoint=f"{base}/userinfo",
                jwks_uri=f"{base}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                scopes_supported=["openid", "email", "profile"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
                code_challenge_methods_supported=["S256"],
            )

        @app.get("/authorize")
        def authorize():
            if request.args.get("response_type") != "code" or "openid" not in request.args.get("scope", ""):
                abort(400, "only the authorization code flow with the openid scope")
            return self._issue_code("oidc", CLIENT_ID)

        @app.post("/token")
        def token():
            if request.form.get("grant_type") != "authorization_code":
                return jsonify(error="unsupported_grant_type"), 400
            grant_code = request.form.get("code", "")
            grant = self.codes.get(grant_code)
            answer = self._redeem_code("oidc", CLIENT_ID, CLIENT_SECRET)
            answer["id_token"] = self.id_token(grant)
            answer["scope"] = grant["scope"]
            return jsonify(answer)

        @app.get("/userinfo")
        def userinfo():
            return jsonify(self._bearer("oidc")["user"])

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([self.key]).as_dict(private=False))

        @app.get("/dialog/oauth")
        def facebook_dialog():
            return self._issue_code("facebook", FACEBOOK_CLIENT_ID)

        @app.route("/oauth/access_token", methods=["GET", "POST"])
        def facebook_access_token():
            return jsonify(self._redeem_code("facebook", FACEBOOK_CLIENT_ID, FACEBOOK_CLIENT_SECRET))

        @app.get("/me")
        def facebook_me():
            user = self._bearer("facebook")["user"]
            # As the Graph API: id and name unless other fields are asked for.
            fields = request.args.get("fields", "id,name").split(",")
            return jsonify({field: user[field] for field in fields if field in user})

        return app

    # ------------------------------------------------------------------ what a test configures

    def oidc_settings(self) -> dict[str, str]:
        """Environment variables that point the chapter's generic OpenID Connect login here."""
        return {"OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "OIDC_SERVER_METADATA_URL": f"{self.url}/.well-known/openid-configuration",
                "OIDC_NAME": "Workbook ID"}

    def facebook_settings(self) -> dict[str, str]:
        """Environment variables that point the chapter's Facebook login here."""
        return {"FACEBOOK_CLIENT_ID": FACEBOOK_CLIENT_ID, "FACEBOOK_CLIENT_SECRET": FACEBOOK_CLIENT_SECRET,
                "FACEBOOK_AUTHORIZE_URL": f"{self.url}/dialog/oauth",
                "FACEBOOK_ACCESS_TOKEN_URL": f"{self.url}/oauth/access_token",
                "FACEBOOK_API_BASE_URL": f"{self.url}/"}


@contextmanager
def serve():
    """A fresh Provider served by a thread on a free 127.0.0.1 port; its base URL is `provider.url`."""
    provider = Provider()
    with live.serving(provider.app, quiet=True) as url:
        provider.url = url
        yield provider


# --------------------------------------------------------------------------- the provider, proven alone

pytestmark = [pytest.mark.route, pytest.mark.chapters(since=6)]


@pytest.fixture
def provider():
    """A local OpenID Connect and Facebook-style provider on a free 127.0.0.1 port."""
    with serve() as running:
        yield running


def authorize(url: str, **params) -> dict[str, str]:
    """Follow the provider's authorization step as a browser would; the query it redirects back with."""
    from urllib.parse import parse_qsl, urlsplit

    answer = requests.get(url, params=params, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["Location"])
    assert location.netloc == "app.test" and location.path == "/callback"
    return dict(parse_qsl(location.query))


def test_provider_runs_the_openid_connect_code_flow(provider):
    """The local OpenID Connect provider answers discovery, authorize, token, JWKS and userinfo."""
    from joserfc.jwk import KeySet as Keys

    meta = requests.get(f"{provider.url}/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == provider.url
    back = authorize(meta["authorization_endpoint"], response_type="code", client_id=CLIENT_ID,
                     redirect_uri="http://app.test/callback", scope="openid email profile",
                     state="xyz", nonce="n-1")
    assert back["state"] == "xyz"
    token = requests.post(meta["token_endpoint"], auth=(CLIENT_ID, CLIENT_SECRET), timeout=10, data={
        "grant_type": "authorization_code", "code": back["code"],
        "redirect_uri": "http://app.test/callback"}).json()
    keys = Keys.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], keys).claims
    assert (claims["iss"], claims["aud"], claims["nonce"], claims["sub"]) == (
        provider.url, CLIENT_ID, "n-1", "oidc-1001")
    info = requests.get(meta["userinfo_endpoint"], timeout=10,
                        headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert info["name"] == "Ada Lovelace"


def test_provider_refuses_what_a_real_one_refuses(provider):
    """A code works once, only for its client and redirect URI; userinfo needs a valid token."""
    def code():
        return authorize(f"{provider.url}/authorize", response_type="code", client_id=CLIENT_ID,
                         redirect_uri="http://app.test/callback", scope="openid", state="s")["code"]

    def exchange(value, auth=(CLIENT_ID, CLIENT_SECRET), redirect_uri="http://app.test/callback"):
        return requests.post(f"{provider.url}/token", auth=auth, timeout=10, data={
            "grant_type": "authorization_code", "code": value, "redirect_uri": redirect_uri})

    assert exchange(code(), auth=(CLIENT_ID, "wrong")).status_code == 401
    assert exchange(code(), redirect_uri="http://evil.test/callback").status_code == 400
    first = code()
    assert exchange(first).status_code == 200
    assert exchange(first).status_code == 400
    assert requests.get(f"{provider.url}/userinfo", timeout=10,
                        headers={"Authorization": "Bearer nope"}).status_code == 401
    provider.deny = True
    refused = authorize(f"{provider.url}/authorize", response_type="code", client_id=CLIENT_ID,
                        redirect_uri="http://app.test/callback", scope="openid", state="s")
    assert refused == {"error": "access_denied", "error_description": "The user denied the request",
                       "state": "s"}


def test_facebook_style_provider_runs_the_oauth2_code_flow(provider):
    """The Facebook-style provider trades a code for a token (secret in the form) and answers /me."""
    back = authorize(f"{provider.url}/dialog/oauth", client_id=FACEBOOK_CLIENT_ID,
                     redirect_uri="http://app.test/callback", scope="email", state="fb")
    token = requests.post(f"{provider.url}/oauth/access_token", timeout=10, data={
        "client_id": FACEBOOK_CLIENT_ID, "client_secret": FACEBOOK_CLIENT_SECRET,
        "code": back["code"], "redirect_uri": "http://app.test/callback"}).json()
    assert "id_token" not in token
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert requests.get(f"{provider.url}/me", headers=bearer, timeout=10).json() == {
        "id": "10203040", "name": "Grace Hopper"}
    me = requests.get(f"{provider.url}/me", params={"fields": "first_name,last_name,email"},
                      headers=bearer, timeout=10).json()
    assert me == {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.org"}


# --------------------------------------------------------------------------- the chapter's social login


@pytest.fixture
def social_app(make_app, database_url, provider, monkeypatch):
    """The chapter's app with both social logins pointed at the local provider."""
    for name, value in {**provider.oidc_settings(), **provider.facebook_settings()}.items():
        monkeypatch.setenv(name, value)
    app = make_app(database_url)
    with app.app_context():
        app.extensions["sqlalchemy"].create_all()
        yield app


def sign_in_with(client, start: str) -> "object":
    """Click the provider's button, let the provider approve, come back: the app's last answer."""
    from urllib.parse import urlsplit

    to_provider = client.get(start)
    assert to_provider.status_code == 302, to_provider.get_data(as_text=True)
    back = requests.get(to_provider.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def usernames(app):
    from sqlalchemy import select

    db = app.extensions["sqlalchemy"]
    User = sys.modules["webapp.models"].User
    db.session.expire_all()
    return [(u.username, u.social_id, u.password) for u in db.session.scalars(select(User).order_by(User.id))]


def test_login_page_offers_configured_providers_only(app, social_app, url_for):
    """The login page offers a provider only when its client id and secret are configured."""
    plain = app.test_client().get(url_for("main.login")).get_data(as_text=True)
    assert "social-logins" not in plain and "/oidc" not in plain and "/facebook" not in plain
    assert app.test_client().get("/oidc").status_code == 404
    offered = social_app.test_client().get("/login").get_data(as_text=True)
    assert ">Workbook ID</a>" in offered and ">Facebook</a>" in offered


def test_first_openid_connect_login_creates_the_user(social_app, provider):
    """A first sign-in through OpenID Connect creates the user (no password) and logs them in."""
    client = social_app.test_client()
    response = sign_in_with(client, "/oidc")
    assert response.status_code == 302 and response.headers["Location"] == "/blog/"
    assert 'id="signed-in">Ada Lovelace<' in client.get("/blog/").get_data(as_text=True)
    assert usernames(social_app) == [("Ada Lovelace", "oidc:oidc-1001", None)]
    assert provider.seen[:5] == ["GET /.well-known/openid-configuration", "GET /authorize",
                                 "POST /token", "GET /jwks", "GET /userinfo"]


def test_later_openid_connect_login_is_the_same_user(social_app, provider):
    """Signing in again through the same provider logs in the same user, even after a name change."""
    sign_in_with(social_app.test_client(), "/oidc")
    provider.user = {**provider.user, "name": "Ada King"}
    client = social_app.test_client()
    sign_in_with(client, "/oidc")
    assert usernames(social_app) == [("Ada Lovelace", "oidc:oidc-1001", None)]
    assert 'id="signed-in">Ada Lovelace<' in client.get("/blog/").get_data(as_text=True)


def test_social_login_never_takes_over_a_local_account(social_app, provider):
    """A provider's user named like a local user gets an account of their own, not the local one."""
    User = sys.modules["webapp.models"].User
    db = social_app.extensions["sqlalchemy"]
    local = User("Ada Lovelace")
    local.set_password("the real ada")
    db.session.add(local)
    db.session.commit()
    sign_in_with(social_app.test_client(), "/oidc")
    assert [name for name, _, _ in usernames(social_app)] == ["Ada Lovelace", "Ada Lovelace 2"]


def test_facebook_login_creates_then_finds_the_user(social_app, provider):
    """Facebook login: the first visit creates "first_name last_name", the next logs the same user in."""
    for _ in range(2):
        client = social_app.test_client()
        response = sign_in_with(client, "/facebook")
        assert response.headers["Location"] == "/blog/"
        assert 'id="signed-in">Grace Hopper<' in client.get("/blog/").get_data(as_text=True)
    assert usernames(social_app) == [("Grace Hopper", "facebook:10203040", None)]
    assert "GET /me" in provider.seen


def test_social_login_follows_a_safe_next_only(social_app, provider):
    """After a social login, `next` is followed when it is a path here and ignored otherwise."""
    assert sign_in_with(social_app.test_client(), "/oidc?next=/blog/2").headers["Location"] == "/blog/2"
    evil = sign_in_with(social_app.test_client(), "/oidc?next=https://evil.example/")
    assert evil.headers["Location"] == "/blog/"


def test_refused_social_login_creates_nobody(social_app, provider):
    """When the user refuses at the provider, the app says so on the login page and creates nobody."""
    provider.deny = True
    client = social_app.test_client()
    response = sign_in_with(client, "/facebook")
    assert response.headers["Location"] == "/login"
    assert "Sign-in failed: The user denied the request" in client.get("/login").get_data(as_text=True)
    assert usernames(social_app) == []


def test_forged_callback_is_refused(social_app, provider):
    """A callback whose state this browser never started (login CSRF) signs nobody in."""
    from urllib.parse import urlsplit

    victim = social_app.test_client()
    victim.get("/oidc")  # the victim started a sign-in of their own
    attacker = social_app.test_client()
    to_provider = attacker.get("/oidc")
    back = urlsplit(requests.get(to_provider.headers["Location"], allow_redirects=False,
                                 timeout=10).headers["Location"])
    response = victim.get(f"{back.path}?{back.query}")  # the attacker's code, in the victim's browser
    assert response.headers["Location"] == "/login"
    assert usernames(social_app) == []
