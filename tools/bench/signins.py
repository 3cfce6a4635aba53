"""N complete phone sign-ins against moto in-process, each request through the Lambda handler.

The sign-in is tools/scenario.py's: start, one pending result poll (so polls are measured on
their own), the phone answers with the page's number, the result poll that sees "approved",
the token exchange with client_secret_basic. The service wires itself from the environment, as
in Lambda, with a warm tenant cache. A request's own CPU is its process time minus the time
spent inside botocore's client calls (meter.py): moto's handling there is what AWS would do,
the rest is botocore's serialising, signing and parsing, reported apart.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import time
from collections import defaultdict
from math import inf
from types import SimpleNamespace
from typing import Any
from unittest import mock

import boto3
import jwt
from chalice import Chalice
from chalice.local import RouteMatcher
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.sns.models import sns_backends

import app as app_module
from authenticator.device_api import DeviceApi
from chalicelib import service
from chalicelib.adapters import aws
from chalicelib.domain import metering
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from chalicelib.web import bodies, responses
from tools.admin import flows as admin
from tools.bench.cost import SIGNIN_STEPS, num
from tools.bench.meter import Meter, Phase
from tools.local_aws import provision
from tools.scenario import Client, Phone, Response, SignIn, SignInFailed, encode, transport

TENANT, USERNAME, CLIENT_ID = "acme", "alice@acme.test", "acme-web"
BASE_URL = "https://signin.example.test"
ISSUER, REDIRECT_URI = f"{BASE_URL}/t/{TENANT}", "https://app.acme.test/cb"
USER_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"
ACCOUNT_ID, REGION, PREFIX = "123456789012", "us-east-1", "bench-"  # moto's default account


class LambdaHttp:
    """The scenario's Http as Lambda runs the app: an API Gateway REST proxy event, the handler
    `app(event, context)`, and the runtime's JSON decode and encode, timed. `cpu` keeps each
    request's own CPU by the meter's phase, AWS (botocore and moto) taken out."""

    def __init__(self, app: Any, meter: Meter):
        self.app, self.meter, self.routes = app, meter, RouteMatcher(list(app.routes))
        self.context = SimpleNamespace(function_name="phone-signin-prod", memory_limit_in_mb=512)
        self.cpu: dict[str, list[float]] = defaultdict(list)

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
        t0, aws0 = time.process_time(), self.meter.aws_cpu
        raw = json.dumps(self.app(json.loads(event), self.context))
        self.cpu[self.meter.phase].append(time.process_time() - t0 - (self.meter.aws_cpu - aws0))
        answer = json.loads(raw)
        return Response(answer["statusCode"], answer["headers"], answer["body"] or "")


class PushedPhone(Phone):
    """Answers only the sign-in its push names (read from moto's SNS endpoint, unmetered), and
    only with a number among the push's choices, as a person would."""

    def respond(self, signin_id: str, decision: str = "approve", number: int | None = None):
        (endpoint,) = sns_backends[ACCOUNT_ID][REGION].platform_endpoints.values()
        envelope = json.loads(endpoint.messages.popitem()[1])
        endpoint.messages.clear()
        payload = json.loads(next(v for k, v in envelope.items() if k != "default"))
        data = payload.get("signin") or payload["fcmV1Message"]["message"]["data"]
        choices = [int(n) for n in str(data.get("choices", "")).split(",") if n]
        if data["signin_id"] != signin_id or (choices and number not in choices):
            raise SignInFailed(f"the push does not match the sign-in: {data}")
        return super().respond(signin_id, decision, number)


def run(n: int) -> dict:
    """Moto in-process with the resources Terraform makes; the service from the environment,
    TENANT_CACHE_SECONDS raised so that every counted sign-in is the steady state."""
    env = {"PUBLIC_BASE_URL": BASE_URL, "TENANT_CACHE_SECONDS": "86400"}
    # Usage is flushed every FLUSH_EVENTS events, as in a busy container, never because
    # FLUSH_SECONDS went by: a slow or busy machine would otherwise count more writes.
    flush = mock.patch.object(metering, "FLUSH_SECONDS", inf)
    with mock_aws(), mock.patch.dict(os.environ, env), flush:
        os.environ.update(provision(boto3.session.Session(), PREFIX, "alias/bench"))
        aws.reset()
        service.get.cache_clear()
        meter = Meter(ACCOUNT_ID, REGION)
        try:
            for name in ("dynamodb", "sns", "kms"):
                meter.attach(aws.client(name))
            with meter.clocks():
                return _signins(n, service.get(), meter)
        finally:
            aws.reset()
            service.get.cache_clear()


def _signins(n: int, svc: Any, meter: Meter) -> dict:
    began = time.perf_counter()
    admin.create_tenant(svc, TENANT, "Acme Corp", Policy())
    # ES256 ID tokens, as the bench always signed them, so its CPU figures stay comparable
    # (an RS256 signature costs more: docs/performance.md).
    client = admin.add_client(
        svc, TENANT, CLIENT_ID, "Acme Portal", [REDIRECT_URI], id_token_signed_response_alg="ES256"
    )
    account = admin.create_account(svc, TENANT, USERNAME, AccountKind.WORK)
    code = admin.issue_activation_code(svc, TENANT, USERNAME)["activation_code"]
    http = LambdaHttp(app_module.app, meter)
    phone = PushedPhone(DeviceApi(transport(http), TENANT, ISSUER))
    meter.phase = "enrol"
    status, enrolled = phone.enrol(code, push_token="apns-bench-" + secrets.token_hex(16))
    if status != 200 or not enrolled.get("push"):
        raise SignInFailed(f"enrol: {status} {enrolled}")
    meter.phase = "tenant_load"  # a new container meeting the tenant: load it, unwrap its key
    lazy = (aws.lazy("dynamodb"), aws.lazy("sns"), aws.lazy("kms"))
    service.build(svc.settings, *lazy).directory.get(TENANT)

    # Without PKCE, as the bench always ran: the sign-in items, and so the units, stay comparable.
    rp = Client(http, TENANT, CLIENT_ID, client["client_secret"], REDIRECT_URI, pkce=False)
    signin = SignIn(http, phone, TENANT, on_step=lambda step: setattr(meter, "phase", step))
    steps, wall = (*SIGNIN_STEPS, "poll_pending", "poll_final"), []
    for i in range(n + 1):  # the first sign-in warms the container and is not counted
        for step in steps if i == 1 else ():
            meter.take(step)
            http.cpu.pop(step)
        t0 = time.perf_counter()
        tokens = signin.run(rp, USERNAME, page=False, pending_polls=1)
        meter.phase = "idle"
        wall.append(time.perf_counter() - t0)
        # One person signs in a few times a day, not hundreds of times a minute: forget the
        # push counters (in moto's back end, unmetered) or the push-fatigue limits would stop
        # the bench. Their writes are counted.
        dynamodb_backends[ACCOUNT_ID][REGION].get_table(PREFIX + "limits").items.clear()

    jwks = jwt.PyJWKSet.from_dict(http.get(f"/t/{TENANT}/jwks.json").json())
    key = jwks[jwt.get_unverified_header(tokens["id_token"])["kid"]].key
    claims = jwt.decode(tokens["id_token"], key, ["ES256"], audience=CLIENT_ID, issuer=ISSUER)
    if claims["sub"] != account["sub"]:
        raise SignInFailed("the ID token names the wrong subject")

    per = {s: meter.take(s) for s in steps}
    per["signin"] = per["start"] + per["respond"] + per["token"]
    figures = {"signins": n}
    for suffix, phase, count in (
        ("per_signin", per["signin"], n), ("per_poll", per["poll_pending"], n),
        ("per_final_poll", per["poll_final"], n), ("enrol", meter.take("enrol"), 1),
        ("tenant_load", meter.take("tenant_load"), 1),
    ):  # fmt: skip
        figures[f"aws_calls_{suffix}"] = _calls(phase, count)
        figures[f"dynamodb_capacity_units_{suffix}"] = _units(phase, count)
    for s in SIGNIN_STEPS:
        figures.setdefault("aws_calls_per_signin_by_step", {})[s] = _calls(per[s], n)
        figures.setdefault("dynamodb_capacity_units_per_signin_by_step", {})[s] = _units(per[s], n)
    largest = sorted(meter.largest_item.items())
    return figures | {
        "unmetered_dynamodb_operations": dict(meter.unmetered),
        "dynamodb_largest_item_bytes": {t.removeprefix(PREFIX): size for t, size in largest},
        "id_token_verified": True,
        "moto_ms_per_signin_wall": _ms(statistics.median(wall[1:])),
        "cpu": _cpu(http.cpu, n, _routing_ms(meter)),
        "sdk_cpu": _sdk(per, n),
        "moto_seconds": round(time.perf_counter() - began, 2),
    }


def _cpu(samples: dict[str, list[float]], n: int, routing_ms: float) -> dict:
    totals = [sum(samples[s][i] for s in SIGNIN_STEPS) for i in range(n)]
    names = {"start": "start", "poll": "poll_pending", "respond": "respond"}
    names |= {"final": "poll_final", "token": "token"}
    by_step = {name: _ms(statistics.fmean(samples[step])) for name, step in names.items()}
    mean = statistics.fmean(totals)
    return {
        "per_signin_mean": _ms(mean),
        "per_signin_median": _ms(statistics.median(totals)),
        "per_signin_p90": _ms(statistics.quantiles(totals, n=10)[-1]) if n > 1 else None,
        "per_signin_with_final_poll_mean": _ms(mean + statistics.fmean(samples["poll_final"])),
        "per_poll_mean": by_step["poll"],
        "by_step_mean": by_step,
        "chalice_routing_ms_per_request": round(routing_ms, 3),
        "flows_only_per_signin_mean": round(_ms(mean) - len(SIGNIN_STEPS) * routing_ms, 3),
        "flows_only_by_step_mean": {s: round(v - routing_ms, 3) for s, v in by_step.items()},
        "enrol_ms": _ms(samples["enrol"][0]),
    }


def _routing_ms(meter: Meter, warmup: int = 20, runs: int = 300) -> float:
    """What routing costs apart from the flow behind it: a Chalice app with the service's edge
    (responses.json_view, a checked JSON body) and no work, through the same handler path."""
    bare = Chalice(app_name="bench-routing")

    @bare.route("/t/{tenant_id}/signin/{signin_id}/result", methods=["POST"])
    @responses.json_view
    def result(tenant_id, signin_id):
        bodies.json_body(bare.current_request, "BindingSecret")
        return {"status": "pending", "expires_at": 0}

    http, meter.phase = LambdaHttp(bare, meter), "routing"
    for _ in range(warmup + runs):
        http.post(f"/t/{TENANT}/signin/{'0' * 38}/result", {"secret": "x" * 43})
    return statistics.fmean(http.cpu["routing"][warmup:]) * 1000


def _sdk(per: dict[str, Phase], n: int) -> dict:
    """botocore's own CPU: serialise, sign and parse, moto's handling and the meter taken out."""
    by_step = {s: _ms(sum(per[s].sdk_cpu.values()) / n) for s in (*SIGNIN_STEPS, "poll_pending")}
    calls, spent = per["signin"].calls, per["signin"].sdk_cpu
    return {
        "per_signin": round(sum(by_step[s] for s in SIGNIN_STEPS), 3),
        "per_poll": by_step["poll_pending"],
        "by_step": by_step,
        "per_call_by_operation": {
            f"{s}.{o}": _ms(spent[s, o] / calls[s, o]) for s, o in sorted(spent)
        },
    }


def _calls(phase: Phase, divisor: int) -> dict:
    by_service: dict[str, dict] = {"dynamodb": {}, "sns": {}, "kms": {}}
    for (name, operation), count in sorted(phase.calls.items()):
        by_service.setdefault(name, {})[operation] = num(count / divisor)
    return by_service | {"total": num(sum(phase.calls.values()) / divisor)}


def _units(phase: Phase, divisor: int) -> dict:
    read, write = phase.read / divisor, phase.write / divisor
    return {"read": num(read), "write": num(write), "total": num(read + write)}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
