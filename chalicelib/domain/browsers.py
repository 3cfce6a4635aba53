"""Recognised browsers: a signed, HttpOnly cookie a browser earns by signing someone in (no I/O).

A stranger who knows a username can use up what is shared by everyone who types it: the
pushes a day, the password attempts before a wait. The owner's browser is not a stranger: once
it has signed the person in, it carries a cookie naming that person, signed by the tenant, and
its attempts are counted on their own (its own pushes, its own password backoff), so nothing a
stranger sends reaches them. This is OWASP's "device cookie" defence against lockout.

The cookie holds up to MAX_PEOPLE entries (a shared computer), newest first, each
`<person>.<browser id>.<issued at, hex>.<HMAC>`; the keys are derived from the tenant's data
key, so it verifies in every container and cannot be moved to another tenant. `<person>` is a
keyed hash of the username's user key, so the cookie does not give usernames away to whoever
reads it (the user key alone is a plain hash: a dictionary reverses it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from chalicelib.domain import secret_codes
from chalicelib.domain.secret_codes import RandomSource

COOKIE = "psi_browser"
LIFETIME_SECONDS = 180 * 86400  # a browser used twice a year stays recognised
MAX_PEOPLE = 4
MAX_COOKIE = 512
_ENTRY = re.compile(r"^([0-9a-f]{16})\.([A-Za-z0-9_-]{16})\.([0-9a-f]{1,8})\.([A-Za-z0-9_-]{22})\Z")


@dataclass(frozen=True)
class Source:
    """Where an attempt comes from, as limits count it: a browser that signed this person in
    before, or else the network (an IPv4 address, or an IPv6 /64)."""

    network: str
    browser: str | None = None  # the recognised browser's id

    @property
    def recognised(self) -> bool:
        return self.browser is not None

    @property
    def key(self) -> str:
        return f"b-{self.browser}" if self.browser else f"n-{self.network}"


def cookie_key(data_key: bytes) -> bytes:
    """The tenant's key for browser cookies, derived so it serves nothing else."""
    return hmac.new(data_key, b"recognised-browser", hashlib.sha256).digest()


def _person(key: bytes, user_key: str) -> str:
    return hmac.new(key, b"person:" + user_key.encode(), hashlib.sha256).hexdigest()[:16]


def _mac(key: bytes, user_key: str, browser_id: str, issued: str) -> str:
    message = f"{user_key}.{browser_id}.{issued}".encode()
    return secret_codes.b64url(hmac.new(key, message, hashlib.sha256).digest()[:16])


def _entries(cookie: str | None) -> list[str]:
    if not cookie or len(cookie) > MAX_COOKIE:
        return []
    return [entry for entry in cookie.split("~")[:MAX_PEOPLE] if _ENTRY.match(entry)]


def recognised(key: bytes, cookie: str | None, user_key: str, now: int) -> str | None:
    """The browser's id if its cookie names this person, is the tenant's, and is not too old."""
    person = _person(key, user_key)
    for entry in _entries(cookie):
        found = _ENTRY.match(entry)
        assert found is not None
        who, browser_id, issued, mac = found.groups()
        if who != person or int(issued, 16) + LIFETIME_SECONDS <= now:
            continue
        if hmac.compare_digest(mac, _mac(key, who, browser_id, issued)):
            return browser_id
    return None


def remember(key: bytes, cookie: str | None, user_key: str, now: int, rng: RandomSource) -> str:
    """The cookie after this person signed in here: their entry renewed (same browser id if
    they had one) and first, other people's kept, the oldest dropped past MAX_PEOPLE."""
    browser_id = recognised(key, cookie, user_key, now) or secret_codes.new_secret(rng, 12)
    issued, person = f"{now:x}", _person(key, user_key)
    mine = f"{person}.{browser_id}.{issued}.{_mac(key, person, browser_id, issued)}"
    others = [e for e in _entries(cookie) if not e.startswith(person + ".")]
    return "~".join([mine, *others][:MAX_PEOPLE])
