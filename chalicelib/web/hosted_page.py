"""The hosted sign-in page: serving it, its static files, and its cookies.

The page's own calls must come from the page (Origin, and a CSRF double-submit cookie where a
password or code is sent); after a sign-in, two cookies remember the method used and that
this browser signed this person in (domain/browsers.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from html import escape
from urllib.parse import urlencode, urlsplit

from chalice import Response
from chalice.app import HeadersType, Request

from chalicelib.domain import browsers, language, sso
from chalicelib.domain.tenants import ACCOUNT_CLIENT_ID
from chalicelib.errors import CrossSiteRequest, NotFound
from chalicelib.service import Services
from chalicelib.usecases import authorize
from chalicelib.usecases import sso as sso_sessions
from chalicelib.web import middleware, page, page_text, polling
from chalicelib.web.bodies import cookies
from chalicelib.web.origin_trust import origin
from chalicelib.web.responses import ErrorResponse, as_service_error, error_response

CSRF_COOKIE = "psi_csrf"
METHOD_COOKIE = "psi_last_method"
YEAR = 365 * 24 * 3600
NO_STORE: HeadersType = {"Cache-Control": "no-store"}


def from_page(request: Request, svc: Services, csrf: bool = False) -> Request:
    """Refuse a browser request sent by another site: its Origin must be ours, and forms
    that carry a password or code also echo the page's CSRF cookie (double submit)."""
    sent_from = request.headers.get("origin")
    base = urlsplit(svc.settings.public_base_url)
    if sent_from is not None and sent_from != f"{base.scheme}://{base.netloc}":
        raise CrossSiteRequest()
    if csrf:
        expected = cookies(request).get(CSRF_COOKIE)
        sent = request.headers.get("x-csrf-token")
        if not expected or not sent or not secrets.compare_digest(expected, sent):
            raise CrossSiteRequest()
    return request


def set_cookie(
    svc: Services, tenant_id: str, name: str, value: str, max_age: int, same_site: str
) -> str:
    """A Set-Cookie line: HttpOnly, Secure behind https, scoped to the tenant's path. The
    logout deletes one with the same line and Max-Age=0 (a browser only drops a cookie
    set again with its name, path and domain)."""
    secure = "; Secure" if svc.settings.public_base_url.startswith("https://") else ""
    path = urlsplit(svc.settings.issuer(tenant_id)).path
    return f"{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}"


def remember(svc: Services, tenant_id: str, request: Request, answer: dict) -> dict:
    """After a successful sign-in: open the browser's single sign-on session (sso.py; the
    answer hands the approved sign-in over, and it is taken out here, never sent), remember
    how (the page offers that method first next time), and that this browser signed this
    person in (browsers.py: the owner's browser is then counted apart from strangers)."""
    signin = answer.pop(sso.HANDOVER, None)
    if answer.get("status") != "approved" or signin is None:
        return {}
    jar = cookies(request)
    set_cookies = []
    session = sso_sessions.begin(svc, tenant_id, signin, jar.get(sso.COOKIE))
    if session is not None:
        lifetime = svc.directory.get(tenant_id).tenant.policy.session_max_seconds
        set_cookies.append(set_cookie(svc, tenant_id, sso.COOKIE, session, lifetime, "Lax"))
    if answer.get("method") in ("phone", "password", "passkey"):
        key = browsers.cookie_key(svc.directory.get(tenant_id).data_key)
        browser = browsers.remember(
            key, jar.get(browsers.COOKIE), signin.user_key, svc.now(), svc.rng
        )
        set_cookies += [
            set_cookie(svc, tenant_id, METHOD_COOKIE, answer["method"], YEAR, "Lax"),
            set_cookie(
                svc, tenant_id, browsers.COOKIE, browser, browsers.LIFETIME_SECONDS, "Strict"
            ),
        ]
    return {"Set-Cookie": set_cookies} if set_cookies else {}


def html(status: int, body: str, extra_headers: dict | None = None, error: str = "") -> Response:
    headers = {**page.PAGE_HEADERS, **(extra_headers or {})}
    if error:
        return ErrorResponse(error, body=body, status_code=status, headers=headers)
    return Response(body=body, status_code=status, headers=headers)


