"""Envelope encryption and key generation.

Each tenant has a data key, kept only as KMS ciphertext and unwrapped once per container.
It seals the tenant's token-signing keys (P-256 for ES256, RSA for RS256) and its phones' TOTP
secrets with AES-GCM, so tokens are signed locally: no KMS call per sign-in.
"""

from __future__ import annotations

import hashlib
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.domain import secret_codes
from chalicelib.domain.devices import thumbprint
from chalicelib.domain.secret_codes import RandomSource

NONCE_BYTES = 12
RSA_BITS = 2048  # RFC 7518 3.3: at least 2048; what every OIDC library verifies
SigningPrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def seal(data_key: bytes, plaintext: bytes, context: str, rng: RandomSource) -> bytes:
    """AES-256-GCM; `context` (tenant and purpose) is bound as associated data."""
    nonce = rng.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, context.encode("utf-8"))


def unseal(data_key: bytes, sealed: bytes, context: str) -> bytes:
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    return AESGCM(data_key).decrypt(nonce, ciphertext, context.encode("utf-8"))


def new_signing_key(alg: str = "ES256") -> tuple[bytes, dict]:
    """A key to sign tokens with `alg` (ES256: P-256, RS256: RSA 2048): (private key as DER,
    public JWK with kid, `use` and `alg`)."""
    if alg == "ES256":
        private: SigningPrivateKey = ec.generate_private_key(ec.SECP256R1())
    elif alg == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    else:
        raise ValueError(f"no signing keys for {alg}")
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return der, public_jwk(private.public_key())


def public_jwk(public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> dict:
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        jwk = {"kty": "RSA", "n": _uint(numbers.n), "e": _uint(numbers.e)}
        return {**jwk, "kid": rsa_thumbprint(jwk), "use": "sig", "alg": "RS256"}
    point = public.public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": secret_codes.b64url(point.x.to_bytes(32, "big")),
        "y": secret_codes.b64url(point.y.to_bytes(32, "big")),
    }
    return {**jwk, "kid": thumbprint(jwk), "use": "sig", "alg": "ES256"}


def _uint(value: int) -> str:
    """RFC 7518 6.3.1: an unsigned big-endian integer in as few octets as it takes."""
    return secret_codes.b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def rsa_thumbprint(jwk: dict) -> str:
    """RFC 7638 3.2: SHA-256 of the required members (e, kty, n) in lexicographic order."""
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    return secret_codes.b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def load_private_key(der: bytes) -> SigningPrivateKey:
    """A key this service made and sealed: AES-GCM has already proven it is the one we made,
    so the RSA consistency check (about 40 ms, on every tenant load) would prove nothing more."""
    key = serialization.load_der_private_key(
        der, password=None, unsafe_skip_rsa_key_validation=True
    )
    assert isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    return key
