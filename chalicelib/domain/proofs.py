"""Statements a phone signs with its device key: compact JWS, ES256 only, `typ` pinned.

Every device call carries one. The header names the key (`kid` = device id, or the `jwk`
itself at enrolment) and holds nothing else; the payload names the audience (the tenant's
issuer), the time and a unique id. Nothing but ES256 is ever tried, whatever the header asks
for (RFC 8725 3.1).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain import jose
from chalicelib.errors import InvalidDeviceProof

ALGORITHM = "ES256"
ENROL_TYP = "device-enrol+jwt"
REQUEST_TYP = "device-request+jwt"
RESPONSE_TYP = "signin-response+jwt"
MAX_PROOF_BYTES = 8192
# Exactly these header members, per kind of proof. One way to name the key per call: a `kid`
# on an enrol proof or a `jwk` on a later one would be a second, unchecked claim about the key.
HEADER_MEMBERS = {
    ENROL_TYP: frozenset({"alg", "typ", "jwk"}),
    REQUEST_TYP: frozenset({"alg", "typ", "kid"}),
    RESPONSE_TYP: frozenset({"alg", "typ", "kid"}),
}
MAX_AGE_SECONDS = 120
MAX_CLOCK_SKEW_SECONDS = 30
_COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\Z")
_JTI = re.compile(r"^[A-Za-z0-9_-]{16,64}\Z")


@dataclass(frozen=True)
class Proof:
    """A phone's signed proof, verified: its header and claims."""

    header: dict
    claims: dict

    @property
    def jti(self) -> str:
        return self.claims["jti"]


def unverified_header(token: object, typ: str) -> dict:
    """Read and check the header before any key is looked up."""
    if not isinstance(token, str) or len(token) > MAX_PROOF_BYTES or not _COMPACT.match(token):
        raise InvalidDeviceProof("expected a compact JWS")
    try:
        header = jose.header(token)
    except jose.JoseError as err:
        raise InvalidDeviceProof(str(err)) from err
    if header.get("alg") != ALGORITHM:
        raise InvalidDeviceProof("alg must be ES256")
    if header.get("typ") != typ:
        raise InvalidDeviceProof(f"typ must be {typ}")
    expected = HEADER_MEMBERS[typ]
    unknown = set(header) - expected
    if unknown:  # crit, b64, x5u, jku...: nothing else is understood, so nothing else passes
        raise InvalidDeviceProof(f"unsupported header parameters: {sorted(unknown)}")
    missing = expected - set(header)
    if missing:
        raise InvalidDeviceProof(f"missing header parameters: {sorted(missing)}")
    return header


def verify(
    token: str,
    header: dict,
    key: ec.EllipticCurvePublicKey,
    audience: str,
    now: int,
) -> Proof:
    """Check the signature with `key`, then the audience, the time and the unique id."""
    try:
        claims = jose.verify(token, key)
    except jose.JoseError as err:
        raise InvalidDeviceProof(str(err)) from err
    if claims.get("aud") != audience:
        raise InvalidDeviceProof("wrong audience")
    issued = claims.get("iat")
    if not isinstance(issued, int) or isinstance(issued, bool):
        raise InvalidDeviceProof("iat must be an integer")
    if not now - MAX_AGE_SECONDS <= issued <= now + MAX_CLOCK_SKEW_SECONDS:
        raise InvalidDeviceProof("iat is too old or in the future")
    if not isinstance(claims.get("jti"), str) or not _JTI.match(claims["jti"]):
        raise InvalidDeviceProof("jti must be 16-64 url-safe characters")
    return Proof(header=header, claims=claims)


def verify_with_device(
    token: object,
    typ: str,
    lookup: Callable[[str], ec.EllipticCurvePublicKey | None],
    audience: str,
    now: int,
) -> Proof:
    """Verify a proof whose header names an enrolled device by `kid`."""
    header = unverified_header(token, typ)
    kid = header.get("kid")
    if not isinstance(kid, str) or not 8 <= len(kid) <= 64:
        raise InvalidDeviceProof("kid must name the device")
    key = lookup(kid)
    if key is None:
        raise InvalidDeviceProof("unknown device")
    assert isinstance(token, str)
    return verify(token, header, key, audience, now)
