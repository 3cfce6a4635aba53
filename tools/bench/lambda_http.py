"""The bench's stand-ins for what surrounds the function: the Lambda runtime's event and JSON,
a phone that answers from its push, and CloudWatch's log lines, each measured."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from awslambdaric.lambda_runtime_log_utils import JsonFormatter
from chalice.local import RouteMatcher
from moto.sns.models import sns_backends

from tools.bench.meter import Meter
from tools.scenario import Phone, Response, SignInFailed, encode

USER_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"
ACCOUNT_ID, REGION = "123456789012", "us-east-1"  # moto's default account
REQUEST_ID = "8f507cfc-0d2e-4c1a-9b7e-3f1d2c4b5a69"  # a Lambda request id's length
# What the Lambda platform writes for every invocation (START, END, REPORT) in the Text format;
# the service module's default (JSON, system logs at WARN) writes none of them.
PLATFORM_LINES = (
    f"START RequestId: {REQUEST_ID} Version: $LATEST",
    f"END RequestId: {REQUEST_ID}",
    f"REPORT RequestId: {REQUEST_ID}\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
    "Memory Size: 512 MB\tMax Memory Used: 98 MB\t",
)
CLOUDWATCH_EVENT_OVERHEAD = 26  # bytes CloudWatch Logs counts per log event besides its text


class LambdaHttp:
    """The scenario's Http as Lambda runs the app: an API Gateway REST proxy event, the handler
    `app(event, context)`, and the runtime's JSON decode and encode, timed. `cpu` keeps each
    request's own CPU by the meter's phase, AWS (botocore and moto) taken out; `wall` its
    elapsed time, AWS's stand-in included."""

    def __init__(self, app: Any, meter: Meter):
        self.app, self.meter, self.routes = app, meter, RouteMatcher(list(app.routes))
        self.context = SimpleNamespace(function_name="phone-signin-prod", memory_limit_in_mb=512)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.requests: dict[str, int] = defaultdict(int)

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self._invoke("GET", path, None, headers or {})

    def post(self, path: str, body: dict | str, headers: dict | None = None) -> Response:
        return self._invoke("POST", path, *encode(body, headers))

    def _invoke(self, method: str, path: str, body: str | None, headers: dict) -> Response:
        route, bare_path = self.routes.match_route(path), path.split("?")[0]
        headers = {k.lower(): v for k, v in ({"User-Agent": USER_AGENT} | headers).items()}
        query = route.query_params or None
        # The source address chalice's test client gives, with which the counts were first taken.
        identity = {"sourceIp": "127.0.0.1", "userAgent": USER_AGENT}
        event = json.dumps({
            "resource": route.route, "path": bare_path, "httpMethod": method, "body": body,
            "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query and {k: v[-1] for k, v in query.items()},
            "multiValueQueryStringParameters": query, "pathParameters": route.captured,
            "stageVariables": None, "isBase64Encoded": False,
            "requestContext": {"resourcePath": route.route, "httpMethod": method, "stage": "api",
                               "path": "/api" + bare_path, "requestId": secrets.token_hex(16),
                               "identity": identity},
        })  # fmt: skip
        phase = self.meter.phase
        t0, w0, aws0 = time.process_time(), time.perf_counter(), self.meter.aws_cpu
        raw = json.dumps(self.app(json.loads(event), self.context))
        self.cpu[phase].append(time.process_time() - t0 - (self.meter.aws_cpu - aws0))
        self.wall[phase].append(time.perf_counter() - w0)
        self.requests[phase] += 1
        answer = json.loads(raw)
        return Response(answer["statusCode"], answer["headers"], answer["body"] or "")


class PushedPhone(Phone):
    """Answers from its push alone, as docs/device-api.md has the app do (no list call): only
    the sign-in the push names (read from moto's SNS endpoint for its token, unmetered), and
    only with a number among the push's choices, as a person would."""

    push_token = ""

    def respond(self, signin_id: str, decision: str = "approve", number: int | None = None):
        endpoints = sns_backends[ACCOUNT_ID][REGION].platform_endpoints.values()
        (endpoint,) = [e for e in endpoints if e.token == self.push_token]
        envelope = json.loads(endpoint.messages.popitem()[1])
        endpoint.messages.clear()
        payload = json.loads(next(v for k, v in envelope.items() if k != "default"))
        data = payload.get("signin") or payload["fcmV1Message"]["message"]["data"]
        choices = [int(n) for n in str(data.get("choices", "")).split(",") if n]
        if data["signin_id"] != signin_id or (choices and number not in choices):
            raise SignInFailed(f"the push does not match the sign-in: {data}")
        return super().respond(signin_id, decision, number)


class LogBytes(logging.Handler):
    """What the service logs, as CloudWatch Logs ingests it from the function the service
    module deploys (JSON format: each line wrapped by the Python runtime), by the meter's
    phase, with CloudWatch's per-event overhead."""

    def __init__(self, meter: Meter):
        super().__init__(logging.INFO)
        self.meter = meter
        self.bytes: dict[str, int] = defaultdict(int)
        self.lines: dict[str, int] = defaultdict(int)
        self.format = JsonFormatter().format

    def emit(self, record: logging.LogRecord) -> None:
        # The Python runtime's own formatter (awslambdaric, a development dependency), with
        # the invocation's id it adds to every record; its line ends in a newline already.
        record.aws_request_id = REQUEST_ID
        line = self.format(record)
        self.bytes[self.meter.phase] += len(line.encode()) + CLOUDWATCH_EVENT_OVERHEAD
        self.lines[self.meter.phase] += 1


def platform_log_bytes() -> int:
    """The platform's lines for one invocation in the Text format (platform_log_lines = true),
    as CloudWatch counts them."""
    return sum(len(line.encode()) + 1 + CLOUDWATCH_EVENT_OVERHEAD for line in PLATFORM_LINES)