def authorize_page(
    svc: Services, tenant_id: str, request: Request, read: Callable[[], dict[str, str]]
) -> Response:
    """The sign-in page, an error page of ours, or the answer for the client (a code through
    the browser's session, or an error); in the language of the app's ui_locales or the
    browser's Accept-Language. The endpoint takes GET and POST (OpenID Connect Core 3.1.2.1):
    a POSTed request is sent back as the same request by GET (303), because a browser sends
    its SameSite=Lax session cookie on a cross-site navigation only with GET. `read` gives
    the request's parameters (its query, or its form), inside this page's error handling."""
    locale = page_language(request)
    try:
        params = read()
        if request.method == "POST" and "_repeated" not in params:
            again: HeadersType = {"Location": "authorize?" + urlencode(params), **NO_STORE}
            return Response(body="", status_code=303, headers=again)
        locale = page_language(request, params)
        checked = authorize.check(svc, tenant_id, params)
        silent = sso_sessions.silent_reply(
            svc, checked, cookies(request).get(sso.COOKIE), origin(request, svc)
        )
    except Exception as caught:
        # authorize.check gives every error for the client its reply (redirect or form).
        if isinstance(caught, authorize.AuthorizeError) and caught.reply is not None:
            return to_client(caught.reply, locale)
        err = as_service_error(caught)
        status = err.status if err.status >= 500 else 400
        body = page.render(
            "error.html",
            locale,
            lang=locale,
            message=err.description,
            code=err.code,
            request_id=middleware.request_id(request),
        )
        return html(status, body, err.headers(), error=err.code)
    if silent is not None:  # signed in through the browser's session, or prompt=none
        return to_client(silent, locale)
    csrf = secrets.token_urlsafe(32)
    policy = checked.tenant.tenant.policy
    remembered = cookies(request).get(METHOD_COOKIE)
    body = page.render(
        "signin.html",
        locale,
        lang=locale,
        languages=page.language_switch(locale, params),
        text=page_text.script_text(locale),
        app_name=app_name(checked.client_id, checked.app_name, locale),
        tenant_name=checked.tenant.tenant.name,
        client_id=checked.client_id,
        redirect_uri=checked.redirect_uri,
        state=checked.state,
        nonce=checked.nonce,
        code_challenge=checked.code_challenge,
        scope=checked.scope,
        issuer=checked.tenant.issuer,
        login_hint=checked.login_hint,
        csrf=csrf,
        phone_enabled="yes" if policy.phone_signin else "no",
        first_method="password" if remembered == "password" or not policy.phone_signin else "phone",
        number_match=policy.number_match.value,
        passkeys_enabled="yes" if policy.passkeys else "no",
        response_mode=checked.response_mode,
        polling=polling.page_config(),
    )
    cookie = set_cookie(svc, tenant_id, CSRF_COOKIE, csrf, 3600, "Strict")
    headers: HeadersType = {"Set-Cookie": cookie}
    if checked.response_mode == "form_post":  # the page posts the answer to the app
        headers["Content-Security-Policy"] = posting_to(checked.redirect_uri)
    return html(200, body, headers)


def to_client(reply: authorize.ClientReply, locale: str) -> Response:
    """The answer to the app: a redirect with it in the query, or (form_post) a page whose
    form the browser posts to the redirect URI at once."""
    if reply.response_mode != "form_post":
        headers: HeadersType = {"Location": reply.location, "Cache-Control": "no-store"}
        return Response(body="", status_code=302, headers=headers)
    fields = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in reply.params.items()
    )
    body = page.render(
        "form_post.html", locale, lang=locale, action=reply.redirect_uri, fields=page.Html(fields)
    )
    return html(200, body, {"Content-Security-Policy": posting_to(reply.redirect_uri)})


def posting_to(redirect_uri: str) -> str:
    """The page's policy, with the app's redirect URI the one place a form may go besides us."""
    target = urlsplit(redirect_uri)
    return page.CSP.replace(
        "form-action 'self'", f"form-action 'self' {target.scheme}://{target.netloc}"
    )


def app_name(client_id: str, name: str, locale: str) -> str:
    """The app a person signs in to: a tenant's app by its own name, the service's own
    security-info page by its name in the page's language."""
    return language.translate(locale, name) if client_id == ACCOUNT_CLIENT_ID else name


def page_language(request: Request, params: dict[str, str] | None = None) -> str:
    ui_locales = (params or {}).get("ui_locales")
    return language.negotiate(request.headers.get("accept-language"), ui_locales)


def home(request: Request) -> Response:
    """/: a person who came here directly learns to start from their app."""
    locale = page_language(request)
    return html(200, page.render("home.html", locale, lang=locale))


def favicon() -> Response:
    """No icon, and no 404 in the browser's console for the one it asks for."""
    headers: HeadersType = {"Cache-Control": "public, max-age=86400"}
    return Response(body="", status_code=204, headers=headers)


def static(name: str) -> Response:
    """A file under web/static: by its hashed name, cached for a year; by its plain name,
    for five minutes (page.py says why)."""
    found = page.static_file(name)
    if found is None:
        return error_response(NotFound("No such file."))
    content, content_type, cache_control = found
    headers: HeadersType = {
        "Content-Type": content_type,
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body=content, status_code=200, headers=headers)
