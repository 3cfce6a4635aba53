"""Compact JWS with ES256 and nothing else (RFC 7515, RFC 7518 3.4), on `cryptography`.

The service signs ID and access tokens and verifies phones' proofs; both are ES256 only.
Forty lines here replace a general JWT library: no algorithm is ever chosen by a header
(RFC 8725 2.1), and the Lambda imports and ships less.
"""

from __future__ import annotations

import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from .codes import b64url, b64url_decode

_ES256 = ec.ECDSA(hashes.SHA256())


class JoseError(ValueError):
    """Malformed, or not signed by the key."""


def sign(claims: dict, key: ec.EllipticCurvePrivateKey, header: dict) -> str:
    protected = {"alg": "ES256", **header}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (protected, claims)
    )
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), _ES256))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _json(segment: str) -> object:
    try:
        return json.loads(b64url_decode(segment))
    except (ValueError, RecursionError) as err:  # RecursionError: deeply nested JSON
        raise JoseError("malformed JWS segment") from err


def header(token: str) -> dict:
    """The protected header, unverified: only to choose the key."""
    parts = token.split(".")
    found = _json(parts[0]) if len(parts) == 3 else None
    if not isinstance(found, dict):
        raise JoseError("expected a compact JWS with a JSON object header")
    return found


def verify(token: str, key: ec.EllipticCurvePublicKey) -> dict:
    """The payload, once the ES256 signature by `key` checks out; the header must say ES256."""
    if header(token).get("alg") != "ES256":
        raise JoseError("alg must be ES256")
    protected, payload, signature = token.split(".")
    try:
        raw = b64url_decode(signature)
        signing_input = f"{protected}.{payload}".encode("ascii")
    except ValueError as err:  # not base64url, or not ASCII
        raise JoseError("malformed JWS") from err
    if len(raw) != 64:
        raise JoseError("an ES256 signature is 64 bytes")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        key.verify(der, signing_input, _ES256)
    except InvalidSignature as err:
        raise JoseError("signature does not verify") from err
    claims = _json(payload)
    if not isinstance(claims, dict):
        raise JoseError("payload must be a JSON object")
    return claims
