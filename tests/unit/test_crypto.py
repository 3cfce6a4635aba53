"""Envelope encryption with tenant data keys, and ES256 signing keys."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain import envelope
from chalicelib.domain.devices import public_key_from_jwk, thumbprint

CONTEXT = "totp:acme:device-1"


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
