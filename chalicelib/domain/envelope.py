"""Envelope encryption and key generation.

Each tenant has a data key, kept only as KMS ciphertext and unwrapped once per container.
It seals the tenant's token-signing key and its phones' TOTP secrets with AES-GCM, so tokens
are signed locally: no KMS call per sign-in.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.domain import secret_codes
from chalicelib.domain.devices import thumbprint
from chalicelib.domain.secret_codes import RandomSource

NONCE_BYTES = 12


def seal(data_key: bytes, plaintext: bytes, context: str, rng: RandomSource) -> bytes:
    """AES-256-GCM; `context` (tenant and purpose) is bound as associated data."""
    nonce = rng.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, context.encode("utf-8"))


def unseal(data_key: bytes, sealed: bytes, context: str) -> bytes:
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    return AESGCM(data_key).decrypt(nonce, ciphertext, context.encode("utf-8"))


def new_signing_key() -> tuple[bytes, dict]:
    """A P-256 key for ES256 ID tokens: (private key as DER, public JWK with kid)."""
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return der, public_jwk(private.public_key())


def public_jwk(public: ec.EllipticCurvePublicKey) -> dict:
    numbers = public.public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": secret_codes.b64url(numbers.x.to_bytes(32, "big")),
        "y": secret_codes.b64url(numbers.y.to_bytes(32, "big")),
    }
    return {**jwk, "kid": thumbprint(jwk), "use": "sig", "alg": "ES256"}


def load_private_key(der: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key
