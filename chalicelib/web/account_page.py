"""The security-info page (/t/{tenant}/account): getting in, the list of the person's methods,
adding a phone by a QR code, removing one; and the page an enrolment link opens in a browser.

The page is server-rendered and needs no script: its changes are form POSTs that carry the
session's CSRF token (account_session.change). The QR code is made here, on the server, as
inline SVG (segno): no script, no image host, nothing leaves the service.
"""

from __future__ import annotations

import html
import time

import segno
from chalice import Response
from chalice.app import HeadersType, Request

from chalicelib import contract
from chalicelib.domain import account_sessions, enrolment
from chalicelib.domain.language import N_
from chalicelib.service import Services
from chalicelib.usecases import account_signin, security_info
from chalicelib.usecases.account_signin import LoginRequired
from chalicelib.web import account_session, page
from chalicelib.web.account_session import base_path, cookie, language_of, page_path
from chalicelib.web.bodies import cookies, query

# The sentences made here (the rest are in the templates), as message ids.
TEXT = {
    "ios": N_("iPhone"),
    "android": N_("Android phone"),
    "added": N_("Added {date}"),
    "used": N_("Last used {date}"),
    "unused": N_("Not used yet"),
    "push_on": N_("Notifications on"),
    "push_off": N_("Notifications off"),
    "remove": N_("Remove"),
    "remove_label": N_("Remove {phone}, added {date}"),
    "only_one": N_(
        "You have only one way to sign in besides your password. Add another phone or a "
        "passkey, so that losing one does not lock you out."
    ),
    "none": N_(
        "You have no phone or passkey to sign in with. Add a phone, so that you can sign in "
        "without a password."
    ),
    "no_passkeys": N_("No passkeys yet."),
    "recovery_left": N_("Recovery codes left: {count}"),
    "qr": N_("QR code with the link to add your phone"),
}


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
        phones=_phones(svc, tenant_id, overview, session, locale),
        phone_count=len(overview["phones"]),
        warning=_warning(overview, locale),
        passkeys=_passkeys(overview["passkeys"], locale),
        recovery=_recovery(overview["recovery_codes"], locale),
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
    label = _say(locale, "qr")
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


def _phones(svc: Services, tenant_id: str, overview: dict, session, locale: str) -> page.Html:
    """Each phone: what it is, when added and last used, push; and a remove button where
    removing it leaves a method (or the tenant allows none)."""
    may_remove = overview["may_remove_last"] or overview["methods"] > 1
    action = html.escape(page_path(svc, tenant_id)) + "/phones/{}/remove"
    items = []
    for phone in overview["phones"]:
        name = _say(locale, phone["platform"])
        added = _day(phone["added_at"])
        used = _say(locale, "used", date=_day(phone["last_used_at"]))
        facts = [
            _say(locale, "added", date=added),
            used if phone["last_used_at"] else _say(locale, "unused"),
            _say(locale, "push_on" if phone["push"] else "push_off"),
        ]
        remove = ""
        if may_remove:
            remove = (
                f'<form method="post" action="{action.format(html.escape(phone["device_id"]))}">'
                f"{_hidden(session, locale)}"
                f'<button type="submit" class="secondary" '
                f'aria-label="{_say(locale, "remove_label", phone=name, date=added)}">'
                f"{_say(locale, 'remove')}</button></form>"
            )
        items.append(
            f'<li class="method"><strong>{name}</strong>'
            f'<span class="facts">{" · ".join(facts)}</span>{remove}</li>'
        )
    return page.Html("".join(items))


def _hidden(session, locale: str) -> str:
    """The fields every change's form carries: the CSRF token and the page's language."""
    return (
        f'<input type="hidden" name="csrf" value="{html.escape(session.csrf)}">'
        f'<input type="hidden" name="ui_locales" value="{html.escape(locale)}">'
    )


def _say(locale: str, key: str, **values: object) -> str:
    """A sentence of TEXT in the language, fields filled, HTML-escaped."""
    return page.message(locale, TEXT[key], values)


def _warning(overview: dict, locale: str) -> page.Html:
    if overview["methods"] > 1:
        return page.Html("")
    text = _say(locale, "only_one" if overview["methods"] == 1 else "none")
    return page.Html(f'<p class="note warning" id="one-method">{text}</p>')


def _passkeys(passkeys: list[dict], locale: str) -> page.Html:
    if not passkeys:
        return page.Html(f'<p class="facts">{_say(locale, "no_passkeys")}</p>')
    return page.Html("")


def _recovery(left: int | None, locale: str) -> page.Html:
    if left is None:
        return page.Html("")
    return page.Html(f'<p id="recovery-left">{_say(locale, "recovery_left", count=left)}</p>')


def _back(svc: Services, tenant_id: str, form: dict) -> Response:
    """After a change: the page again (303: a reload does not post again)."""
    location = page_path(svc, tenant_id)
    if form.get("ui_locales"):
        location += "?ui_locales=" + form["ui_locales"]
    headers: HeadersType = {"Location": location, "Cache-Control": "no-store"}
    return Response(body="", status_code=303, headers=headers)


def _html(status: int, body: str) -> Response:
    return Response(body=body, status_code=status, headers=dict(account_session.HEADERS))


def _day(at: int) -> str:
    """A date every language here reads: ISO 8601, UTC."""
    return time.strftime("%Y-%m-%d", time.gmtime(at))
