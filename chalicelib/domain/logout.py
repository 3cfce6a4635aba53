"""Logout, the rules (no I/O): which ID token an app may hand back as a hint, where the browser
may go afterwards, and the logout token that tells an app a session ended.

OpenID Connect RP-Initiated Logout 1.0: an app sends the browser to `{issuer}/logout`, best
with the ID token it got (`id_token_hint`), which says who is signing out and from which app.
The hint is only believed when this tenant signed it (one of its published keys, each key
verifying with its own algorithm only: RFC 8725 2.1), names this tenant as issuer, is an ID
token (typ JWT: not an access or logout token) and, when the app also names itself, is for
that app. An expired hint is still a good hint (the app's ID token is minutes old, its own
session hours): the spec asks providers to accept them.

OpenID Connect Back-Channel Logout 1.0: every app that took part in an ended session and
registered a `backchannel_logout_uri` is sent a logout token (2.4): `sub` and `sid` both (the
spec allows both; an app that registered `backchannel_logout_session_required` needs `sid`,
and one that keys its sessions by person needs `sub`), an `events` member, no `nonce` (so it
can never pass for an ID token), explicitly typed `logout+jwt`, signed like the app's ID
tokens, and alive for two minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from chalicelib.domain import jose, secret_codes
from chalicelib.domain.devices import public_key_from_jwk
from chalicelib.domain.secret_codes import RandomSource
from chalicelib.domain.tenants import Client, Tenant
from chalicelib.errors import InvalidRequest

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"  # noqa: S105 - a media type, not a secret
LOGOUT_TOKEN_SECONDS = 120
# A delivery waits this long for the app's answer, and is tried this many times at most: the
# deliveries of one logout run in parallel, so a logout waits at most about
# DELIVERY_ATTEMPTS * DELIVERY_TIMEOUT_SECONDS for the slowest app, whatever the number of apps.
DELIVERY_TIMEOUT_SECONDS = 2.0
DELIVERY_ATTEMPTS = 2
MAX_PARALLEL_DELIVERIES = 32
# What tokens.sign writes in an ID token's header (access tokens say at+jwt).
ID_TOKEN_TYPE = "JWT"  # noqa: S105 - a media type, not a secret


class InvalidHint(InvalidRequest):
    """The id_token_hint is not an ID token this tenant issued (for this app)."""

    def __init__(self, why: str):
        super().__init__(f"id_token_hint {why}")


@dataclass(frozen=True)
class Hint:
    """What a verified id_token_hint says: the person, the app it was issued to, and the
    browser session it came from (None for a CIBA sign-in's ID token)."""

    subject: str
    client_id: str
    session_id: str | None


def verify_hint(
    tenant: Tenant, issuer: str, hint: str, now: int, client_id: str | None = None
) -> Hint:
    """The hint's facts, or InvalidHint saying why it is not believed."""
    try:
        header = jose.header(hint)
    except jose.JoseError as err:
        raise InvalidHint("is not a JWS") from err
    keys = {k.kid: k for k in tenant.signing_keys if k.published(now)}
    kid = header.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise InvalidHint("is not signed by a key of this tenant")
    if header.get("typ") != ID_TOKEN_TYPE:
        raise InvalidHint("is not an ID token")
    try:
        public = _public_key(key.public_jwk)
        if isinstance(public, rsa.RSAPublicKey):
            claims = jose.verify_rs256(hint, public)
        else:
            claims = jose.verify(hint, public)
    except (jose.JoseError, InvalidRequest) as err:
        raise InvalidHint("does not verify") from err
    if claims.get("iss") != issuer:
        raise InvalidHint("was issued by another tenant")
    subject, audience, sid = claims.get("sub"), claims.get("aud"), claims.get("sid")
    if not isinstance(subject, str) or not isinstance(audience, str) or "events" in claims:
        raise InvalidHint("is not an ID token")
    if client_id is not None and audience != client_id:
        raise InvalidHint("was issued to another client")
    return Hint(subject, audience, sid if isinstance(sid, str) else None)


def _public_key(jwk: dict) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    """A published key as `cryptography` holds it: RSA for RS256, else P-256 for ES256."""
    if jwk.get("kty") != "RSA":
        return public_key_from_jwk(jwk)
    try:
        n, e = (int.from_bytes(secret_codes.b64url_decode(jwk[m]), "big") for m in ("n", "e"))
        return rsa.RSAPublicNumbers(e, n).public_key()
    except (KeyError, ValueError) as err:
        raise InvalidRequest("not an RSA public key") from err


def post_logout_target(client: Client | None, uri: str | None) -> str | None:
    """Where the browser goes after the logout: `uri` only when it is registered, exactly,
    for the client the request is known to come from (no open redirector: RFC 9700 4.11)."""
    if client is None or not uri or uri not in client.post_logout_redirect_uris:
        return None
    return uri


def logout_token_claims(
    *, issuer: str, client_id: str, subject: str, session_id: str, now: int, rng: RandomSource
) -> dict:
    """Back-Channel Logout 1.0 2.4: the claims of one app's logout token for one session."""
    return {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECONDS,
        "jti": secret_codes.new_secret(rng, 16),
        "sub": subject,
        "sid": session_id,
        "events": {LOGOUT_EVENT: {}},
    }


def delivered(status: int | None) -> bool:
    """The app took the token: 200 as the spec says, or 204 as some frameworks answer."""
    return status is not None and 200 <= status < 300


def worth_retrying(status: int | None) -> bool:
    """No answer, or the app's server failing: another try may land. A 4xx is the app
    refusing this token, and would refuse it again."""
    return status is None or status >= 500 or status == 429
