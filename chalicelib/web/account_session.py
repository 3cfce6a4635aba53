"""The security-info page's HTTP edge: its cookies, the checks every change passes, and its
error pages.

The session cookie (`psi_account`, domain/account_sessions.py) is HttpOnly, SameSite=Strict,
Secure behind https, and scoped to the page's path (`/t/{tenant}/account`), so no other
route, and no other tenant's page, is ever sent it. A change is a POST that carries the
session's CSRF token (form field `csrf` or header `X-CSRF-Token`) and the service's exact
Origin (a browser always sends one with a POST).
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from chalice import Response
from chalice.app import Request

from chalicelib import service
from chalicelib.domain import account_sessions, language
from chalicelib.domain.account_sessions import Session
from chalicelib.domain.language import N_
from chalicelib.errors import CrossSiteRequest
from chalicelib.service import Services
from chalicelib.usecases import account_signin
from chalicelib.web import hosted_page, middleware, page
from chalicelib.web.bodies import cookies, query
from chalicelib.web.responses import ErrorResponse, as_service_error

# The sign-in page's headers, but for the referrer: a browser sends `Origin: null` with a
# form's POST under no-referrer, and every change here is a form POST whose Origin is checked.
# Nothing secret is in this page's URLs, and it links nowhere else.
HEADERS = {**page.PAGE_HEADERS, "Referrer-Policy": "same-origin"}
# What the page says for each error it can meet, by code; "other" for any other.
ERRORS = {
    "login_required": N_("Your session on this page has ended. Sign in again to continue."),
    "stronger_signin_required": N_(
        "To change your security info, sign in with your phone or a passkey, not only your "
        "password."
    ),
    "last_method": N_(
        "This is your last way to sign in besides your password. Add another phone or a "
        "passkey first, then remove this one."
    ),
    "cross_site_request": N_("This page has expired. Open your security info again."),
    "not_found": N_("That phone or passkey is no longer on your account."),
    "unknown_tenant": N_("There is no organisation at this address."),
    "temporarily_unavailable": N_("The service is busy. Try again in a few seconds."),
    "other": N_("That did not work. Go back to your security info and try again."),
}


def page_path(svc: Services, tenant_id: str) -> str:
    """The page's path, /t/{tenant}/account under the service's base path: the cookies'
    Path, and where the page's forms and links point (absolute, so any depth works)."""
    return urlsplit(svc.settings.issuer(tenant_id)).path + "/account"


def base_path(svc: Services) -> str:
    return urlsplit(svc.settings.public_base_url).path


def cookie(svc: Services, tenant_id: str, name: str, value: str, max_age: int, same_site: str):
    secure = "; Secure" if svc.settings.public_base_url.startswith("https://") else ""
    path = page_path(svc, tenant_id)
    return f"{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}"


def session_of(svc: Services, tenant_id: str, request: Request) -> Session:
    """The request's session (LoginRequired if none holds); no change is checked here."""
    sent = cookies(request).get(account_sessions.SESSION_COOKIE)
    return account_signin.session_of(svc, tenant_id, sent)


def change(svc: Services, tenant_id: str, request: Request, form: dict | None = None) -> Session:
    """The session of a change: the service's exact Origin (present, not only not foreign),
    a session, and its CSRF token echoed in the form or the X-CSRF-Token header."""
    if request.headers.get("origin") is None:
        raise CrossSiteRequest()
    hosted_page.from_page(request, svc)
    session = session_of(svc, tenant_id, request)
    sent = (form or {}).get("csrf") or request.headers.get("x-csrf-token") or ""
    if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise CrossSiteRequest()
    return session


def language_of(request: Request, form: dict | None = None) -> str:
    ui_locales = (form or {}).get("ui_locales") or query(request).get("ui_locales")
    return language.negotiate(request.headers.get("accept-language"), ui_locales)


def html_view(current: Callable[[], Request]) -> Callable:
    """Run a view of the page; an error becomes the page's error page in the person's
    language, with its status and its code (data-error, and in the text) for machines."""

    def wrap(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except Exception as caught:
                return error_page(current(), caught, kwargs.get("tenant_id"))

        return wrapped

    return wrap


def error_page(request: Request, caught: Exception, tenant_id: str | None) -> Response:
    err = as_service_error(caught)
    locale = language_of(request)
    base = base_path(service.get())
    known = tenant_id is not None and err.code != "unknown_tenant"
    body = page.render(
        "account_error.html",
        locale,
        lang=locale,
        error=err.code,
        message=language.translate(locale, ERRORS.get(err.code, ERRORS["other"])),
        again=f"{base}/t/{tenant_id}/account" if known else f"{base}/",
        request_id=middleware.request_id(request),
        static=f"{base}/static",
    )
    headers = {**HEADERS, **err.headers()}
    return ErrorResponse(err.code, body=body, status_code=err.status, headers=headers)
