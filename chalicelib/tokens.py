"""ID and access tokens (ES256 JWTs, RFC 8725 / RFC 9068), JWKS and discovery (no I/O)."""

from __future__ import annotations

import base64
import hashlib
import re

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from . import codes
from .codes import RandomSource
from .errors import InvalidGrant, InvalidRequest
from .tenants import SigningKey

ID_TOKEN_SECONDS = 300
ACCESS_TOKEN_SECONDS = 300
PHONE_AMR = ("mfa", "hwk", "user")  # possession of a device key plus PIN/biometric unlock
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def id_token_claims(
    *,
    issuer: str,
    subject: str,
    audience: str,
    auth_time: int,
    now: int,
    nonce: str | None,
    amr: tuple[str, ...],
) -> dict:
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": now,
        "exp": now + ID_TOKEN_SECONDS,
        "auth_time": auth_time,
        "amr": list(amr),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    return claims


def access_token_claims(
    *, issuer: str, subject: str, client_id: str, now: int, rng: RandomSource
) -> dict:
    return {
        "iss": issuer,
        "sub": subject,
        "aud": issuer,
        "client_id": client_id,
        "iat": now,
        "exp": now + ACCESS_TOKEN_SECONDS,
        "jti": codes.new_secret(rng, 16),
        "scope": "openid",
    }


def sign(claims: dict, key: ec.EllipticCurvePrivateKey, kid: str, typ: str = "JWT") -> str:
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid, "typ": typ})


def jwks(keys: tuple[SigningKey, ...]) -> dict:
    """Every key still published: the active one and retired ones whose tokens may be alive."""
    return {"keys": [key.public_jwk for key in keys]}


def discovery(issuer: str) -> dict:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks.json",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr"],
    }


def validate_code_challenge(challenge: object, method: object) -> str | None:
    if challenge is None:
        return None
    if method != "S256":
        raise InvalidRequest("code_challenge_method must be S256")
    if not isinstance(challenge, str) or not _CHALLENGE.match(challenge):
        raise InvalidRequest("code_challenge must be a base64url SHA-256")
    return challenge


def check_code_verifier(verifier: str | None, challenge: str | None) -> None:
    """RFC 7636 S256. A code issued with a challenge needs the verifier, and vice versa."""
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant("no code_challenge was sent for this code")
        return
    if verifier is None or not _VERIFIER.match(verifier):
        raise InvalidGrant("code_verifier is missing or malformed")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
        raise InvalidGrant("code_verifier does not match code_challenge")
