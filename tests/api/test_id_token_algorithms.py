"""ID tokens in the algorithm each client registered (RS256, the default, or ES256), access
tokens in ES256 only, and the tenant's two keys: made on its first load, sealed under its data
key, published side by side.

acme-web registered ES256 and acme-spa nothing (tests/fixtures/core.py `tenant`); acme-rs
below registers nothing either, as a confidential client.
"""

from __future__ import annotations

import secrets

import jwt
import pytest
from cryptography.exceptions import InvalidTag

from chalicelib.domain import envelope
from chalicelib.usecases.tenant_directory import signing_key_context
from tools.admin import flows as admin

ISSUER = "https://signin.example.test/t/acme"
WEB = "https://app.acme.test/cb"


@pytest.fixture
def rs_client(svc, tenant) -> tuple[str, str]:
    """A confidential client that registered no algorithm."""
    added = admin.add_client(svc, "acme", "acme-rs", "Acme RS", [WEB])
    assert added["id_token_signed_response_alg"] == "RS256"
    return added["client_id"], added["client_secret"]


@pytest.fixture
def tokens_for(alice, start, approved, token):
    """One sign-in by `client` (id, secret): the token response."""

    def sign_in(client: tuple[str, str]) -> dict:
        code = approved(alice, start(client_id=client[0]))
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB}
        status, body = token(form, client=client)
        assert status == 200, body
        return body

    return sign_in


def jwks(api) -> dict[str, jwt.PyJWK]:
    keys = api.http.get("/t/acme/jwks.json").json_body["keys"]
    return {key["kid"]: jwt.PyJWK.from_dict(key) for key in keys}


def verified(api, token: str, audience: str, alg: str) -> dict:
    """As a relying party that registered `alg` verifies: that algorithm only, the JWKS key."""
    key = jwks(api)[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(token, key.key, algorithms=[alg], audience=audience, issuer=ISSUER)


def test_each_client_gets_id_tokens_in_the_algorithm_it_registered(
    api, tenant, rs_client, tokens_for
):
    """Needs issuance to sign with the client's id_token_signed_response_alg: a client that
    registered ES256 never gets RS256 (its library, pinned to ES256, would refuse the token)
    and one that registered nothing gets RS256 (OIDC Dynamic Client Registration 1.0 2)."""
    web = (tenant["client_id"], tenant["client_secret"])

    es, rs = tokens_for(web), tokens_for(rs_client)

    assert jwt.get_unverified_header(es["id_token"])["alg"] == "ES256"
    assert jwt.get_unverified_header(es["id_token"])["kid"] == tenant["kids"]["ES256"]
    assert jwt.get_unverified_header(rs["id_token"])["alg"] == "RS256"
    assert jwt.get_unverified_header(rs["id_token"])["kid"] == tenant["kids"]["RS256"]
    assert verified(api, es["id_token"], web[0], "ES256")["aud"] == web[0]
    assert verified(api, rs["id_token"], rs_client[0], "RS256")["aud"] == rs_client[0]
    with pytest.raises(jwt.InvalidAlgorithmError):  # as the ES256 client's library refuses RS256
        verified(api, rs["id_token"], rs_client[0], "ES256")


def test_registering_again_changes_the_algorithm_at_once(api, svc, rs_client, tokens_for):
    again = admin.add_client(
        svc, "acme", "acme-rs", "Acme RS", [WEB], id_token_signed_response_alg="ES256"
    )

    body = tokens_for((again["client_id"], again["client_secret"]))

    assert jwt.get_unverified_header(body["id_token"])["alg"] == "ES256"


def test_access_tokens_are_es256_whatever_the_client_registered(api, rs_client, tokens_for):
    """Only the service reads access tokens (userinfo), and it verifies ES256 alone."""
    body = tokens_for(rs_client)

    header = jwt.get_unverified_header(body["access_token"])
    assert (header["alg"], header["typ"]) == ("ES256", "at+jwt")
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert api.http.get("/t/acme/userinfo", headers=headers).status_code == 200


@pytest.mark.parametrize("kid", ["RS256", "ES256"])
def test_an_access_token_signed_with_the_tenants_rsa_key_is_refused(api, svc, alice, tenant, kid):
    """Needs userinfo's ES256-only key set and jose.verify's ES256 pin: the tenant's RSA key
    signs ID tokens, so an RS256 token, even one the service itself signed, is no access token
    (under the RSA key's kid or the EC key's)."""
    now = int(svc.now())
    claims = {
        "iss": ISSUER, "sub": "someone", "aud": ISSUER, "client_id": tenant["client_id"],
        "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(16), "scope": "openid",
    }  # fmt: skip
    rsa = svc.directory.get("acme").signer("RS256").key
    forged = jwt.encode(
        claims, rsa, algorithm="RS256", headers={"kid": tenant["kids"][kid], "typ": "at+jwt"}
    )

    response = api.http.get("/t/acme/userinfo", headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401
    assert response.json_body["error"] == "invalid_token"


def test_the_jwks_publishes_one_key_of_each_algorithm_for_signatures(api, tenant):
    keys = api.http.get("/t/acme/jwks.json").json_body["keys"]

    assert {(key["alg"], key["use"], key["kid"]) for key in keys} == {
        ("RS256", "sig", tenant["kids"]["RS256"]),
        ("ES256", "sig", tenant["kids"]["ES256"]),
    }


def test_both_private_keys_are_stored_only_sealed_under_the_tenants_data_key(svc, tenant):
    """Keep private keys out of plain storage: each key item holds AES-GCM ciphertext bound
    to the tenant and kid, which opens only with the tenant's data key and that context."""
    loaded = svc.tenants.load("acme")
    active = svc.directory.get("acme")

    for alg, key in loaded.active_keys.items():
        der = envelope.unseal(
            active.data_key, key.sealed_private_key, signing_key_context("acme", key.kid)
        )
        assert der not in key.sealed_private_key
        private = envelope.load_private_key(der)
        assert envelope.public_jwk(private.public_key()) == key.public_jwk
        assert key.public_jwk["alg"] == alg
        with pytest.raises(InvalidTag):  # another tenant's context
            envelope.unseal(
                active.data_key, key.sealed_private_key, signing_key_context("globex", key.kid)
            )


def test_a_tenant_made_before_rs256_gets_its_rsa_key_on_its_next_load(
    api, svc, tenant, rs_client, tokens_for
):
    """A tenant stored with only its ES256 key (as every tenant was) keeps that key and gets
    an RSA key the first time a container loads it, as a new tenant gets both."""
    svc.tenants.delete_signing_key("acme", tenant["kids"]["RS256"])
    svc.directory.forget("acme")
    assert set(svc.tenants.load("acme").active_keys) == {"ES256"}

    keys = jwks(api)

    stored = svc.tenants.load("acme").active_keys
    assert set(stored) == {"ES256", "RS256"}
    assert stored["ES256"].kid == tenant["kids"]["ES256"]
    assert set(keys) == {stored["ES256"].kid, stored["RS256"].kid}
    body = tokens_for(rs_client)
    assert jwt.get_unverified_header(body["id_token"])["kid"] == stored["RS256"].kid
