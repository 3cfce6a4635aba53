"""Getting into the security-info page: the service signs the person in as its own relying
party, through the tenant's hosted page, and turns a fresh sign-in into a short session.

`begin` sends the browser to /authorize with the built-in `account` client (PKCE S256, state,
nonce, max_age=MAX_AUTH_AGE: the browser's single sign-on session serves only while that fresh,
so a person who just signed in, with a recovery code say, is not asked again); `finish` is the
callback: it checks state against the login cookie, redeems the code in-process (the code
grant's own redeem: one use, this client, this redirect URI, this verifier), checks the nonce
and that the sign-in is at most MAX_AUTH_AGE old, and opens a session for the account. No
tokens are issued: the page needs none.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from chalicelib.domain import account_sessions, tokens
from chalicelib.domain.account_sessions import Session
from chalicelib.domain.accounts import Account
from chalicelib.domain.signins import PASSWORD_AMR, Outcome
from chalicelib.domain.tenants import ACCOUNT_CLIENT_ID, account_client
from chalicelib.errors import ServiceError
from chalicelib.service import Services
from chalicelib.usecases import code_grant, passkeys


class LoginRequired(ServiceError):
    """No session, or one that no longer holds: the page sends the browser to sign in."""

    status = 401
    code = "login_required"
    description = "Sign in again to see or change your security info."


class StrongerSignInRequired(ServiceError):
    """A password alone does not open the page of an account that has a phone or a passkey:
    whoever stole a password could otherwise add their own phone."""

    status = 403
    code = "stronger_signin_required"
    description = "Sign in with your phone or a passkey to change your security info."


def begin(svc: Services, tenant_id: str, ui_locales: str | None = None) -> tuple[str, str]:
    """Where to send the browser to sign in (the tenant's /authorize for the built-in
    client), and the login cookie that remembers what only this browser may finish with."""
    tenant = svc.directory.get(tenant_id)
    login = account_sessions.new_login(svc.rng, svc.now())
    query = {
        "client_id": ACCOUNT_CLIENT_ID,
        "redirect_uri": account_client(tenant.issuer).redirect_uris[0],
        "response_type": "code",
        "scope": "openid",
        "state": login.state,
        "nonce": login.nonce,
        "code_challenge": tokens.challenge_of(login.verifier),
        "code_challenge_method": "S256",
        "max_age": str(account_sessions.MAX_AUTH_AGE),  # a sign-in of the last 5 minutes
    }
    if ui_locales:
        query["ui_locales"] = ui_locales
    key = account_sessions.login_key(tenant.data_key)
    return f"{tenant.issuer}/authorize?{urlencode(query)}", account_sessions.seal_login(
        key, tenant_id, login
    )


def finish(
    svc: Services, tenant_id: str, params: dict[str, str], login_cookie: str | None
) -> tuple[Session, str]:
    """The callback: the session and its sealed cookie, or LoginRequired (and nothing
    changed but the code, spent) for anything that is not this browser's fresh sign-in."""
    tenant = svc.directory.get(tenant_id)
    now = svc.now()
    key = account_sessions.login_key(tenant.data_key)
    login = account_sessions.open_login(key, tenant_id, login_cookie, now)
    state, code = params.get("state"), params.get("code")
    if login is None or not state or not hmac.compare_digest(state.encode(), login.state.encode()):
        raise LoginRequired("This sign-in was not started by this browser, or took too long.")
    if params.get("error") or not code:
        raise LoginRequired("The sign-in did not finish.")
    client = account_client(tenant.issuer)
    form = {"code": code, "redirect_uri": client.redirect_uris[0], "code_verifier": login.verifier}
    try:
        signin = code_grant.redeem_code(svc, tenant, client, form, now)
    except ServiceError as err:  # unknown, spent, expired, another client's or verifier's
        raise LoginRequired("The sign-in's code is not valid.") from err
    # Through the browser's session, the sign-in's time is the person's real one.
    sub, auth_time = signin.account_id, signin.auth_time or signin.decided_at
    if signin.outcome is not Outcome.APPROVED or sub is None or auth_time is None:
        raise LoginRequired()
    if signin.nonce != login.nonce:
        raise LoginRequired("The sign-in was made for another request.")
    if not account_sessions.fresh(auth_time, now):
        raise LoginRequired("The sign-in is more than five minutes old: sign in again.")
    username = svc.accounts.username_of(tenant_id, sub)
    account = svc.accounts.get(tenant_id, username, consistent=True) if username else None
    if account is None or account.disabled or account.account_id != sub:
        raise LoginRequired()
    if tuple(signin.amr) == PASSWORD_AMR and has_methods(svc, account):
        raise StrongerSignInRequired()
    session = account_sessions.new_session(account.username, sub, auth_time, now, svc.rng)
    svc.record(
        tenant_id, "security_info_opened", account=sub, actor="self",
        detail={"amr": list(signin.amr)},
    )  # fmt: skip
    sealed = account_sessions.seal_session(
        account_sessions.session_key(tenant.data_key), tenant_id, session
    )
    return session, sealed


def has_methods(svc: Services, account: Account) -> bool:
    """Whether the account has a phone or a passkey (recovery codes are no method)."""
    return bool(account.devices) or bool(passkeys_of(svc, account.tenant_id, account.username))


def passkeys_of(svc: Services, tenant_id: str, username: str) -> list[dict]:
    """The account's passkeys, as the passkeys use case lists them."""
    return passkeys.listed(svc, tenant_id, username)


def session_of(svc: Services, tenant_id: str, cookie: str | None) -> Session:
    """The session a request carries, if it is this tenant's and unexpired; else LoginRequired."""
    tenant = svc.directory.get(tenant_id)
    key = account_sessions.session_key(tenant.data_key)
    session = account_sessions.open_session(key, tenant_id, cookie, svc.now())
    if session is None:
        raise LoginRequired()
    return session


def account_of(svc: Services, tenant_id: str, session: Session) -> Account:
    """The session's account as it is now: a disabled, deleted or re-made account ends it."""
    account = svc.accounts.get(tenant_id, session.username, consistent=True)
    if account is None or account.disabled or account.account_id != session.account_id:
        raise LoginRequired()
    return account
