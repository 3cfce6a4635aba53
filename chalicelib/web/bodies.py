"""Reading a request: its JSON or form body, its query and its cookies, each checked once.

Bodies are checked against their route's schema in openapi.json (contract.py) before any use
case sees them: a use case's `parse()` may assume the types and sizes the document states.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from chalice.app import Request

from chalicelib import contract
from chalicelib.errors import InvalidRequest, PayloadTooLarge

MAX_BODY_BYTES = 16 * 1024


def json_body(request: Request, schema: str) -> dict:
    """The JSON object a request carries, checked against its route's schema (openapi.json)."""
    raw = _raw(request)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:  # deep nesting recurses
        raise InvalidRequest("body must be a JSON object") from err
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object")
    _check(body, schema)
    return body


def form_body(request: Request, schema: str) -> dict[str, str]:
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
    _check(form, schema)
    return form


FORM_TYPE = "application/x-www-form-urlencoded"
# A route whose form body is optional (userinfo's POST, RFC 6750 2.2) takes JSON's media type
# too: Chalice reads a request without Content-Type (a GET, a POST with no body) as JSON, and
# would refuse it with 415. `optional_form_body` refuses a body in it.
OPTIONAL_FORM = [FORM_TYPE, "application/json"]


def optional_form_body(request: Request, schema: str) -> dict[str, str] | None:
    """The form body of a request that may have none: None without a body; a body that is
    not form-encoded is refused."""
    if (request.headers.get("content-type") or "").split(";")[0].strip().lower() == FORM_TYPE:
        return form_body(request, schema)
    if _raw(request):
        raise InvalidRequest(f"a body must be {FORM_TYPE}")
    return None


def form_params(request: Request, schema: str) -> dict[str, str]:
    """A form read as `query` reads a query (the authorization endpoint's POST): a repeated
    parameter is named in `_repeated`, for the endpoint to answer as its own error."""
    try:
        pairs = parse_qsl(_raw(request).decode("ascii"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as err:
        raise InvalidRequest("body must be form-encoded UTF-8") from err
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            params.setdefault("_repeated", name)
        params[name] = value
    _check(params, schema)
    return params


def _check(body: dict, schema: str) -> None:
    try:
        contract.check_named(body, schema)
    except RecursionError as err:  # nesting json.loads took but a walk of it does not
        raise InvalidRequest("body is nested too deeply") from err


def _raw(request: Request) -> bytes:
    raw = request.raw_body or b""
    if isinstance(raw, str):  # typed str | bytes by Chalice, which hands views bytes
        raw = raw.encode("utf-8")
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return raw


def query(request: Request) -> dict[str, str]:
    """Query parameters; a repeated one is named in `_repeated` (RFC 6749 3.1: an error)."""
    params = request.query_params
    if not params:
        return {}
    flat = {name: params[name] for name in params}  # the last of repeated ones
    repeated = [name for name in params if len(params.getlist(name)) > 1]
    if repeated:
        flat["_repeated"] = repeated[0]
    return flat


def cookies(request: Request) -> dict[str, str]:
    """The request's cookies, read leniently, one by one: SimpleCookie gives up on the whole
    header at the first cookie it dislikes (a space in another site's value, say), and that
    would cost the page its CSRF token and the browser its recognition."""
    found: dict[str, str] = {}
    for pair in (request.headers.get("cookie") or "").split(";"):
        name, sep, value = pair.strip().partition("=")
        if sep and name and name not in found:
            found[name] = value.strip().strip('"')
    return found
