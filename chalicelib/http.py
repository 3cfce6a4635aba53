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
