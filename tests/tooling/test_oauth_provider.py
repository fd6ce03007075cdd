"""The local OAuth providers that chapter 6's social-login tests sign in through behave as real ones."""
import requests
from joserfc import jwt

from workbook.testing.oauth_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    FACEBOOK_CLIENT_ID,
    FACEBOOK_CLIENT_SECRET,
)


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


