"""The logout endpoint's HTTP edge (`{issuer}/logout`, GET and POST): its pages and cookies.

An app's request (GET, or a POST form: RP-Initiated Logout 1.0 section 2, sent on as the same
GET by a 303, as a browser sends the SameSite=Lax session cookie on a cross-site navigation
only with GET) goes to usecases/logout.py; with a valid hint it ends at once, otherwise the
person sees "Sign out of
<tenant>?", whose form POSTs back here with a CSRF token (double submit: the same random value
in the form and in the page's `psi_csrf` cookie, SameSite=Strict) and the service's exact
Origin. The confirmation page's referrer policy is `same-origin`: under `no-referrer` a
browser sends `Origin: null` with a form's POST. After a logout the `psi_session` cookie is
deleted (set again with Max-Age=0 and its path), and the browser goes to the app's registered
URI (302; 303 after the confirmation) or sees "You're signed out".
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import urlencode

from chalice import Response
from chalice.app import HeadersType, Request

from chalicelib.domain import sso
from chalicelib.domain.language import N_
from chalicelib.errors import CrossSiteRequest
from chalicelib.service import Services
from chalicelib.usecases import logout
from chalicelib.web import bodies, hosted_page, middleware, page
from chalicelib.web.bodies import cookies
from chalicelib.web.responses import as_service_error

CONFIRM_FIELD = "csrf"  # its presence makes a POST the person's confirmation
PARAMETERS = (  # RP-Initiated Logout 1.0 section 2
    "id_token_hint", "logout_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales"
)  # fmt: skip
EXPIRED = N_("This page had expired, so you are still signed in. Sign out again?")
HEADERS = {**page.PAGE_HEADERS, "Referrer-Policy": "same-origin"}


def html_errors(current: Callable[[], Request]) -> Callable:
    """Run a view of the endpoint; any error (a malformed parameter, an unknown tenant) is
    our error page in the person's language, with its status and code, never a redirect."""

    def wrap(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except Exception as caught:
                return _error(current(), caught)

        return wrapped

    return wrap


def logout_page(
    svc: Services, tenant_id: str, request: Request, params: dict[str, str]
) -> Response:
    """An app's logout request (the query of a GET, the form of a POST), or the person's
    confirmation (a POST from our page, with the page's token)."""
    locale = hosted_page.page_language(request, params)
    jar = cookies(request)
    if request.method == "POST" and CONFIRM_FIELD in params:
        return _confirmed(svc, tenant_id, request, params, locale)
    if request.method == "POST":  # an app's form: the same request by GET (the Lax cookie)
        query = urlencode({k: v for k, v in params.items() if k in PARAMETERS})
        headers: HeadersType = {"Location": "logout?" + query, "Cache-Control": "no-store"}
        return Response(body="", status_code=303, headers=headers)
    checked = logout.check(svc, tenant_id, params)
    # A valid hint with a return address its app never registered: something is off (a
    # tampered link, a misconfigured app), so the person is asked rather than signed out and
    # left on our page, as the OpenID Foundation's logout tests expect; nobody is redirected.
    unregistered = bool(params.get("post_logout_redirect_uri")) and checked.target is None
    if checked.hint is None or unregistered:
        return _confirmation(svc, tenant_id, jar, checked, params, locale)
    answer = logout.end_hinted(svc, checked, jar.get(sso.COOKIE))
    return _answer(svc, checked.tenant.tenant.name, tenant_id, answer, locale, 302)


def _confirmed(
    svc: Services, tenant_id: str, request: Request, form: dict[str, str], locale: str
) -> Response:
    """The person pressed "Sign out" on our page: the Origin present and ours, the token
    echoed. Anything else is asked again (403 cross_site_request), and nothing ends."""
    jar = cookies(request)
    expected, sent = jar.get(hosted_page.CSRF_COOKIE) or "", form[CONFIRM_FIELD]
    try:
        if request.headers.get("origin") is None:
            raise CrossSiteRequest()
        hosted_page.from_page(request, svc)
        if not expected or not secrets.compare_digest(expected.encode(), sent.encode()):
            raise CrossSiteRequest()
    except CrossSiteRequest as refused:
        checked = logout.check(svc, tenant_id, _without_token(form))
        return _confirmation(svc, tenant_id, jar, checked, form, locale, refused)
    answer = logout.end_confirmed(svc, tenant_id, _without_token(form), jar.get(sso.COOKIE))
    name = svc.directory.get(tenant_id).tenant.name
    return _answer(svc, name, tenant_id, answer, locale, 303)


def _without_token(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k != CONFIRM_FIELD}


def _answer(
    svc: Services,
    tenant_name: str,
    tenant_id: str,
    answer: logout.LogoutAnswer,
    locale: str,
    status: int,
) -> Response:
    """To the app's registered URI, or the signed-out page; the session cookie deleted."""
    headers: HeadersType = {}
    if answer.clear_cookie:
        headers["Set-Cookie"] = hosted_page.set_cookie(svc, tenant_id, sso.COOKIE, "", 0, "Lax")
    if answer.location is not None:
        headers |= {"Location": answer.location, "Cache-Control": "no-store"}
        return Response(body="", status_code=status, headers=headers)
    body = page.render("logged_out.html", locale, lang=locale, tenant_name=tenant_name)
    return hosted_page.html(200, body, headers)


def _confirmation(
    svc: Services,
    tenant_id: str,
    jar: dict[str, str],
    checked: logout.LogoutRequest,
    params: dict[str, str],
    locale: str,
    refused: CrossSiteRequest | None = None,
) -> Response:
    """ "Sign out of <tenant>?": the form carries what was found good, and the token. After a
    refused confirmation, the same page again, saying so (403 cross_site_request)."""
    csrf = jar.get(hosted_page.CSRF_COOKIE) or secrets.token_urlsafe(32)
    fields = {**checked.confirm_fields(), "ui_locales": locale}
    alert = ""
    if refused is not None:
        alert = f'<p role="alert" class="error">{page.message(locale, EXPIRED, {})}</p>'
    note = ""
    if checked.refused is not None:
        note = f'<p class="hint" lang="en">For the app\'s developers: {escape(checked.refused)}</p>'
    body = page.render(
        "logout.html",
        locale,
        lang=locale,
        languages=page.language_switch(locale, _without_token(params)),
        tenant_name=checked.tenant.tenant.name,
        csrf=csrf,
        fields=page.Html("".join(_hidden(k, v) for k, v in fields.items())),
        alert=page.Html(alert),
        developer_note=page.Html(note),
        error="" if refused is None else refused.code,
    )
    cookie = hosted_page.set_cookie(svc, tenant_id, hosted_page.CSRF_COOKIE, csrf, 3600, "Strict")
    headers: HeadersType = {**HEADERS, "Set-Cookie": cookie}
    if checked.target is not None:  # the form's answer redirects there: form-action allows it
        headers["Content-Security-Policy"] = hosted_page.posting_to(checked.target)
    if refused is not None:
        return hosted_page.html(refused.status, body, headers, error=refused.code)
    return hosted_page.html(200, body, headers)


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def _error(request: Request, caught: Exception) -> Response:
    """A malformed request or an unknown tenant: our page, its code for the app's developers."""
    err = as_service_error(caught)
    locale = hosted_page.page_language(request, bodies.query(request))
    body = page.render(
        "logout_error.html",
        locale,
        lang=locale,
        message=err.description,
        code=err.code,
        request_id=middleware.request_id(request),
    )
    return hosted_page.html(err.status, body, err.headers(), error=err.code)
