"""The security-info page (/t/{tenant}/account): getting in, the list of the person's methods,
adding a phone by a QR code, removing one; and the page an enrolment link opens in a browser.

The page is server-rendered, and all but "Add a passkey" (WebAuthn: static/account.js, JSON)
works without a script: its changes are form POSTs that carry the session's CSRF token
(account_session.change). The QR code is made here, on the server, as inline SVG (segno): no
script, no image host, nothing leaves the service. The lists are account_lists.py's.
"""

from __future__ import annotations

from chalice import Response
from chalice.app import HeadersType, Request

from chalicelib import contract
from chalicelib.domain import account_sessions, enrolment
from chalicelib.domain.language import N_
from chalicelib.service import Services
from chalicelib.usecases import account_signin, security_info
from chalicelib.usecases.account_signin import LoginRequired
from chalicelib.web import account_lists, account_session, page
from chalicelib.web.account_session import base_path, cookie, language_of, page_path
from chalicelib.web.bodies import cookies, query

QR_LABEL = N_("QR code with the link to add your phone")


def home(svc: Services, tenant_id: str, request: Request) -> Response:
    """The page, or, without a session that holds, the way in: the tenant's sign-in page."""
    params = query(request)
    contract.check_query("get", "/t/{tenant_id}/account", params)
    try:
        session = account_session.session_of(svc, tenant_id, request)
        overview = security_info.overview(svc, tenant_id, session)
    except LoginRequired:
        location, login = account_signin.begin(svc, tenant_id, params.get("ui_locales"))
        headers: HeadersType = {
            "Location": location,
            "Cache-Control": "no-store",
            "Set-Cookie": cookie(
                svc, tenant_id, account_sessions.LOGIN_COOKIE, login,
                account_sessions.LOGIN_SECONDS, "Lax",
            ),
        }  # fmt: skip
        return Response(body="", status_code=302, headers=headers)
    locale = language_of(request)
    body = page.render(
        "account.html",
        locale,
        **_frame(svc, tenant_id, locale, session),
        languages=page.language_switch(locale, params),
        phones=account_lists.phones(page_path(svc, tenant_id), overview, session, locale),
        passkeys=account_lists.passkeys(page_path(svc, tenant_id), overview, session, locale),
        warning=account_lists.warning(overview, locale),
        recovery=account_lists.recovery(overview["recovery_codes"], locale),
        passkeys_enabled="yes" if overview["passkeys_enabled"] else "no",
        recovery_form="" if overview["recovery_codes_usable"] else "hidden",
        text=account_lists.script_text(locale),
    )
    return _html(200, body)


def callback(svc: Services, tenant_id: str, request: Request) -> Response:
    """The sign-in came back: open the session, forget the login, show the page."""
    sent = cookies(request).get(account_sessions.LOGIN_COOKIE)
    params = query(request)
    contract.check_query("get", "/t/{tenant_id}/account/callback", params)
    _, sealed = account_signin.finish(svc, tenant_id, params, sent)
    headers: HeadersType = {
        "Location": page_path(svc, tenant_id),
        "Cache-Control": "no-store",
        "Set-Cookie": [
            cookie(
                svc, tenant_id, account_sessions.SESSION_COOKIE, sealed,
                account_sessions.SESSION_SECONDS, "Strict",
            ),
            cookie(svc, tenant_id, account_sessions.LOGIN_COOKIE, "", 0, "Lax"),
        ],
    }  # fmt: skip
    return Response(body="", status_code=303, headers=headers)


def add_phone(svc: Services, tenant_id: str, request: Request, form: dict) -> Response:
    """A fresh activation code, shown once: its enrolment link as a QR code, and as text."""
    session = account_session.change(svc, tenant_id, request, form)
    issued = security_info.add_phone(svc, tenant_id, session)
    locale = language_of(request, form)
    label = page.message(locale, QR_LABEL, {})
    body = page.render(
        "account_phone.html",
        locale,
        **_frame(svc, tenant_id, locale, session),
        qr=page.Html(
            f'<div class="qr" role="img" aria-label="{label}">{qr_svg(issued["link"])}</div>'
        ),
        link=issued["link"],
        code=issued["activation_code"],
        minutes=enrolment.PAGE_SECONDS // 60,
    )
    return _html(200, body)


def remove_phone(
    svc: Services, tenant_id: str, request: Request, form: dict, device_id: str
) -> Response:
    session = account_session.change(svc, tenant_id, request, form)
    security_info.remove_phone(svc, tenant_id, session, device_id)
    return _back(svc, tenant_id, form)


def new_recovery_codes(svc: Services, tenant_id: str, request: Request, form: dict) -> Response:
    """Ten fresh recovery codes, shown once, to print or write down."""
    session = account_session.change(svc, tenant_id, request, form)
    codes = security_info.new_recovery_codes(svc, tenant_id, session)
    locale = language_of(request, form)
    body = page.render("account_codes.html", locale, **_frame(svc, tenant_id, locale, session),
                       codes=account_lists.codes(codes))  # fmt: skip
    return _html(200, body)


def remove_passkey(
    svc: Services, tenant_id: str, request: Request, form: dict, credential_id: str
) -> Response:
    session = account_session.change(svc, tenant_id, request, form)
    security_info.remove_passkey(svc, tenant_id, session, credential_id)
    return _back(svc, tenant_id, form)


def passkey_options(svc: Services, tenant_id: str, request: Request) -> dict:
    """The page's script asks for a registration challenge (JSON; CSRF in the header)."""
    session = account_session.change(svc, tenant_id, request)
    return security_info.passkey_options(svc, tenant_id, session)


def add_passkey(svc: Services, tenant_id: str, request: Request, body: dict) -> dict:
    """The page's script hands over what navigator.credentials.create made."""
    session = account_session.change(svc, tenant_id, request)
    return security_info.add_passkey(svc, tenant_id, session, body)


def enrol_page(svc: Services, tenant_id: str, request: Request) -> Response:
    """What a browser shows for an enrolment link: open it with the authenticator app. The
    code stays in the fragment, which the browser never sent here."""
    tenant = svc.directory.get(tenant_id)
    locale = language_of(request)
    body = page.render(
        "enrol.html",
        locale,
        lang=locale,
        tenant_name=tenant.tenant.name,
        static=base_path(svc) + "/static",
        languages=page.language_switch(locale, query(request)),
    )
    return _html(200, body)


def qr_svg(text: str) -> str:
    """A QR code of `text` as inline SVG (no size: CSS sets it), dark on light, with its
    quiet zone; error correction M reads through a screen's glare."""
    import segno  # deferred: only this QR code loads it

    code = segno.make(text, error="m", micro=False)
    return str(code.svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff"))


def _frame(svc: Services, tenant_id: str, locale: str, session) -> dict:
    """What every state of the page shows and needs: who, where, the CSRF token."""
    return {
        "lang": locale,
        "tenant_name": svc.directory.get(tenant_id).tenant.name,
        "username": session.username,
        "csrf": session.csrf,
        "ui_locales": locale,
        "home": page_path(svc, tenant_id),
        "static": base_path(svc) + "/static",
    }


def _back(svc: Services, tenant_id: str, form: dict) -> Response:
    """After a change: the page again (303: a reload does not post again)."""
    location = page_path(svc, tenant_id)
    if form.get("ui_locales"):
        location += "?ui_locales=" + form["ui_locales"]
    headers: HeadersType = {"Location": location, "Cache-Control": "no-store"}
    return Response(body="", status_code=303, headers=headers)


def _html(status: int, body: str) -> Response:
    return Response(body=body, status_code=status, headers=dict(account_session.HEADERS))
