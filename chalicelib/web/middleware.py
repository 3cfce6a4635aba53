"""What every request gets, whatever its route: an access log line (but for successful
reads), and HSTS behind https.

Chalice runs these around every view, including the page (/authorize), /static and the
errors the views turned into responses (responses.json_view), so no route can forget them.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib import service
from chalicelib.domain import signals
from chalicelib.settings import Settings
from chalicelib.web import origin_trust
from chalicelib.web.responses import compact_json, log

YEAR = 365 * 24 * 3600
# Behind https, browsers are told to never try plain http for this host again (RFC 6797).
HSTS = f"max-age={YEAR}"


def bind(app: Any) -> None:
    def access_log(event: Any, get_response: Callable[[Any], Response]) -> Response:
        started = time.perf_counter()
        request_id(event)
        settings = _settings()
        with signals.collecting() as events:
            response = origin_trust.refused(event.headers, settings) or get_response(event)
        if settings is not None and settings.public_base_url.startswith("https://"):
            response.headers["Strict-Transport-Security"] = HSTS
        if events or not _quiet(event, response):
            _write(_line(app, event, response, started, events))
        return response

    app.register_middleware(access_log, "http")


def _quiet(event: Any, response: Response) -> bool:
    """Successful reads go unlogged: the page, its files, discovery and the page's result
    polls are most requests and tell an operator nothing a failure would not (CloudWatch
    bills every line: they were a third of a sign-in's log bytes). Every POST, every error
    (4xx, 5xx) and every request that did something an operator counts (a single sign-on
    sign-in on a GET, say) keeps its line."""
    if response.status_code >= 400:
        return False
    return event.method == "GET" or (event.path or "").endswith("/result")


def _write(line: dict) -> None:
    """One line per request. Under Lambda's JSON log format (the Terraform module's default)
    its fields go in as the record's extra fields, which the runtime writes at the top level
    of the JSON it logs, where CloudWatch metric filters (`{ $.status >= 500 }`) and Logs
    Insights see them; the message is a short summary. Elsewhere (the Text format, the demo)
    the message is the line itself, as JSON."""
    level = logging.ERROR if line["status"] >= 500 else logging.INFO
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON":
        log.log(level, f"{line['view']} {line['status']}", extra=line)
    else:
        log.log(level, compact_json(line))


def request_id(event: Any) -> str:
    """The id support asks for: API Gateway's or the function URL's request id; where none
    is given (Chalice's local server), one made here, kept in the request's context so the
    error page and the access log line show the same."""
    context = event.context if isinstance(event.context, dict) else {}
    found = context.get("requestId")
    if not found:
        found = context["requestId"] = uuid.uuid4().hex
    return str(found)


def _line(app: Any, event: Any, response: Response, started: float, events: dict) -> dict:
    """What happened, never who: no usernames, secrets or tokens."""
    context = event.context or {}
    route = app.routes.get(context.get("resourcePath") or "", {}).get(event.method)
    line = {
        "request_id": context.get("requestId"),
        "view": route.view_name if route else None,
        "tenant": (event.uri_params or {}).get("tenant_id"),
        "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    error = getattr(response, "error", None)
    if error:
        line["error"] = error
    if events:
        line["events"] = events
    return line


def _settings() -> Settings | None:
    """The deployment's settings, or None without PUBLIC_BASE_URL (only routes that need no
    settings can answer then)."""
    try:
        return service.get().settings
    except KeyError:
        return None
