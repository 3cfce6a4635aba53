"""ID tokens (RS256 or ES256, as the client registered) and access tokens (ES256, RFC 9068),
JWTs by RFC 8725; the JWKS and discovery (no I/O)."""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from chalicelib import contract
from chalicelib.domain import jose, scopes, secret_codes
from chalicelib.domain.secret_codes import RandomSource
from chalicelib.domain.tenants import SIGNING_ALGS, SigningKey
from chalicelib.errors import InvalidGrant, InvalidRequest

ACR_TWO_STEP = "urn:phonesignin:acr:mfa"  # phone sign-in, or password plus a second step
ACR_PASSWORD = "urn:phonesignin:acr:pwd"  # noqa: S105 - a name, not a secret
ACR_RECOVERY = "urn:phonesignin:acr:recovery"
# A passkey: a key on the person's device (hwk) or synced between their devices (swk), used
# with PIN or biometrics. Two factors like a phone sign-in, but a different proof (phishing
# resistant: bound to the page's origin), so an app can tell them apart.
ACR_PASSKEY = "urn:phonesignin:acr:passkey"
# A recovery code is a one-time password from a printed list (RFC 8176 "otp"): one factor,
# something the person holds. Not "pwd" (nothing memorised) and not "mfa": it stands in for
# lost methods and adds no step. Its own acr lets an app ask for more before anything risky.
RECOVERY_AMR = ("otp",)
ID_TOKEN_SECONDS = 300
ACCESS_TOKEN_SECONDS = 300
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}\Z")
_CHALLENGE = contract.pattern("CodeChallenge")


def id_token_claims(
    *,
    issuer: str,
    subject: str,
    audience: str,
    auth_time: int,
    now: int,
    nonce: str | None,
    amr: tuple[str, ...],
    identity: dict | None = None,
    acr: str | None = None,
    sid: str | None = None,
) -> dict:
    """`identity`: the claims the granted scopes release (scopes.identity_claims); `acr`:
    the sign-in's own when its amr does not tell it (a passkey), else acr_of(amr)."""
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": now,
        "exp": now + ID_TOKEN_SECONDS,
        "auth_time": auth_time,
        "amr": list(amr),
        "acr": acr or acr_of(amr),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    if sid is not None:  # the browser's sign-in session (Back-Channel Logout 1.0 2.1)
        claims["sid"] = sid
    return {**claims, **(identity or {})}


def acr_of(amr: tuple[str, ...]) -> str:
    """The acr a sign-in earns by what it proved (its amr)."""
    if "mfa" in amr:
        return ACR_TWO_STEP
    return ACR_RECOVERY if tuple(amr) == RECOVERY_AMR else ACR_PASSWORD


def access_token_claims(
    *, issuer: str, subject: str, client_id: str, now: int, rng: RandomSource, scope: str
) -> dict:
    """RFC 9068: `scope` is what was granted; userinfo releases claims by it."""
    return {
        "iss": issuer,
        "sub": subject,
        "aud": issuer,
        "client_id": client_id,
        "iat": now,
        "exp": now + ACCESS_TOKEN_SECONDS,
        "jti": secret_codes.new_secret(rng, 16),
        "scope": scope,
    }


def sign(
    claims: dict, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, kid: str, typ: str = "JWT"
) -> str:
    """ES256 with a P-256 key, RS256 with an RSA key (jose.sign)."""
    return jose.sign(claims, key, {"kid": kid, "typ": typ})


def jwks(keys: tuple[SigningKey, ...], now: int) -> dict:
    """Every key still published: the active ones, and retired ones whose tokens may be alive."""
    return {"keys": [key.public_jwk for key in keys if key.published(now)]}


def discovery(issuer: str, ui_locales: tuple[str, ...]) -> dict:
    """OpenID Connect Discovery 1.0 section 3: what the service does, and nothing it does not.
    `ui_locales`: the languages the page has catalogs for (language.available)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks.json",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "end_session_endpoint": f"{issuer}/logout",
        "backchannel_authentication_endpoint": f"{issuer}/bc-authorize",
        "backchannel_token_delivery_modes_supported": ["poll"],
        "backchannel_user_code_parameter_supported": False,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "urn:openid:params:grant-type:ciba"],
        "subject_types_supported": ["public"],
        # ID tokens as each client registered (RS256 when it registered nothing); userinfo
        # answers plain JSON, so no userinfo_signing_alg_values_supported.
        "id_token_signing_alg_values_supported": list(SIGNING_ALGS),
        # Client authentication by a shared secret or none: no JWT, so no signing algs for it.
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(scopes.SUPPORTED),
        "claims_supported": [
            *("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "sid"),
            *scopes.IDENTITY_CLAIMS,
        ],
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": False,
        "acr_values_supported": [ACR_TWO_STEP, ACR_PASSKEY, ACR_PASSWORD, ACR_RECOVERY],
        "prompt_values_supported": ["none", "login", "select_account"],
        "display_values_supported": ["page"],
        "ui_locales_supported": list(ui_locales),
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,  # RFC 9207
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }


def validate_code_challenge(challenge: object, method: object) -> str | None:
    if challenge is None:
        return None
    if method != "S256":
        raise InvalidRequest("code_challenge_method must be S256")
    if not isinstance(challenge, str) or not _CHALLENGE.match(challenge):
        raise InvalidRequest("code_challenge must be a base64url SHA-256")
    return challenge


def challenge_of(verifier: str | None) -> str | None:
    """RFC 7636 S256: the code_challenge a code_verifier answers (None for no verifier)."""
    if verifier is None:
        return None
    if not _VERIFIER.match(verifier):
        raise InvalidGrant("code_verifier is malformed")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
