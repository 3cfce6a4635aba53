"""Claims about the person (OpenID Connect Core 5.4): `profile` releases `preferred_username`,
`email` releases `email` and `email_verified` for a username shaped like an address. Each claim
is in the ID token and at userinfo exactly when its scope was asked for, whichever way the
person signed in (the page's phone or password sign-in, or CIBA); unknown scopes are dropped
and the token response's `scope` says what was granted."""

from __future__ import annotations

import json

import jwt
import pytest

from tools.admin import flows as admin

BASE_URL = "https://signin.example.test"
ISSUER = f"{BASE_URL}/t/acme"
CALLBACK = "https://app.acme.test/cb"
CIBA = "urn:openid:params:grant-type:ciba"
IDENTITY = ("preferred_username", "email", "email_verified")
# (scope asked, scope granted): unknown scopes (RFC 6749 3.3) and repeats are dropped.
SCOPES = {
    "openid": "openid",
    "openid profile": "openid profile",
    "openid email": "openid email",
    "email openid profile": "openid profile email",
    "openid profile email address phone offline_access profile": "openid profile email",
}


def verify(api, token: str, audience: str) -> dict:
    keys = jwt.PyJWKSet.from_dict(api.http.get("/t/acme/jwks.json").json_body)
    key = keys[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(token, key.key, algorithms=["ES256"], audience=audience, issuer=ISSUER)


def expected(username: str, granted: str) -> dict:
    claims: dict = {}
    if "profile" in granted.split():
        claims["preferred_username"] = username
    if "email" in granted.split() and "@" in username:
        claims |= {"email": username, "email_verified": False}
    return claims


def identity_of(claims: dict) -> dict:
    return {name: claims[name] for name in IDENTITY if name in claims}


def claims_everywhere(api, tenant, tokens: dict) -> tuple[dict, dict, str, str]:
    """(the ID token's identity claims, userinfo's, the access token's scope, the granted scope)."""
    id_token = verify(api, tokens["id_token"], tenant["client_id"])
    access = verify(api, tokens["access_token"], ISSUER)
    response = api.http.get(
        "/t/acme/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 200
    info = response.json_body
    assert info["sub"] == id_token["sub"]
    return (
        identity_of(id_token),
        {k: v for k, v in info.items() if k != "sub"},
        access["scope"],
        tokens["scope"],
    )


@pytest.mark.parametrize("username", ["alice@acme.test", "Bob.Smith"])
def test_each_claim_is_released_exactly_when_its_scope_is_asked_for(
    username, enrolled, completed, api, tenant
):
    phone, account = enrolled(username)
    stored = account["username"]  # normalised: 'bob.smith'

    seen = {}
    for asked in SCOPES:
        tokens = completed(phone, username=stored, scope=asked)
        seen[asked] = claims_everywhere(api, tenant, tokens)

    assert seen == {
        asked: (expected(stored, granted), expected(stored, granted), granted, granted)
        for asked, granted in SCOPES.items()
    }
    assert stored == username.casefold()


def test_the_page_carries_the_granted_scope_to_its_signin(api, tenant):
    query = "response_type=code&scope=openid+email+address&state=s&nonce=n"
    query += f"&client_id={tenant['client_id']}&redirect_uri={CALLBACK}"

    page = api.http.get(f"/t/acme/authorize?{query}").body.decode()

    assert 'data-scope="openid email"' in page


def test_a_password_signin_releases_what_its_scope_asks_for(new_account, svc, api, tenant, token):
    new_account("carol@acme.test")
    admin.set_password(svc, "acme", "carol@acme.test", "correct horse battery staple")
    body = {
        "client_id": tenant["client_id"],
        "username": "carol@acme.test",
        "password": "correct horse battery staple",
        "redirect_uri": CALLBACK,
        "scope": "openid email",
    }
    headers = {
        "Content-Type": "application/json",
        "Origin": BASE_URL,
        "Cookie": "psi_csrf=c-1",
        "X-CSRF-Token": "c-1",
    }
    signed_in = api.http.post("/t/acme/password", headers=headers, body=json.dumps(body))
    assert signed_in.status_code == 200, signed_in.body
    form = {"grant_type": "authorization_code", "redirect_uri": CALLBACK}
    form["code"] = signed_in.json_body["code"]

    status, tokens = token(form, client=(tenant["client_id"], tenant["client_secret"]))

    assert status == 200, tokens
    assert claims_everywhere(api, tenant, tokens) == (
        {"email": "carol@acme.test", "email_verified": False},
        {"email": "carol@acme.test", "email_verified": False},
        "openid email",
        "openid email",
    )


@pytest.mark.parametrize("asked", ["openid", "openid profile email phone"])
def test_ciba_releases_what_its_scope_asks_for(asked, enrolled, ask, token, api, tenant):
    phone, _ = enrolled()
    started = ask(scope=asked)
    signin_id = started["auth_req_id"].split(".", 1)[0]
    assert phone.respond(signin_id, "approve", started["number"])[0] == 200
    form = {"grant_type": CIBA, "auth_req_id": started["auth_req_id"]}

    status, tokens = token(form, client=(tenant["client_id"], tenant["client_secret"]))

    assert status == 200, tokens
    granted = SCOPES.get(asked, "openid profile email")
    want = expected("alice@acme.test", granted)
    assert claims_everywhere(api, tenant, tokens) == (want, want, granted, granted)


def test_an_account_without_a_sub_item_signs_in_without_identity_claims(
    enrolled, completed, api, tenant, svc
):
    """An account made before sub items existed (until `index-subs` names it): the claims that
    need its username are left out, nothing fails; `index-subs` then adds them."""
    phone, account = enrolled()
    svc.accounts._client.delete_item(
        TableName=svc.accounts._table, Key={"pk": {"S": f"acme#SUB#{account['sub']}"}}
    )

    before = claims_everywhere(api, tenant, completed(phone, scope="openid profile"))
    indexed = admin.index_subs(svc, "acme")
    after = claims_everywhere(api, tenant, completed(phone, scope="openid profile"))

    assert before == ({}, {}, "openid profile", "openid profile")
    assert indexed == {"indexed": 1, "accounts": 1}
    assert after[:2] == ({"preferred_username": "alice@acme.test"},) * 2


def test_discovery_lists_the_scopes_and_claims(api, tenant):
    doc = api.http.get("/t/acme/.well-known/openid-configuration").json_body

    assert doc["scopes_supported"] == ["openid", "profile", "email"]
    assert set(IDENTITY) <= set(doc["claims_supported"])
