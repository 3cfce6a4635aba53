"""From a view's answer or error to an HTTP response; one table from errors to statuses.

Every JSON response carries `Cache-Control: no-store` (most carry secrets or one-time
state), an error carries its own headers (ServiceError.headers), and none shows a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.errors import ServiceError, TemporarilyUnavailable

HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
}
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
# One encoder for every body and log line: json.dumps would build one per call.
compact_json = json.JSONEncoder(separators=(",", ":")).encode
log = logging.getLogger("phonesignin")
log.setLevel(logging.INFO)


class ErrorResponse(Response):
    """A response for an error; `error` is its code, for the access log line."""

    def __init__(self, error: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.error = error


def respond(status: int, body: dict, extra_headers: dict | None = None) -> Response:
    headers = {**HEADERS, **(extra_headers or {})}
    if headers["Cache-Control"] != HEADERS["Cache-Control"]:
        del headers["Pragma"]  # a public document (discovery, JWKS): caches may keep it
    return Response(body=compact_json(body), status_code=status, headers=headers)


def error_response(err: ServiceError) -> Response:
    return ErrorResponse(
        err.code,
        body=compact_json({"error": err.code, "error_description": err.description}),
        status_code=err.status,
        headers={**HEADERS, **err.headers()},
    )


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


def json_view(view: Callable[..., Any]) -> Callable[..., Response]:
    """Run a view; it returns a body, or (body, headers). Map domain errors to their status,
    AWS being busy or out of reach to a 503 with Retry-After, anything else to a bare 500."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            result = view(*args, **kwargs)
        except Exception as err:
            return error_response(as_service_error(err))
        body, headers = result if isinstance(result, tuple) else (result, None)
        return respond(200, body, headers)

    return wrapped


def as_service_error(err: Exception) -> ServiceError:
    """The error to answer with: a domain error as it is, AWS being busy as a 503, and
    anything else as a bare 500 (logged with its traceback here, never sent)."""
    if isinstance(err, ServiceError):
        return err
    if try_again(err):
        return TemporarilyUnavailable()
    log.exception("unhandled error")
    return ServerError()


class ServerError(ServiceError):
    status = 500
    code = "server_error"
    description = "Internal error."
