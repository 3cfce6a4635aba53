"""What every request gets, whatever its route: an access log line (but for successful
reads), and HSTS behind https.

Chalice runs these around every view, including the page (/authorize), /static and the
errors the views turned into responses (responses.json_view), so no route can forget them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib import service
from chalicelib.web.responses import compact_json, log

YEAR = 365 * 24 * 3600
# Behind https, browsers are told to never try plain http for this host again (RFC 6797).
HSTS = f"max-age={YEAR}"


def bind(app: Any) -> None:
    def access_log(event: Any, get_response: Callable[[Any], Response]) -> Response:
        started = time.perf_counter()
        request_id(event)
        response = get_response(event)
        if _https():
            response.headers["Strict-Transport-Security"] = HSTS
        if not _quiet(event, response):
            log.info(compact_json(_line(app, event, response, started)))
        return response

    app.register_middleware(access_log, "http")


def _quiet(event: Any, response: Response) -> bool:
    """Successful reads go unlogged: the page, its files, discovery and the page's result
    polls are most requests and tell an operator nothing a failure would not (CloudWatch
    bills every line: they were a third of a sign-in's log bytes). Every POST and every error
    (4xx, 5xx) keeps its line; what a GET changes (a single sign-on sign-in, the security-info
    page's callback) is in the audit log."""
    if response.status_code >= 400:
        return False
    return event.method == "GET" or (event.path or "").endswith("/result")


def request_id(event: Any) -> str:
    """The id support asks for: API Gateway's or the function URL's request id; where none
    is given (Chalice's local server), one made here, kept in the request's context so the
    error page and the access log line show the same."""
    context = event.context if isinstance(event.context, dict) else {}
    found = context.get("requestId")
    if not found:
        found = context["requestId"] = uuid.uuid4().hex
    return str(found)


def _line(app: Any, event: Any, response: Response, started: float) -> dict:
    """What happened, never who: no usernames, secrets or tokens."""
    context = event.context or {}
    route = app.routes.get(context.get("resourcePath") or "", {}).get(event.method)
    status = response.status_code
    line = {
        "level": "info" if status < 500 else "error",
        "request_id": context.get("requestId"),
        "view": route.view_name if route else None,
        "tenant": (event.uri_params or {}).get("tenant_id"),
        "status": status,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    error = getattr(response, "error", None)
    if error:
        line["error"] = error
    return line


def _https() -> bool:
    try:
        return service.get().settings.public_base_url.startswith("https://")
    except KeyError:  # no PUBLIC_BASE_URL: only routes that need no settings can answer
        return False
