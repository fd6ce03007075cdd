"""A local OpenID Connect provider and a Facebook-style OAuth2 provider, for chapter 6's social login.

The suites run the whole redirect → callback → account flow against them; `workbook checkout` carries
this module with the workbook's plugins. Its own behaviour is proven in tests/tooling.

The providers are served on a free 127.0.0.1 port by `serve()`; nothing reaches the internet. They
sign in one test user without asking (a real provider would show its login and consent pages there)
and then behave as a provider must: codes are single-use and bound to the client and the redirect URI, the
client must
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
import time
from contextlib import contextmanager
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, make_response, redirect, request
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
