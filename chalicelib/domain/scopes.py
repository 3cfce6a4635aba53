"""Scopes and the claims they release (OpenID Connect Core 5.4), no I/O.

A client asks for scopes; the service grants the ones it knows (RFC 6749 3.3 lets it grant
fewer: unknown ones are dropped, not refused) and says which in the token response. `profile`
releases `preferred_username`, the username as stored (normalised: NFKC, case-folded); `email`
releases `email` and `email_verified`, only for a username shaped like an address.
"""

from __future__ import annotations

import re

OPENID = "openid"
PROFILE = "profile"
EMAIL = "email"
SUPPORTED = (OPENID, PROFILE, EMAIL)  # in the order a granted scope lists them
IDENTITY_CLAIMS = ("preferred_username", "email", "email_verified")
# Usernames are whatever the tenant's administrator chose: nothing here proves the person
# controls the mailbox, so `email_verified` is false. A tenant whose usernames are verified
# addresses could say so; no policy option does yet.
EMAIL_VERIFIED = False
# One @, no spaces, a dot in the domain: a username that reads as an address (normalised, so
# lower case), not an RFC 5322 parser.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+\Z")


def grant(requested: str | None) -> str:
    """The scopes granted for a request's space-separated `scope`: the supported ones asked
    for, always with `openid` (every caller has required it), in a fixed order."""
    asked = set((requested or "").split())
    return " ".join(s for s in SUPPORTED if s == OPENID or s in asked)


def is_email(username: str) -> bool:
    return bool(_EMAIL.match(username))


def identity_claims(username: str | None, scope: str) -> dict:
    """The claims `scope` releases about the person with this username (None: unknown, none)."""
    granted = scope.split()
    claims: dict = {}
    if username is None:
        return claims
    if PROFILE in granted:
        claims["preferred_username"] = username
    if EMAIL in granted and is_email(username):
        claims["email"] = username
        claims["email_verified"] = EMAIL_VERIFIED
    return claims


def wants_identity(scope: str) -> bool:
    """Whether `scope` releases anything that needs the account's username."""
    return bool({PROFILE, EMAIL} & set(scope.split()))
