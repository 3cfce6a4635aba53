"""Compact JWS with ES256 and nothing else (RFC 7515, RFC 7518 3.4), on `cryptography`.

The service signs ID and access tokens and verifies phones' proofs; both are ES256 only.
These few lines replace a general JWT library: no algorithm is ever chosen by a header
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

from chalicelib.domain.secret_codes import b64url, b64url_decode

_ES256 = ec.ECDSA(hashes.SHA256())
# n, the order of the P-256 group (FIPS 186-4 D.1.2.3, SEC 2 2.4.2).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class JoseError(ValueError):
    """Malformed, or not signed by the key."""


def sign(claims: dict, key: ec.EllipticCurvePrivateKey, header: dict) -> str:
    protected = {"alg": "ES256", **header}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (protected, claims)
    )
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), _ES256))
    s = min(s, P256_ORDER - s)  # the low-S twin, the only one `verify` accepts
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


class _DuplicateMember(ValueError):
    pass


def _unique_members(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object whose member names are all different. With a duplicate, which value
    counts depends on the parser (most keep the last, some the first), so the phone's app
    and the service could read two different statements from one signature: refused, as
    RFC 7515 4 and RFC 7519 4 allow. Nested objects (the header's `jwk`) too."""
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _DuplicateMember
    return found


def _json(segment: str, part: str) -> object:
    try:
        return json.loads(b64url_decode(segment), object_pairs_hook=_unique_members)
    except _DuplicateMember as err:
        raise JoseError(f"duplicate member names in the JWS {part}") from err
    except (ValueError, RecursionError) as err:  # RecursionError: deeply nested JSON
        raise JoseError(f"malformed JWS {part}") from err


def header(token: str) -> dict:
    """The protected header, unverified: only to choose the key."""
    parts = token.split(".")
    found = _json(parts[0], "header") if len(parts) == 3 else None
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
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    if not (0 < r < P256_ORDER and 0 < s < P256_ORDER):
        raise JoseError("r and s must be in [1, n-1]")
    # ECDSA is malleable: whenever (r, s) verifies, so does (r, n - s), which anyone can
    # make without the key. Accepting only the low S gives each message one signature, as
    # codes.b64url_decode gives each signature one spelling: nobody can turn a proof or token
    # into a different string that still verifies (and that a cache keyed by it takes as new).
    if s > P256_ORDER // 2:
        raise JoseError("s must be in the lower half of the group (low-S)")
    der = encode_dss_signature(r, s)
    try:
        key.verify(der, signing_input, _ES256)
    except InvalidSignature as err:
        raise JoseError("signature does not verify") from err
    claims = _json(payload, "payload")
    if not isinstance(claims, dict):
        raise JoseError("payload must be a JSON object")
    return claims
