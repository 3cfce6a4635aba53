"""domain/logout.py: which ID token is believed as a hint, where a browser may go after a
logout, and what a logout token says; pure, with keys made here."""

from __future__ import annotations

import secrets

import pytest

from chalicelib.domain import envelope, logout, tokens
from chalicelib.domain.tenants import KEY_OVERLAP_SECONDS, Client, Policy, SigningKey, Tenant

ISSUER = "https://signin.example.test/t/acme"
NOW = 1_800_000_000


def key_pair(alg: str, **changes) -> tuple[SigningKey, object]:
    der, jwk = envelope.new_signing_key(alg)
    stored = SigningKey(jwk["kid"], jwk, b"", created_at=NOW - 10, **changes)
    return stored, envelope.load_private_key(der)


@pytest.fixture(scope="module")
def keys():
    return {alg: key_pair(alg) for alg in ("RS256", "ES256")}


def tenant_with(*keys: SigningKey) -> Tenant:
    return Tenant("acme", "Acme", Policy(), signing_keys=keys)


def id_token(key: tuple[SigningKey, object], **changes) -> str:
    claims = tokens.id_token_claims(
        issuer=ISSUER, subject="sub-1", audience="acme-web", auth_time=NOW - 60, now=NOW - 60,
        nonce="n", amr=("pwd",), sid="sid-1",
    )  # fmt: skip
    return tokens.sign({**claims, **changes}, key[1], key[0].kid)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_an_id_token_of_either_algorithm_is_a_hint_even_long_expired(keys, alg):
    tenant = tenant_with(keys["RS256"][0], keys["ES256"][0])
    hint = logout.verify_hint(tenant, ISSUER, id_token(keys[alg]), NOW + 86400, "acme-web")
    assert hint == logout.Hint("sub-1", "acme-web", "sid-1")


def test_a_key_no_longer_published_makes_no_hint(keys):
    """A retired key verifies only while the JWKS still shows it (KEY_OVERLAP_SECONDS)."""
    key, private = key_pair("ES256", active=False, retired_at=NOW)
    token = id_token((key, private))
    assert logout.verify_hint(tenant_with(key), ISSUER, token, NOW + 60).subject == "sub-1"
    with pytest.raises(logout.InvalidHint, match="not signed by a key of this tenant"):
        logout.verify_hint(tenant_with(key), ISSUER, token, NOW + KEY_OVERLAP_SECONDS)


def test_the_key_decides_the_algorithm(keys):
    """An RS256 header on the ES256 key's kid (or the other way) does not verify."""
    rs_key, rs_private = keys["RS256"]
    es_key, _ = keys["ES256"]
    swapped = tokens.sign({"iss": ISSUER, "sub": "s", "aud": "acme-web"}, rs_private, es_key.kid)
    with pytest.raises(logout.InvalidHint, match="does not verify"):
        logout.verify_hint(tenant_with(rs_key, es_key), ISSUER, swapped, NOW)


@pytest.mark.parametrize(
    ("changes", "why"),
    [({"aud": ["acme-web", "acme-wiki"]}, "is not an ID token"), ({"sub": 7}, "not an ID token"),
     ({"events": {logout.LOGOUT_EVENT: {}}}, "not an ID token")],
    ids=["a list aud", "a number sub", "a logout token's events"],
)  # fmt: skip
def test_what_is_not_shaped_like_our_id_token_is_no_hint(keys, changes, why):
    tenant = tenant_with(keys["ES256"][0])
    with pytest.raises(logout.InvalidHint, match=why):
        logout.verify_hint(tenant, ISSUER, id_token(keys["ES256"], **changes), NOW)


def test_the_post_logout_uri_must_be_registered_exactly_for_the_client():
    client = Client("acme-web", "Portal", ("https://a.test/cb",),
                    post_logout_redirect_uris=("https://a.test/bye",))  # fmt: skip
    assert logout.post_logout_target(client, "https://a.test/bye") == "https://a.test/bye"
    for near in ("https://a.test/bye/", "https://a.test/bye?x=1", "https://A.test/bye", ""):
        assert logout.post_logout_target(client, near) is None
    assert logout.post_logout_target(None, "https://a.test/bye") is None


def test_a_logout_token_names_person_session_and_event_and_carries_no_nonce():
    claims = logout.logout_token_claims(
        issuer=ISSUER, client_id="acme-web", subject="sub-1", session_id="sid-1", now=NOW,
        rng=secrets,
    )  # fmt: skip
    assert claims == {
        "iss": ISSUER, "aud": "acme-web", "iat": NOW, "exp": NOW + 120, "jti": claims["jti"],
        "sub": "sub-1", "sid": "sid-1", "events": {logout.LOGOUT_EVENT: {}},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("status", "delivered", "again"),
    [(200, True, False), (204, True, False), (None, False, True), (500, False, True),
     (503, False, True), (429, False, True), (400, False, False), (302, False, False)],
)  # fmt: skip
def test_which_answers_are_delivered_and_which_are_tried_again(status, delivered, again):
    assert logout.delivered(status) is delivered
    assert (not delivered and logout.worth_retrying(status)) is again
