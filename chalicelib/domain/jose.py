"""Compact JWS, signed and verified by PyJWT's algorithms: ES256, and RS256 for ID tokens.

The service signs ID and access tokens and verifies phones' proofs and its own access tokens.
It verifies ES256 and nothing else (no algorithm is ever chosen by a header or a key: RFC
8725 2.1). RS256 signs ID tokens for the relying parties that registered it (OIDC Core 15.1
makes it the one algorithm every provider offers), and is verified only by `verify_rs256`,
for such an ID token handed back as a logout or sign-in hint. PyJWT's ES256 and RS256
algorithms sign and verify; this module frames the compact JWS itself, as PyJWT's encoder
does (sorted compact header, compact payload), and reads it more strictly than PyJWT's
decoder, once: each segment must be canonical base64url (PyJWT's decoder skips stray
characters), the signature must carry the low S, JSON member names must be unique (PyJWT
keeps the last duplicate), and no extension (`crit`, `b64`) is understood. Without these,
one signed statement could be spelled several ways, or read two ways. Framing it here spares
each request PyJWT's second parse of every segment (a third of a sign-in's own CPU went to
that).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from chalicelib.domain.secret_codes import b64url, b64url_decode

# n, the order of the P-256 group (FIPS 186-4 D.1.2.3, SEC 2 2.4.2).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HEADER_JSON = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode
_PAYLOAD_JSON = json.JSONEncoder(separators=(",", ":")).encode


class JoseError(ValueError):
    """Malformed, or not signed by the key."""


@cache
def _algorithm(alg: str) -> Any:
    """PyJWT's ES256 or RS256 algorithm, PyJWT imported on the first signature: `import jwt`
    also loads cryptography.x509 and PyJWT's JWKS client (about 30 ms of a cold start), and
    a container that only serves pages and starts sign-ins signs and verifies nothing."""
    import jwt  # deferred: see above

    return jwt.PyJWS(algorithms=[alg]).get_algorithm_by_name(alg)


def sign(claims: dict, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, header: dict) -> str:
    """Signed by `key` with its one algorithm: ES256 for a P-256 key, RS256 for an RSA key.
    The same bytes PyJWT's `jwt.encode` makes, with the ES256 signature's S made low."""
    alg = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    algorithm = _algorithm(alg)
    head = _HEADER_JSON({"typ": "JWT", **header, "alg": alg}).encode()
    signing_input = f"{b64url(head)}.{b64url(_PAYLOAD_JSON(claims).encode())}"
    raw = algorithm.sign(signing_input.encode(), algorithm.prepare_key(key))
    if alg == "ES256":
        s = int.from_bytes(raw[32:], "big")
        if s > P256_ORDER // 2:  # the low-S twin, the only one `verify` accepts
            raw = raw[:32] + (P256_ORDER - s).to_bytes(32, "big")
    return f"{signing_input}.{b64url(raw)}"


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
        raw = b64url_decode(segment)
    except ValueError as err:  # not base64url, or not ASCII
        raise JoseError(f"malformed JWS {part}") from err
    return _json_bytes(raw, part)


def _json_bytes(raw: bytes, part: str) -> object:
    try:
        return json.loads(raw, object_pairs_hook=_unique_members)
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


def _verified_header(token: str, alg: str) -> None:
    found = header(token)
    if found.get("alg") != alg:
        raise JoseError(f"alg must be {alg}")
    if not isinstance(found.get("kid", ""), str):
        raise JoseError("kid must be a string")
    if "crit" in found or "b64" in found:  # no extension is understood (RFC 7515 4.1.11)
        raise JoseError("unsupported JWS extension")


def verify(token: str, key: ec.EllipticCurvePublicKey) -> dict:
    """The payload, once the ES256 signature by `key` checks out; the header must say ES256.
    Never RS256: a phone's proof and the service's access tokens are never signed that way,
    so an RS256 token is refused here whoever signed it (verify_rs256 reads ID token hints)."""
    _verified_header(token, "ES256")
    signing_input, raw, body = _segments(token)
    if len(raw) != 64:
        raise JoseError("an ES256 signature is 64 bytes")
    # ECDSA is malleable: whenever (r, s) verifies, so does (r, n - s), which anyone can
    # make without the key. Accepting only the low S gives each message one signature, as
    # b64url_decode gives each signature one spelling: nobody can turn a proof or token
    # into a different string that still verifies (and that a cache keyed by it takes as new).
    if int.from_bytes(raw[32:], "big") > P256_ORDER // 2:
        raise JoseError("s must be in the lower half of the group (low-S)")
    es256 = _algorithm("ES256")
    if not es256.verify(signing_input, es256.prepare_key(key), raw):
        raise JoseError("signature does not verify")
    return _claims(body)


def verify_rs256(token: str, key: rsa.RSAPublicKey) -> dict:
    """The payload, once the RS256 signature by `key` checks out; the header must say RS256.
    Only for the service's own RS256 ID tokens, handed back by an app as `id_token_hint`
    (domain/logout.py picks the key by its kid, and the key decides the algorithm)."""
    _verified_header(token, "RS256")
    signing_input, raw, body = _segments(token)
    rs256 = _algorithm("RS256")
    if not rs256.verify(signing_input, rs256.prepare_key(key), raw):
        raise JoseError("signature does not verify")
    return _claims(body)


def _segments(token: str) -> tuple[bytes, bytes, bytes]:
    """The signing input, the signature and the payload of a token `header` has read, each
    segment in its canonical spelling, or refused."""
    signing_input, _, signature = token.rpartition(".")
    try:
        raw, body = b64url_decode(signature), b64url_decode(signing_input.partition(".")[2])
        return signing_input.encode("ascii"), raw, body
    except ValueError as err:  # not base64url, or not ASCII
        raise JoseError("malformed JWS") from err


def _claims(body: bytes) -> dict:
    claims = _json_bytes(body, "payload")
    if not isinstance(claims, dict):
        raise JoseError("payload must be a JSON object")
    return claims
