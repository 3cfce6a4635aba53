"""The HTTP edge: body parsing, the one table from errors to responses, and the route wrapper.

Every JSON response carries `Cache-Control: no-store` (most carry secrets or one-time
state), and an error never shows a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import ipaddress
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from chalice import Response

from chalicelib.domain import browsers
from chalicelib.domain.signins import Origin
from chalicelib.errors import (
    CrossSiteRequest,
    InvalidRequest,
    InvalidToken,
    PayloadTooLarge,
    ServiceError,
    TemporarilyUnavailable,
)
from chalicelib.web import contract

MAX_BODY_BYTES = 16 * 1024
HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
}
CSRF_COOKIE = "psi_csrf"
METHOD_COOKIE = "psi_last_method"
YEAR = 365 * 24 * 3600
# Behind https, browsers are told to never try plain http for this host again (RFC 6797).
HSTS = f"max-age={YEAR}"
RETRY_AFTER_SECONDS = "2"
# AWS error codes that mean "busy or briefly down, try again" rather than a fault of ours.
TRY_AGAIN_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "KMSInternalException",
        "DependencyTimeoutException",  # KMS
    }
)
# Why a DynamoDB transaction was cancelled, when the fault is not the request's.
TRY_AGAIN_REASONS = frozenset({"ThrottlingError", "TransactionConflict"})
log = logging.getLogger("phonesignin")
log.setLevel(logging.INFO)


def json_body(request: Any) -> dict:
    """The JSON object a request carries, checked against its route's schema (openapi.json)."""
    raw = _raw(request)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:  # deep nesting recurses
        raise InvalidRequest("body must be a JSON object") from err
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object")
    _check(request, "application/json", body)
    return body


