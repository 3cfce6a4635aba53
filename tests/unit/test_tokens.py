"""PKCE, ID token claims and token signing."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain import signins, tokens
from chalicelib.errors import InvalidGrant, InvalidRequest

# RFC 7636 Appendix B
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
ISSUER = "https://signin.example.test/t/acme"
NOW = 1_750_000_000


def test_rfc_7636_appendix_b_verifier_answers_its_challenge():
    assert tokens.challenge_of(VERIFIER) == CHALLENGE


def test_another_verifier_answers_another_challenge():
    assert tokens.challenge_of(VERIFIER[:-1] + "l") != CHALLENGE


@pytest.mark.parametrize("verifier", ["", "a" * 42, "a" * 129, VERIFIER + "!", VERIFIER + "\n"])
def test_a_malformed_verifier_is_refused(verifier):
    with pytest.raises(InvalidGrant):
        tokens.challenge_of(verifier)


def test_no_verifier_answers_no_challenge():
    assert tokens.challenge_of(None) is None


def test_an_s256_challenge_is_accepted():
    assert tokens.validate_code_challenge(CHALLENGE, "S256") == CHALLENGE


def test_no_challenge_is_no_challenge():
    assert tokens.validate_code_challenge(None, None) is None


@pytest.mark.parametrize("method", ["plain", None, "s256", "S512"])
def test_only_s256_is_accepted(method):
    with pytest.raises(InvalidRequest, match="S256"):
        tokens.validate_code_challenge(CHALLENGE, method)


@pytest.mark.parametrize(
    "challenge", ["", CHALLENGE[:-1], CHALLENGE + "=", "+" * 43, VERIFIER * 2, 7]
)
def test_a_challenge_that_is_not_a_sha256_is_refused(challenge):
    with pytest.raises(InvalidRequest):
        tokens.validate_code_challenge(challenge, "S256")


def id_claims(nonce):
    return tokens.id_token_claims(
        issuer=ISSUER,
        subject="acct-1",
        audience="acme-web",
        auth_time=NOW - 5,
        now=NOW,
        nonce=nonce,
        amr=signins.PHONE_AMR,
    )


def test_id_token_claims_carry_the_nonce_when_one_was_sent():
    claims = id_claims("n-0S6_WzA2Mj")
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["exp"] == NOW + tokens.ID_TOKEN_SECONDS
    assert (claims["iss"], claims["sub"], claims["aud"]) == (ISSUER, "acct-1", "acme-web")
    assert claims["auth_time"] == NOW - 5
    assert claims["amr"] == ["mfa", "hwk", "user"]


def test_id_token_claims_have_no_nonce_when_none_was_sent():
    assert "nonce" not in id_claims(None)


def test_acr_says_whether_a_second_step_was_taken():
    assert id_claims(None)["acr"] == tokens.ACR_TWO_STEP
    password_only = tokens.id_token_claims(
        issuer=ISSUER,
        subject="acct-1",
        audience="acme-web",
        auth_time=NOW,
        now=NOW,
        nonce=None,
        amr=signins.PASSWORD_AMR,
    )
    assert password_only["acr"] == tokens.ACR_PASSWORD


def test_signed_tokens_verify_with_the_public_key_and_name_it():
    key = ec.generate_private_key(ec.SECP256R1())
    token = tokens.sign(id_claims(None), key, "kid-1")
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "kid-1", "typ": "JWT"}
    decoded = jwt.decode(
        token,
        key.public_key(),
        algorithms=["ES256"],
        audience="acme-web",
        issuer=ISSUER,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert decoded["sub"] == "acct-1"


def test_access_tokens_are_for_the_issuer_and_unique(rng):
    first = tokens.access_token_claims(
        issuer=ISSUER, subject="acct-1", client_id="acme-web", now=NOW, rng=rng, scope="openid"
    )
    second = tokens.access_token_claims(
        issuer=ISSUER, subject="acct-1", client_id="acme-web", now=NOW, rng=rng, scope="openid"
    )
    assert first["aud"] == ISSUER
    assert first["client_id"] == "acme-web"
    assert first["exp"] == NOW + tokens.ACCESS_TOKEN_SECONDS
    assert first["jti"] != second["jti"]
    assert first["scope"] == "openid"
