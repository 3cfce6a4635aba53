"""The HTTP edge: body parsing, the one table from errors to responses, and the route wrapper.

Every response is JSON, carries `Cache-Control: no-store` (most carry secrets or one-time
state), and an error never shows a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from chalice import Response

from .errors import InvalidRequest, PayloadTooLarge, ServiceError
from .signins import Origin

MAX_BODY_BYTES = 16 * 1024
HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
}
log = logging.getLogger("phonesignin")


def json_body(request: Any) -> dict:
    raw = _raw(request)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise InvalidRequest("body must be a JSON object") from err
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object")
    return body


def form_body(request: Any) -> dict[str, str]:
    """application/x-www-form-urlencoded; a parameter sent twice is an error (RFC 6749 3.2)."""
    try:
        pairs = parse_qsl(
            _raw(request).decode("ascii"), keep_blank_values=True, strict_parsing=False
        )
    except (UnicodeDecodeError, ValueError) as err:
        raise InvalidRequest("body must be form-encoded") from err
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise InvalidRequest(f"{name} appears more than once")
        form[name] = value
    return form


def _raw(request: Any) -> bytes:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return raw


def origin(request: Any) -> Origin:
    identity = (request.context or {}).get("identity") or {}
    return Origin.of(identity.get("sourceIp"), request.headers.get("user-agent"))


def respond(status: int, body: dict, extra_headers: dict | None = None) -> Response:
    return Response(
        body=json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers={**HEADERS, **(extra_headers or {})},
    )


def error_response(err: ServiceError) -> Response:
    headers = (
        {"WWW-Authenticate": "Basic"}
        if err.status == 401 and err.code == "invalid_client"
        else None
    )
    return respond(err.status, {"error": err.code, "error_description": err.description}, headers)


def query(request: Any) -> dict[str, str]:
    """Query parameters; a repeated one is named in `_repeated` (RFC 6749 3.1: an error)."""
    params = request.query_params or {}
    flat = {name: params.get(name) for name in params}
    repeated = [name for name in params if len(params.getlist(name)) > 1]
    if repeated:
        flat["_repeated"] = repeated[0]
    return flat


def html(status: int, body: str, extra_headers: dict | None = None) -> Response:
    from . import web

    return Response(
        body=body, status_code=status, headers={**web.PAGE_HEADERS, **(extra_headers or {})}
    )


def authorize_page(svc: Any, tenant_id: str, params: dict[str, str]) -> Response:
    """The sign-in page, an error page of ours, or a redirect with an error to the client."""
    from . import web
    from .flows import authorize

    try:
        request = authorize.check(svc, tenant_id, params)
    except authorize.AuthorizeError as err:
        return Response(
            body="",
            status_code=302,
            headers={"Location": err.location, "Cache-Control": "no-store"},
        )
    except ServiceError as err:
        return html(400, web.render("error.html", message=err.description, code=err.code))
    page = web.render(
        "signin.html",
        app_name=request.app_name,
        tenant_name=request.tenant.tenant.name,
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        state=request.state,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        issuer=request.tenant.issuer,
        login_hint=request.login_hint,
    )
    return html(200, page)


def static(name: str) -> Response:
    from . import web

    found = web.static_file(name)
    if found is None:
        return respond(404, {"error": "not_found", "error_description": "No such file."})
    content, content_type = found
    return Response(
        body=content,
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
        },
    )


def handler(view: Callable[..., dict]) -> Callable[..., Response]:
    """Run a view; map domain errors to their status, anything else to a bare 500."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return respond(200, view(*args, **kwargs))
        except ServiceError as err:
            return error_response(err)
        except Exception:
            log.exception("unhandled error")
            return respond(500, {"error": "server_error", "error_description": "Internal error."})

    return wrapped
