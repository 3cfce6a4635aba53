"""Envelope encryption with tenant data keys, and the ES256 and RS256 signing keys."""

from __future__ import annotations

import jwt
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from chalicelib.domain import envelope
from chalicelib.domain.devices import public_key_from_jwk, thumbprint

CONTEXT = "totp:acme:device-1"
# RFC 7638 section 3.1's example RSA key (RFC 7517 appendix A.1's).
RFC_7638_N = (
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
    "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
    "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
    "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
)


@pytest.fixture
def data_key(rng) -> bytes:
    return rng.token_bytes(32)


def test_seal_then_unseal_gives_the_plaintext_back(data_key, rng):
    sealed = envelope.seal(data_key, b"twenty byte secret!!", CONTEXT, rng)
    assert b"twenty byte secret!!" not in sealed
    assert envelope.unseal(data_key, sealed, CONTEXT) == b"twenty byte secret!!"


def test_each_seal_uses_a_fresh_nonce(data_key, rng):
    first = envelope.seal(data_key, b"same", CONTEXT, rng)
    second = envelope.seal(data_key, b"same", CONTEXT, rng)
    assert first[: envelope.NONCE_BYTES] != second[: envelope.NONCE_BYTES]
    assert first != second


def test_a_sealed_value_cannot_be_opened_in_another_context(data_key, rng):
    sealed = envelope.seal(data_key, b"secret", CONTEXT, rng)
    with pytest.raises(InvalidTag):
        envelope.unseal(data_key, sealed, "totp:acme:device-2")
    with pytest.raises(InvalidTag):
        envelope.unseal(data_key, sealed, "totp:other:device-1")


def test_a_sealed_value_cannot_be_opened_with_another_key(data_key, rng):
    sealed = envelope.seal(data_key, b"secret", CONTEXT, rng)
    with pytest.raises(InvalidTag):
        envelope.unseal(rng.token_bytes(32), sealed, CONTEXT)


def test_a_tampered_sealed_value_is_refused(data_key, rng):
    sealed = bytearray(envelope.seal(data_key, b"secret", CONTEXT, rng))
    sealed[-1] ^= 1
    with pytest.raises(InvalidTag):
        envelope.unseal(data_key, bytes(sealed), CONTEXT)


def test_a_new_signing_key_publishes_its_public_half_as_es256_jwk():
    der, jwk = envelope.new_signing_key()
    private = envelope.load_private_key(der)
    assert jwk["kid"] == thumbprint(jwk)
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
    assert "d" not in jwk
    assert public_key_from_jwk(jwk).public_numbers() == private.public_key().public_numbers()


def test_the_published_key_verifies_what_the_private_key_signs():
    der, jwk = envelope.new_signing_key()
    signature = envelope.load_private_key(der).sign(b"claims", ec.ECDSA(hashes.SHA256()))
    public_key_from_jwk(jwk).verify(signature, b"claims", ec.ECDSA(hashes.SHA256()))


def test_every_signing_key_is_new():
    assert envelope.new_signing_key()[1]["kid"] != envelope.new_signing_key()[1]["kid"]


def test_an_rs256_signing_key_is_rsa_2048_published_with_its_rfc_7638_thumbprint():
    der, jwk = envelope.new_signing_key("RS256")
    private = envelope.load_private_key(der)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    assert (jwk["kty"], jwk["alg"], jwk["use"], jwk["e"]) == ("RSA", "RS256", "sig", "AQAB")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)
    # What a relying party's library makes of the JWK: the same public key, the same kid.
    public = jwt.PyJWK.from_dict(jwk)
    assert public.key.public_numbers() == private.public_key().public_numbers()
    assert jwk["kid"] == envelope.rsa_thumbprint(jwk)


def test_rfc_7638_section_3_1_example_thumbprint():
    """The RFC's own example key and thumbprint."""
    jwk = {"kty": "RSA", "e": "AQAB", "n": RFC_7638_N}
    assert envelope.rsa_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_only_rs256_and_es256_keys_are_made():
    with pytest.raises(ValueError, match="HS256"):
        envelope.new_signing_key("HS256")