def form_body(request: Any) -> dict[str, str]:
    """application/x-www-form-urlencoded; a parameter sent twice is an error (RFC 6749 3.2)."""
    try:  # strict: a value that is not UTF-8 once decoded is refused, not turned into "�"
        pairs = parse_qsl(_raw(request).decode("ascii"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as err:
        raise InvalidRequest("body must be form-encoded UTF-8") from err
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise InvalidRequest(f"{name} appears more than once")
        form[name] = value
    _check(request, "application/x-www-form-urlencoded", form)
    return form


def _check(request: Any, media_type: str, body: dict) -> None:
    route = (request.context or {}).get("resourcePath") or ""
    try:
        contract.check_body(request.method, route, media_type, body)
    except RecursionError as err:  # nesting json.loads took but a walk of it does not
        raise InvalidRequest("body is nested too deeply") from err


def _raw(request: Any) -> bytes:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return raw


def query(request: Any) -> dict[str, str]:
    """Query parameters; a repeated one is named in `_repeated` (RFC 6749 3.1: an error)."""
    params = request.query_params or {}
    flat = {name: params.get(name) for name in params}
    repeated = [name for name in params if len(params.getlist(name)) > 1]
    if repeated:
        flat["_repeated"] = repeated[0]
    return flat


def origin(request: Any, svc: Any) -> Origin:
    """Where a request comes from, as the phone will show it: the address, the browser, and
    the place where our CloudFront tells us (it sees the person; the API then sees only
    CloudFront's own address). CloudFront proves itself with the origin secret."""
    identity = (request.context or {}).get("identity") or {}
    ip, place, headers = identity.get("sourceIp"), None, request.headers
    if _from_our_cloudfront(headers, svc.settings.cloudfront_secret_sha256):
        viewer = headers.get("cloudfront-viewer-address") or ""  # "ip:port", IPv6 unbracketed
        with contextlib.suppress(ValueError):  # not an address: keep the one API Gateway saw
            ip = str(ipaddress.ip_address(viewer.rpartition(":")[0]))
        parts = [
            headers.get("cloudfront-viewer-city"),
            headers.get("cloudfront-viewer-country-region-name"),
            headers.get("cloudfront-viewer-country-name")
            or headers.get("cloudfront-viewer-country"),
        ]
        place = ", ".join(unquote(p) for p in parts if p) or None
    return Origin.of(ip, headers.get("user-agent"), place, cookies(request).get(browsers.COOKIE))


def _from_our_cloudfront(headers: Any, secret_sha256: str | None) -> bool:
    sent = headers.get("x-origin-secret")
    if not secret_sha256 or not sent:
        return False
    digest = hashlib.sha256(sent.encode("utf-8", "replace")).hexdigest()
    return secrets.compare_digest(digest, secret_sha256.lower())


def cookies(request: Any) -> dict[str, str]:
    """The request's cookies, read leniently, one by one: SimpleCookie gives up on the whole
    header at the first cookie it dislikes (a space in another site's value, say), and that
    would cost the page its CSRF token and the browser its recognition."""
    found: dict[str, str] = {}
    for pair in (request.headers.get("cookie") or "").split(";"):
        name, sep, value = pair.strip().partition("=")
        if sep and name and name not in found:
            found[name] = value.strip().strip('"')
    return found


def from_page(request: Any, svc: Any, csrf: bool = False) -> Any:
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


def _cookie(svc: Any, tenant_id: str, name: str, value: str, max_age: int, same_site: str) -> str:
    secure = "; Secure" if svc.settings.public_base_url.startswith("https://") else ""
    path = urlsplit(svc.settings.issuer(tenant_id)).path
    return f"{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}"


def remember(svc: Any, tenant_id: str, request: Any, answer: dict, signin_id: str) -> dict:
    """After a successful sign-in, remember how (the page offers that method first next
    time), and that this browser signed this person in (browsers.py: the owner's browser is
    then counted apart from strangers)."""
    if answer.get("status") != "approved" or answer.get("method") not in ("phone", "password"):
        return {}
    key = browsers.cookie_key(svc.directory.get(tenant_id).data_key)
    held = cookies(request).get(browsers.COOKIE)
    browser = browsers.remember(key, held, signin_id[:16], svc.now(), svc.rng)
    return {
        "Set-Cookie": [
            _cookie(svc, tenant_id, METHOD_COOKIE, answer["method"], YEAR, "Lax"),
            _cookie(svc, tenant_id, browsers.COOKIE, browser, browsers.LIFETIME_SECONDS, "Strict"),
        ]
    }


def respond(status: int, body: dict, extra_headers: dict | None = None) -> Response:
    return Response(
        body=json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers={**HEADERS, **(extra_headers or {})},
    )


def error_response(err: ServiceError) -> Response:
    headers = None
    if err.status == 503:
        headers = {"Retry-After": RETRY_AFTER_SECONDS}
    elif getattr(err, "retry_after", None):
        headers = {"Retry-After": str(err.retry_after)}
    elif err.status == 401 and err.code == "invalid_client":
        headers = {"WWW-Authenticate": 'Basic realm="token"'}
    elif err.code == "invalid_token":
        # RFC 6750 3.1: no error code when the request carried no token at all.
        sent = err.description != InvalidToken.no_token
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"' if sent else "Bearer"}
    return respond(err.status, {"error": err.code, "error_description": err.description}, headers)


_app: Any = None


def bind(app: Any) -> None:
    """Give the edge the app, so each request's log line can carry its request id, and every
    response its transport security header."""
    global _app
    _app = app
    app.register_middleware(_strict_transport, "http")


def _strict_transport(event: Any, get_response: Callable[[Any], Response]) -> Response:
    response = get_response(event)
    if _https():
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def _https() -> bool:
    from chalicelib import service

    try:
        return service.get().settings.public_base_url.startswith("https://")
    except KeyError:  # no PUBLIC_BASE_URL: only routes that need no settings can answer
        return False


def access_log(view: str, tenant_id: str | None, status: int, started: float, error: str | None):
    """One JSON line per request: what happened, never who (no usernames, secrets or tokens)."""
    try:
        context = (_app.current_request.context or {}) if _app else {}
    except AttributeError:  # no request in this thread (a local server's per-thread request)
        context = {}
    line = {
        "level": "info" if status < 500 else "error",
        "request_id": context.get("requestId"),
        "view": view,
        "tenant": tenant_id,
        "status": status,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if error:
        line["error"] = error
    log.info(json.dumps(line, separators=(",", ":")))


def try_again(err: Exception) -> bool:
    """AWS was throttling or out of reach, after the clients' own retries (aws.py): a 503 the
    caller may retry, not a bug. botocore is imported only here, for an error of its own."""
    if not any(kind.__module__.startswith("botocore") for kind in type(err).__mro__):
        return False
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(err, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return True
    if not isinstance(err, ClientError):
        return False
    code = err.response.get("Error", {}).get("Code")
    if code == "TransactionCanceledException":
        reasons = {r.get("Code") for r in err.response.get("CancellationReasons", [])}
        return bool(reasons & TRY_AGAIN_REASONS)
    return code in TRY_AGAIN_CODES


def handler(view: Callable[..., Any]) -> Callable[..., Response]:
    """Run a view; it returns a body, or (body, headers). Map domain errors to their status,
    AWS being busy or out of reach to a 503 with Retry-After, anything else to a bare 500.
    Log one line either way."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        started = time.perf_counter()
        tenant_id = kwargs.get("tenant_id")
        try:
            result = view(*args, **kwargs)
        except ServiceError as err:
            access_log(view.__name__, tenant_id, err.status, started, err.code)
            return error_response(err)
        except Exception as err:
            if try_again(err):
                unavailable = TemporarilyUnavailable()
                access_log(view.__name__, tenant_id, 503, started, unavailable.code)
                return error_response(unavailable)
            log.exception("unhandled error")
            access_log(view.__name__, tenant_id, 500, started, "server_error")
            return respond(500, {"error": "server_error", "error_description": "Internal error."})
        access_log(view.__name__, tenant_id, 200, started, None)
        body, headers = result if isinstance(result, tuple) else (result, None)
        return respond(200, body, headers)

    return wrapped


def html(status: int, body: str, extra_headers: dict | None = None) -> Response:
    from chalicelib.web import page

    headers = {**page.PAGE_HEADERS, **(extra_headers or {})}
    return Response(body=body, status_code=status, headers=headers)


def authorize_page(svc: Any, tenant_id: str, params: dict[str, str], request: Any) -> Response:
    """The sign-in page, an error page of ours, or a redirect with an error to the client."""
    from chalicelib.usecases import authorize
    from chalicelib.web import page

    try:
        checked = authorize.check(svc, tenant_id, params)
    except authorize.AuthorizeError as err:
        headers = {"Location": err.location, "Cache-Control": "no-store"}
        return Response(body="", status_code=302, headers=headers)
    except ServiceError as err:
        return html(400, page.render("error.html", message=err.description, code=err.code))
    except Exception as err:
        if try_again(err):
            busy = TemporarilyUnavailable()
            page = page.render("error.html", message=busy.description, code=busy.code)
            return html(503, page, {"Retry-After": RETRY_AFTER_SECONDS})
        log.exception("unhandled error")
        return html(500, page.render("error.html", message="Internal error.", code="server_error"))
    csrf = secrets.token_urlsafe(32)
    policy = checked.tenant.tenant.policy
    remembered = cookies(request).get(METHOD_COOKIE)
    page = page.render(
        "signin.html",
        app_name=checked.app_name,
        tenant_name=checked.tenant.tenant.name,
        client_id=checked.client_id,
        redirect_uri=checked.redirect_uri,
        state=checked.state,
        nonce=checked.nonce,
        code_challenge=checked.code_challenge,
        issuer=checked.tenant.issuer,
        login_hint=checked.login_hint,
        csrf=csrf,
        phone_enabled="yes" if policy.phone_signin else "no",
        first_method="password" if remembered == "password" or not policy.phone_signin else "phone",
        number_match=policy.number_match.value,
    )
    cookie = _cookie(svc, tenant_id, CSRF_COOKIE, csrf, 3600, "Strict")
    return html(200, page, {"Set-Cookie": cookie})


def static(name: str) -> Response:
    from chalicelib.web import page

    found = page.static_file(name)
    if found is None:
        return respond(404, {"error": "not_found", "error_description": "No such file."})
    content, content_type = found
    headers = {
        "Content-Type": content_type,
        "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body=content, status_code=200, headers=headers)
