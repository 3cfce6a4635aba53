"""Enrolled phones and their public keys (plain values, no I/O)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain import secret_codes
from chalicelib.domain.accounts import AccountKind
from chalicelib.errors import InvalidRequest

INSTALLATION_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}\Z")
MAX_PUSH_TOKEN = 4096
PUSH_TOKEN = re.compile(r"^[\x21-\x7e]+\Z")  # APNs hex, FCM base64url and ':'; SNS takes no other
# 32 bytes in 43 characters: the last one must leave its 2 spare bits zero, so a key has one
# spelling and one thumbprint (RFC 7638 assumes a unique encoding).
_COORDINATE = re.compile(r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]\Z")


class Platform(StrEnum):
    IOS = "ios"
    ANDROID = "android"


def push_channel(platform: Platform, apns_sandbox: bool) -> str:
    """The SNS platform (and platform application) a phone's push token belongs to."""
    if platform is Platform.ANDROID:
        return "GCM"
    return "APNS_SANDBOX" if apns_sandbox else "APNS"


def parse_public_jwk(jwk: object) -> dict:
    """Accept only a P-256 public key; refuse private parts and points off the curve."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise InvalidRequest("public_key must be an EC P-256 JWK")
    if "d" in jwk:
        raise InvalidRequest("public_key must not contain the private key")
    x, y = jwk.get("x"), jwk.get("y")
    if not (
        isinstance(x, str) and isinstance(y, str) and _COORDINATE.match(x) and _COORDINATE.match(y)
    ):
        raise InvalidRequest("public_key x and y must be 32-byte base64url values")
    public = {"kty": "EC", "crv": "P-256", "x": x, "y": y}
    public_key_from_jwk(public)  # raises if the point is not on the curve
    return public


def public_key_from_jwk(jwk: dict) -> ec.EllipticCurvePublicKey:
    try:
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(secret_codes.b64url_decode(jwk["x"]), "big"),
            int.from_bytes(secret_codes.b64url_decode(jwk["y"]), "big"),
            ec.SECP256R1(),
        )
        return numbers.public_key()
    except (ValueError, KeyError) as err:
        raise InvalidRequest("public_key is not a point on P-256") from err


def thumbprint(jwk: dict) -> str:
    """RFC 7638 thumbprint: the device id is its key, so a key cannot be swapped under an id."""
    canonical = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]},
        separators=(",", ":"),
        sort_keys=True,
    )
    return secret_codes.b64url(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True)
class Device:
    """A phone enrolled for an account, with its public key."""

    tenant_id: str
    device_id: str
    username: str
    account_id: str
    kind: AccountKind
    platform: Platform
    public_jwk: dict
    installation_id: str
    sealed_totp_secret: bytes
    created_at: int
    push_channel: str | None = None
    push_token: str | None = None
    endpoint_arn: str | None = None
    push_failed_at: int | None = None
    locale: str | None = None  # the language tag the phone sent, as sent (None: no preference)
    # when it last answered, as respond wrote it until approvals were kept (signin_history.py)
    last_used_at: int | None = None
