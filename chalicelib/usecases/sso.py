"""Single sign-on, the use cases: open a session after a page sign-in, sign another app in
through it, and end sessions (domain/sso.py says when a session may be used).

A session is opened by the sign-in's own approved answer (never by CIBA, which has no
browser), named by that sign-in (sso.session_id_of), so its tokens carry the `sid` with no
second write. An app signed in through it gets a sign-in of its own, approved at once like a
password's, whose tokens say what the session proved and when (amr, acr, auth_time).
"""

from __future__ import annotations

from chalicelib.domain import secret_codes, signins, sso, tokens
from chalicelib.domain.accounts import normalise_username, user_key
from chalicelib.domain.signins import Origin, Outcome, SignIn
from chalicelib.domain.sso import SsoSession
from chalicelib.service import Services
from chalicelib.usecases import backchannel_logout
from chalicelib.usecases.authorize import AuthorizeRequest, ClientReply
from chalicelib.usecases.phone_signin import open_signin

SILENT = "session"  # decided_by of a sign-in made through a session


def begin(svc: Services, tenant_id: str, signin: SignIn, old_cookie: str | None) -> str | None:
    """Open the session a page sign-in starts; the cookie value for the browser, or None (a
    sign-in with no browser to remember it, or one whose session was opened already). The
    browser's previous session ends: the same person's apps move to the new one, another
    person's are logged out."""
    if signin.account_id is None or signin.redirect_uri is None or signin.decided_at is None:
        return None
    tenant = svc.directory.get(tenant_id)
    now, policy = svc.now(), tenant.tenant.policy
    auth_time = signin.auth_time or signin.decided_at
    clients = [signin.client_id]
    old = current(svc, tenant_id, old_cookie)
    if old is not None:
        gone = svc.sessions.end(tenant_id, old.account_id, old.session_id)
        if old.account_id == signin.account_id:
            clients += [c for c in old.clients if c not in clients]
        elif gone is not None:
            ended(svc, tenant_id, [gone], "replaced")
    secret = secret_codes.new_secret(svc.rng)
    session = SsoSession(
        tenant_id=tenant_id,
        account_id=signin.account_id,
        user_key=signin.user_key,
        session_id=sso.session_id_of(signin) or "",
        secret_hash=secret_codes.hash_secret(secret),
        auth_time=auth_time,
        amr=signin.amr,
        acr=signin.acr or tokens.acr_of(signin.amr),
        device_id=_proved_by(signin),
        created_at=now,
        last_seen_at=now,
        idle_seconds=policy.session_idle_seconds,
        expires_at=auth_time + policy.session_max_seconds,
        clients=tuple(clients),
    )
    # Not audited apart: the sign-in that opens it is on record (a phone's approval as its
    # decided sign-in, kept as long as the audit log; a password or passkey as its event), and
    # a write per sign-in is a fifth of its cost.
    if not session.live(now) or not svc.sessions.begin(session):
        return None
    return sso.cookie_value(session.account_id, session.session_id, secret)


def _proved_by(signin: SignIn) -> str | None:
    """The phone (device id) or passkey (credential id) that proved the sign-in: removing it
    ends the session. None for a password or recovery code."""
    if signin.decided_by in (None, "password", "recovery", SILENT):
        return None
    return signin.decided_by


def current(svc: Services, tenant_id: str, cookie: str | None) -> SsoSession | None:
    """The browser's live session with this tenant, if its cookie opens one."""
    parsed = sso.parse_cookie(cookie)
    if parsed is None:
        return None
    account_id, session_id, secret = parsed
    session = svc.sessions.get(tenant_id, account_id, session_id)
    return session if sso.opens(session, secret, svc.now()) else None


def silent_reply(
    svc: Services, request: AuthorizeRequest, cookie: str | None, origin: Origin
) -> ClientReply | None:
    """The answer for the app without showing the page: a code through the browser's
    session, or (prompt=none) the error saying why not. None: show the page."""
    session = current(svc, request.tenant.tenant_id, cookie)
    why_not = sso.why_not_silent(
        session,
        svc.now(),
        prompt=request.prompt,
        max_age=request.max_age,
        acr_values=request.acr_values,
        hinted_user_key=user_key(normalise_username(request.login_hint))
        if request.login_hint
        else None,
        hinted_subject=request.hinted_subject,
    )
    if why_not is None and session is not None:
        code = sign_in_silently(svc, request, session, origin)
        if code is not None:
            return request.reply(code=code)
        why_not = "login_required"  # the session ended a moment ago
    if "none" not in request.prompt:
        return None
    description = {
        "login_required": "the person must sign in",
        "interaction_required": "the person must sign in again, more strongly",
    }[why_not or "login_required"]
    return request.reply(error=why_not or "login_required", error_description=description)


def sign_in_silently(
    svc: Services, request: AuthorizeRequest, session: SsoSession, origin: Origin
) -> str | None:
    """A code for the app through the session, or None if the session just ended."""
    tenant, now = request.tenant, svc.now()
    if not svc.sessions.join(session, request.client_id, now):
        return None
    signin, secret = open_signin(
        svc, tenant, session.user_key, origin, numbered=False, amr=session.amr,
        acr=session.acr, outcome=Outcome.APPROVED, decided_at=now, decided_by=SILENT,
        client_id=request.client_id, account_id=session.account_id, nonce=request.nonce,
        code_challenge=request.code_challenge, redirect_uri=request.redirect_uri,
        scope=request.scope, session_id=session.session_id, auth_time=session.auth_time,
    )  # fmt: skip
    svc.record(
        tenant.tenant_id, "session_signin", account=session.account_id,
        detail={"sid": session.session_id, "client_id": request.client_id},
    )  # fmt: skip
    return signins.authorization_code(secret, signin.signin_id)


def end_for_account(
    svc: Services, tenant_id: str, account_id: str, reason: str, device_id: str | None = None
) -> int:
    """End the person's sessions at once: all of them, or those a device proved. How many."""
    sessions = svc.sessions.of_account(tenant_id, account_id)
    chosen = [s for s in sessions if device_id is None or s.device_id == device_id]
    gone = [svc.sessions.end(tenant_id, s.account_id, s.session_id) for s in chosen]
    done = [s for s in gone if s is not None]
    ended(svc, tenant_id, done, reason)
    return len(done)


def ended(svc: Services, tenant_id: str, sessions: list[SsoSession], reason: str) -> None:
    """Sessions that ended: each in the audit log, with the apps it had signed in to, and
    those apps told by back-channel logout (backchannel_logout.py)."""
    for session in sessions:
        svc.record(
            tenant_id, "session_ended", account=session.account_id,
            detail={"sid": session.session_id, "reason": reason, "clients": list(session.clients)},
        )  # fmt: skip
    backchannel_logout.notify(svc, tenant_id, sessions)
