"""Single sign-on: the session a browser keeps with a tenant after a sign-in (no I/O).

A person who signed in on the hosted page is signed in to the tenant's other apps from that
browser without being asked again, as Entra and Okta do, until the session is idle too long,
reaches its absolute lifetime, or ends (logout; the account disabled, the device that proved
it removed, the password reset). The browser holds a cookie naming the session and its
secret; the server keeps the session itself, so ending it works at once, everywhere.

Whether a request may use the session (OpenID Connect Core 3.1.2.1): not with `prompt=login`
or `max_age` passed, not for another person (`login_hint`, `id_token_hint`), and not when
`acr_values` asks for more than the session proved.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from chalicelib.domain import secret_codes, tokens
from chalicelib.domain.signins import SignIn

COOKIE = "psi_session"
# The member of a page sign-in's approved answer that hands its SignIn to the web layer, which
# opens the session and sets the cookie; never sent (hosted_page.remember takes it out).
HANDOVER = "sso_signin"
_COOKIE_VALUE = re.compile(r"^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})\Z")

# How strong each acr is, for "asks for more than the session proved". A passkey is bound to
# the page's origin (phishing resistant); a phone sign-in is two factors; a password or a
# recovery code one.
ACR_STRENGTH = {
    tokens.ACR_PASSWORD: 1,
    tokens.ACR_RECOVERY: 1,
    tokens.ACR_TWO_STEP: 2,
    tokens.ACR_PASSKEY: 3,
}


@dataclass(frozen=True)
class SsoSession:
    """A browser's single sign-on session with a tenant."""

    tenant_id: str
    account_id: str
    user_key: str  # the person's (accounts.user_key): a login_hint must name them
    session_id: str  # the `sid` of ID tokens and logout tokens: public, not a secret
    secret_hash: str  # the cookie's secret, hashed: the cookie alone opens the session
    auth_time: int  # when the person really signed in: every token from it says so
    amr: tuple[str, ...]
    acr: str
    device_id: str | None  # the phone or passkey that proved it (its removal ends it)
    created_at: int
    last_seen_at: int
    idle_seconds: int
    expires_at: int  # the absolute end, whatever the use
    clients: tuple[str, ...] = ()  # the apps that got a code through it (logout tells them)

    def live(self, now: int) -> bool:
        return now < self.expires_at and now < self.last_seen_at + self.idle_seconds


def session_id_of(signin: SignIn) -> str | None:
    """The session a sign-in belongs to: the one it was made through, or for a page sign-in
    the one it opened, named by the sign-in, so its tokens carry this `sid` without a second
    write to it. None for CIBA (no browser). Public, like the sign-in id: a plain hash."""
    if signin.session_id is not None:
        return signin.session_id
    if signin.redirect_uri is None:
        return None
    digest = hashlib.sha256(f"sid:{signin.signin_id}:{signin.created_at}".encode()).digest()
    return secret_codes.b64url(digest)[:22]


def cookie_value(account_id: str, session_id: str, secret: str) -> str:
    return f"{account_id}.{session_id}.{secret}"


def parse_cookie(value: str | None) -> tuple[str, str, str] | None:
    """(account id, session id, secret), or None for anything that is not one of ours."""
    found = _COOKIE_VALUE.match(value or "")
    return (found.group(1), found.group(2), found.group(3)) if found else None


def opens(session: SsoSession | None, secret: str, now: int) -> bool:
    """The cookie's secret is this session's, and the session is live."""
    return (
        session is not None
        and secret_codes.same_secret(secret, session.secret_hash)
        and session.live(now)
    )


def satisfies_acr(acr: str, acr_values: str | None) -> bool:
    """The session proved at least the weakest acr the app asked for. Values this service
    does not know are ignored (acr_values is a voluntary request, Core 3.1.2.1)."""
    wanted = [ACR_STRENGTH[v] for v in (acr_values or "").split() if v in ACR_STRENGTH]
    return not wanted or ACR_STRENGTH.get(acr, 0) >= min(wanted)


def why_not_silent(
    session: SsoSession | None,
    now: int,
    *,
    prompt: frozenset[str],
    max_age: int | None,
    acr_values: str | None,
    hinted_user_key: str | None,
    hinted_subject: str | None,
) -> str | None:
    """None when the session signs this request in without asking the person; otherwise the
    error `prompt=none` answers (Core 3.1.2.6): `login_required` when the person must sign in
    (no session, too old for max_age, another person), `interaction_required` when they are
    signed in but the app wants more (a stronger acr)."""
    if session is None or "login" in prompt or "select_account" in prompt:
        return "login_required"
    if max_age is not None and (max_age == 0 or now - session.auth_time > max_age):
        return "login_required"
    if hinted_user_key is not None and hinted_user_key != session.user_key:
        return "login_required"
    if hinted_subject is not None and hinted_subject != session.account_id:
        return "login_required"
    if not satisfies_acr(session.acr, acr_values):
        return "interaction_required"
    return None
