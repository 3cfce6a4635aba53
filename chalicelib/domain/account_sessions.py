"""The security-info page's two cookies: the sign-in it started, and the session that sign-in
earns (plain values, no I/O).

The page is the service's own relying party (the built-in `account` client, tenants.py). To
open it, the browser signs in on the tenant's hosted page (authorization code, PKCE S256,
`state`, `nonce`, `prompt=login`); the sign-in's `state`, PKCE verifier and nonce wait in the
login cookie meanwhile. The callback turns a fresh sign-in (at most MAX_AUTH_AGE old) into the
session cookie: who (username and sub), when they signed in, until when the session holds, and
the CSRF token every change must echo.

Both cookies are `<payload>.<mac>`: base64url JSON, and an HMAC-SHA256 over the cookie's kind,
the tenant id and the payload, under keys derived from the tenant's data key (as browsers.py
does), so they verify in every container, cannot be changed, and mean nothing at another
tenant. The payload is signed, not encrypted: it holds nothing the person does not know.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass

from chalicelib.domain import secret_codes
from chalicelib.domain.secret_codes import RandomSource

SESSION_COOKIE = "psi_account"
LOGIN_COOKIE = "psi_account_login"
SESSION_SECONDS = 600  # the page's session: 10 minutes from the sign-in's callback
MAX_AUTH_AGE = 300  # a sign-in older than 5 minutes does not open the page
LOGIN_SECONDS = 900  # long enough to type a username and answer on the phone (<= 600 s)
MAX_COOKIE = 1024


@dataclass(frozen=True)
class Session:
    """The security-info page's session cookie, read."""

    username: str
    account_id: str  # the sub: a session outlives no account deleted and made again
    auth_time: int
    expires_at: int
    csrf: str


@dataclass(frozen=True)
class LoginState:
    """The login cookie: the page's sign-in under way (state, PKCE verifier, nonce)."""

    state: str
    verifier: str  # PKCE code_verifier: 43 characters of base64url (RFC 7636 4.1)
    nonce: str
    expires_at: int


def _key(data_key: bytes, purpose: bytes) -> bytes:
    return hmac.new(data_key, purpose, hashlib.sha256).digest()


def session_key(data_key: bytes) -> bytes:
    """The tenant's key for session cookies, derived so it serves nothing else."""
    return _key(data_key, b"account-session")


def login_key(data_key: bytes) -> bytes:
    return _key(data_key, b"account-login")


def _mac(key: bytes, kind: str, tenant_id: str, payload: str) -> str:
    message = f"{kind}\n{tenant_id}\n{payload}".encode()
    return secret_codes.b64url(hmac.new(key, message, hashlib.sha256).digest())


def _seal(key: bytes, kind: str, tenant_id: str, fields: dict) -> str:
    raw = json.dumps(fields, separators=(",", ":"), sort_keys=True, ensure_ascii=True)
    payload = secret_codes.b64url(raw.encode())
    return f"{payload}.{_mac(key, kind, tenant_id, payload)}"


def _open(key: bytes, kind: str, tenant_id: str, cookie: str | None) -> dict | None:
    """The cookie's fields if its MAC is this tenant's for this kind; else None."""
    if not cookie or len(cookie) > MAX_COOKIE or cookie.count(".") != 1:
        return None
    payload, mac = cookie.split(".")
    if not hmac.compare_digest(mac.encode(), _mac(key, kind, tenant_id, payload).encode()):
        return None
    try:
        fields = json.loads(secret_codes.b64url_decode(payload))
    except ValueError:  # not base64url, not UTF-8 or not JSON: never signed by us
        return None
    return fields if isinstance(fields, dict) else None


def new_session(username: str, account_id: str, auth_time: int, now: int, rng: RandomSource):
    return Session(
        username=username,
        account_id=account_id,
        auth_time=auth_time,
        expires_at=now + SESSION_SECONDS,
        csrf=secret_codes.new_secret(rng, 24),
    )


def seal_session(key: bytes, tenant_id: str, session: Session) -> str:
    return _seal(key, "session", tenant_id, asdict(session))


def open_session(key: bytes, tenant_id: str, cookie: str | None, now: int) -> Session | None:
    """The session the cookie holds: signed for this tenant, of the right shape, unexpired."""
    fields = _open(key, "session", tenant_id, cookie)
    try:
        session = Session(**fields) if fields is not None else None
    except TypeError:
        return None
    if session is None or not _typed(session, str, str, int, int, str):
        return None
    return session if now < session.expires_at else None


def fresh(auth_time: int, now: int) -> bool:
    """A sign-in recent enough to open the page: the person was there minutes ago."""
    return now - MAX_AUTH_AGE <= auth_time <= now


def new_login(rng: RandomSource, now: int) -> LoginState:
    return LoginState(
        state=secret_codes.new_secret(rng, 16),
        verifier=secret_codes.new_secret(rng, 32),
        nonce=secret_codes.new_secret(rng, 16),
        expires_at=now + LOGIN_SECONDS,
    )


def seal_login(key: bytes, tenant_id: str, login: LoginState) -> str:
    return _seal(key, "login", tenant_id, asdict(login))


def open_login(key: bytes, tenant_id: str, cookie: str | None, now: int) -> LoginState | None:
    fields = _open(key, "login", tenant_id, cookie)
    try:
        login = LoginState(**fields) if fields is not None else None
    except TypeError:
        return None
    if login is None or not _typed(login, str, str, str, int):
        return None
    return login if now < login.expires_at else None


def _typed(value: Session | LoginState, *kinds: type) -> bool:
    pairs = zip(asdict(value).values(), kinds, strict=True)
    return all(isinstance(f, kind) and not isinstance(f, bool) for f, kind in pairs)
