"""The HTTP fronts a deployment can choose, seen from the Lambda function.

Chalice expects API Gateway REST API events (payload 1.0, routed by API Gateway: the
matched `resourcePath` and `pathParameters` filled in). The cheaper fronts send other
shapes: an HTTP API with one catch-all route sends payload 1.0 without our route, and a
Lambda function URL (or an HTTP API with payload 2.0) sends payload 2.0. `adapt` turns
either into the event Chalice expects, matching the path against the app's own routes, and
`adapt_response` gives payload 2.0 its cookies the way it wants them.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

CATCH_ALL = ("/{proxy+}", "$default", None)


def match(path: str, patterns: Iterable[str]) -> tuple[str, dict[str, str]] | None:
    """The route pattern for a path and its parameters; literal segments win over {params}."""
    parts = path.rstrip("/").split("/") if path != "/" else [""]
    best = None
    for pattern in patterns:
        segments = pattern.rstrip("/").split("/") if pattern != "/" else [""]
        if len(segments) != len(parts):
            continue
        params, literal = {}, 0
        for segment, part in zip(segments, parts, strict=True):
            if segment.startswith("{") and segment.endswith("}"):
                if not part:
                    break
                params[segment[1:-1]] = part
            elif segment != part:
                break
            else:
                literal += 1
        else:
            if best is None or literal > best[0]:
                best = (literal, pattern, params)
    return None if best is None else (best[1], best[2])


def adapt(event: dict, patterns: Iterable[str]) -> dict:
    if event.get("version") == "2.0":
        event = _from_payload_v2(event)
    context = event.get("requestContext") or {}
    if context.get("resourcePath") not in CATCH_ALL:
        return event  # a REST API routed it already
    found = match(event.get("path") or "/", patterns)
    resource, params = found if found else ("/{proxy+}", {})
    return {
        **event,
        "resource": resource,
        "pathParameters": params or None,
        "requestContext": {**context, "resourcePath": resource},
    }


def _from_payload_v2(event: dict) -> dict:
    http = event["requestContext"]["http"]
    headers = dict(event.get("headers") or {})
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(event.get("rawQueryString") or "", keep_blank_values=True):
        query.setdefault(name, []).append(value)
    return {
        "httpMethod": http["method"],
        "path": event.get("rawPath") or http.get("path") or "/",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "body": event.get("body"),
        "isBase64Encoded": event.get("isBase64Encoded", False),
        "stageVariables": None,
        "payloadVersion": "2.0",
        "requestContext": {
            "resourcePath": None,
            "httpMethod": http["method"],
            "requestId": event["requestContext"].get("requestId"),
            "identity": {"sourceIp": http.get("sourceIp"), "userAgent": http.get("userAgent")},
        },
    }


def adapt_response(response: dict, event: dict) -> dict:
    """Payload 2.0 wants cookies in a list of their own."""
    if event.get("version") != "2.0":
        return response
    headers = dict(response.get("headers") or {})
    multi = response.pop("multiValueHeaders", None) or {}
    cookies = [c for k, v in multi.items() if k.lower() == "set-cookie" for c in v]
    cookies += [headers.pop(k) for k in list(headers) if k.lower() == "set-cookie"]
    for name, values in multi.items():
        if name.lower() != "set-cookie":
            headers[name] = ", ".join(values)
    return {**response, "headers": headers, **({"cookies": cookies} if cookies else {})}
