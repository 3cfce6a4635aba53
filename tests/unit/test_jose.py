"""chalicelib/jose.py against PyJWT, a widely used implementation: each reads the other."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib import jose


@pytest.fixture
def key():
    return ec.generate_private_key(ec.SECP256R1())


def test_tokens_we_sign_verify_with_pyjwt(key):
    token = jose.sign({"sub": "x", "n": 1}, key, {"kid": "k1", "typ": "at+jwt"})
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "k1", "typ": "at+jwt"}
    assert jwt.decode(token, key.public_key(), algorithms=["ES256"]) == {"sub": "x", "n": 1}


def test_we_verify_what_pyjwt_signs_and_nothing_signed_by_another_key(key):
    token = jwt.encode({"a": 1}, key, algorithm="ES256", headers={"kid": "k"})
    assert jose.verify(token, key.public_key()) == {"a": 1}
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(jose.JoseError, match="does not verify"):
        jose.verify(token, other.public_key())


@pytest.mark.parametrize("alg", ["none", "HS256", "ES384", None])
def test_only_es256_is_ever_accepted(key, alg):
    token = jose.sign({"a": 1}, key, {})
    header = {"typ": "JWT"} | ({"alg": alg} if alg else {})
    forged = jose.b64url(json.dumps(header).encode()) + "." + token.split(".", 1)[1]
    with pytest.raises(jose.JoseError, match="ES256"):
        jose.verify(forged, key.public_key())


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d",
        "!!!.e30.AA",
        "e30.e30.not-base64!",
        "e30.e30." + "A" * 10,
        "W10.e30.AA",
    ],
)
def test_malformed_tokens_are_refused_not_crashed_on(key, token):
    with pytest.raises(jose.JoseError):
        jose.verify(token, key.public_key())
