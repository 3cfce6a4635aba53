"""The benchmark behind `make bench`: what one phone sign-in costs.

    .venv/bin/python -m tools.bench [--signins N] [--no-package]

1. AWS calls and DynamoDB capacity units. A tenant, a confidential client and one enrolled
   iOS phone with a push token, made through tools.admin.flows and the device API; then N
   complete sign-ins through chalice.test.Client against moto in-process: start -> one extra
   "pending" result poll -> the phone answers with the page's number, picked among the choices
   in its push -> the result poll that sees "approved" -> token exchange. Calls are counted
   with botocore event hooks on the service's own (lazy) clients; capacity units are computed
   by DynamoDB's rules from the item sizes in moto's back end (tools/bench_meter.py). Per
   sign-in figures exclude every result poll; polls are reported per poll.
2. The service's own CPU (time.process_time) per sign-in with AWS stubbed: the boto3 clients
   handed to chalicelib.service.build are in-memory fakes (tools/bench_fakes.py), and every
   request goes through the Lambda handler, app.app(event, context), on an API Gateway proxy
   event, with the JSON decode and encode the runtime does. Chalice's routing is weighed on a
   no-op route and reported apart. The botocore share (serialising, SigV4, parsing) is
   measured apart too, by replaying the recorded moto responses through real clients.
3. Cold start: `import app` + chalicelib.service.get() + creating its dynamodb, sns and kms
   clients, against `import boto3` + one client; fresh subprocesses, median of 5 each.
4. The zip `chalice package --stage prod` builds (from a copy of the project in a temp dir).
5. Cost per million sign-ins at us-east-1 list prices, from the figures above.

Human-readable lines first; the last line on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import math
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import boto3
import jwt
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import ec
from moto import mock_aws
from moto.sns.models import sns_backends

import app as app_module
from authenticator.device_api import DeviceApi
from authenticator.device_api import sign as device_sign
from chalicelib import service
from chalicelib.adapters import aws
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin
from tools.bench_fakes import FakeDynamoDB, push_choices
from tools.bench_meter import Meter, MotoItems, Phase
from tools.local_aws import FAKE_CREDENTIALS, provision

ROOT = Path(__file__).resolve().parent.parent
TENANT = "acme"
BASE_URL = "https://signin.example.test"
ISSUER = f"{BASE_URL}/t/{TENANT}"
USERNAME = "alice@acme.test"
CLIENT_ID = "acme-web"
REDIRECT_URI = "https://app.acme.test/cb"
USER_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"
SOURCE_IP = "203.0.113.7"
ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
PREFIX = "bench-"
KMS_ALIAS = "alias/bench"
SIGNIN_STEPS = ("start", "respond", "token")
WARMUP_SIGNINS = 20

PRICES = {
    "source": "AWS list prices, us-east-1, as of 2025",
    "http_api_per_million_requests": 1.00,
    "rest_api_per_million_requests": 3.50,
    "function_url_per_million_requests": 0.0,
    "lambda_per_million_requests": 0.20,
    "lambda_arm64_per_gb_second": 0.0000133334,
    "lambda_x86_64_per_gb_second": 0.0000166667,
    "dynamodb_on_demand_per_million_write_request_units": 0.625,
    "dynamodb_on_demand_per_million_read_request_units": 0.125,
    "sns_mobile_push_per_million_deliveries": 0.50,
    "sns_publish_api_per_million_requests": 0.50,
    "kms_per_10k_requests": 0.03,
    "kms_per_key_month": 1.00,
    "cloudwatch_logs_per_gb_ingested": 0.50,
    "cognito_essentials_per_mau": 0.015,
}
ASSUMPTIONS = {
    "page_poll_interval_s": 2,
    "person_answers_after_s": 8,
    "pending_polls_per_signin": 4,
    "final_polls_per_signin": 1,
    "phone_lists_pending_signins": False,  # it has the push; a phone without push would poll
    "lambda_memory_mb": 512,
    "lambda_architecture_priced": "arm64",
    "lambda_full_vcpu_at_mb": 1769,  # Lambda gives CPU in proportion to memory
    "cpu_ms_scale_at_memory": "1769 / lambda_memory_mb (CPU-bound ms on a full core)",
    "dynamodb_latency_ms_per_call": 4,
    "sns_publish_latency_ms": 15,
    "kms_decrypt_latency_ms": 10,
    "lambda_runtime_overhead_ms_per_request": 0.5,
    "log_bytes_per_request": 300,  # START/END/REPORT lines; the service logs nothing on success
    "gb": 1e9,
    "signins_per_month": 1_000_000,
    "tenants": 1,
    "warm_containers": 2,
    "container_lifetime_hours": 1,
    "hours_per_month": 720,
    "tenant_cache_seconds": 60,  # the production default (Settings.tenant_cache_seconds)
    "signins_per_mau_per_month": 20,  # for the Cognito comparison only
}
TARGETS = {
    "dynamodb_capacity_units_per_signin": 5,
    "aws_calls_per_signin": 8,
    "dynamodb_read_units_per_poll": 1,
    "own_cpu_ms_per_signin": 3.0,
    "import_ratio": 1.2,
    "package_bytes": 5 * 1024 * 1024,  # 5 MB as AWS counts Lambda package sizes (MiB)
}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


@contextmanager
def _environ(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _aws_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env.update(FAKE_CREDENTIALS)
    return env


# 1. AWS calls and capacity units, against moto


class _Http:
    """POST through chalice.test.Client; (status, parsed JSON body)."""

    def __init__(self, client: Any):
        self.client = client

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        response = self.client.http.post(
            path,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            body=json.dumps(body),
        )
        return response.status_code, json.loads(response.body or b"{}")

    def token(self, form: dict, client_secret: str) -> tuple[int, dict]:
        basic = base64.b64encode(f"{CLIENT_ID}:{client_secret}".encode()).decode()
        response = self.client.http.post(
            f"/t/{TENANT}/token",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": f"Basic {basic}",
            },
            body=urlencode(form),
        )
        return response.status_code, json.loads(response.body or b"{}")


def _expect(what: str, http_status: int, body: dict, **fields: Any) -> dict:
    if http_status != 200 or any(body.get(k) != v for k, v in fields.items()):
        raise SystemExit(f"bench: {what} failed: {http_status} {body}")
    return body


def _phase_calls(phase: Any, divisor: int) -> dict:
    by_service: dict[str, dict] = {}
    for (name, operation), count in sorted(phase.calls.items()):
        by_service.setdefault(name, {})[operation] = _num(count / divisor)
    for name in ("dynamodb", "sns", "kms"):
        by_service.setdefault(name, {})
    by_service["total"] = _num(sum(phase.calls.values()) / divisor)
    return by_service


def _phase_units(phase: Any, divisor: int) -> dict:
    read, write = phase.read / divisor, phase.write / divisor
    return {"read": _num(read), "write": _num(write), "total": _num(read + write)}


def _merge(phases: list[Phase]) -> Phase:
    merged = Phase()
    for phase in phases:
        merged.calls.update(phase.calls)
        merged.read += phase.read
        merged.write += phase.write
    return merged


def run_moto(signins: int) -> dict:
    began = time.perf_counter()
    with mock_aws():
        env = provision(boto3.session.Session(), PREFIX, KMS_ALIAS)
        # The service wires itself from the environment, exactly as in Lambda; the tenant
        # cache is kept warm for the whole run so every sign-in is the steady state.
        with _environ(**env, PUBLIC_BASE_URL=BASE_URL, TENANT_CACHE_SECONDS="86400"):
            aws.reset()
            service.get.cache_clear()
            try:
                svc = service.get()
                meter = Meter(MotoItems(ACCOUNT_ID, REGION))
                for name in ("dynamodb", "sns", "kms"):
                    meter.attach(aws.client(name))
                with Client(app_module.app, project_dir=str(ROOT)) as client:
                    result = _moto_signins(signins, svc, meter, _Http(client))
            finally:
                aws.reset()
                service.get.cache_clear()
    result["moto_seconds"] = round(time.perf_counter() - began, 2)
    return result


def _as_if_hours_apart(svc: Any) -> None:
    """One person signs in a few times a day, not hundreds of times a minute: forget the
    account's push-rate counters between the bench's sign-ins (straight in moto's back end,
    unmetered), or the push-fatigue limits would stop the bench. Their writes are counted."""
    from moto.dynamodb.models import dynamodb_backends

    if isinstance(svc.dynamodb, FakeDynamoDB):
        svc.dynamodb._tables[svc.settings.table_prefix + "limits"].clear()
        return
    table = dynamodb_backends[ACCOUNT_ID][REGION].get_table(svc.settings.table_prefix + "limits")
    table.items.clear()


def _moto_signins(n: int, svc: Any, meter: Meter, http: _Http) -> dict:
    meter.phase = "setup"
    admin.create_tenant(svc, TENANT, "Acme Corp", Policy())
    web = admin.add_client(svc, TENANT, CLIENT_ID, "Acme Portal", [REDIRECT_URI])
    account = admin.create_account(svc, TENANT, USERNAME, AccountKind.WORK)
    code = admin.issue_activation_code(svc, TENANT, USERNAME)

    key = ec.generate_private_key(ec.SECP256R1())
    phone = DeviceApi(http.post, TENANT, ISSUER)
    meter.phase = "enrol"
    status, enrolled = phone.enrol(
        key,
        activation_code=code["activation_code"],
        platform="ios",
        installation_id="inst-" + secrets.token_hex(8),
        push_token="apns-bench-" + secrets.token_hex(16),
    )
    _expect("enrol", status, enrolled, push=True)
    (endpoint,) = sns_backends[ACCOUNT_ID][REGION].platform_endpoints.values()

    # A new container meeting the tenant for the first time: load it, unwrap its data key.
    meter.phase = "tenant_load"
    cold = service.build(svc.settings, aws.lazy("dynamodb"), aws.lazy("sns"), aws.lazy("kms"))
    cold.directory.get(TENANT)

    id_token = None
    wall = []
    for i in range(n + 1):  # the first sign-in warms the container and is not counted
        if i == 1:
            for phase in ("start", "poll_pending", "respond", "poll_final", "token"):
                meter.take(phase)
        meter.recording = i == n  # the last one is replayed through botocore below
        t0 = time.perf_counter()
        meter.phase = "start"
        status, started = http.post(
            f"/t/{TENANT}/signin",
            {
                "client_id": CLIENT_ID,
                "username": USERNAME,
                "nonce": secrets.token_urlsafe(12),
                "redirect_uri": REDIRECT_URI,
            },
        )
        _expect("start", status, started)
        message = next(reversed(endpoint.messages.values()))
        endpoint.messages.clear()
        signin_id, choices = push_choices(message)
        if signin_id != started["signin_id"] or (choices and started["number"] not in choices):
            raise SystemExit(f"bench: push does not match the sign-in: {message}")

        meter.phase = "poll_pending"
        result_path = f"/t/{TENANT}/signin/{signin_id}/result"
        status, polled = http.post(result_path, {"secret": started["secret"]})
        _expect("pending poll", status, polled, status="pending")

        picked = started["number"]  # the person types it (or taps it, in pick mode)
        proof = device_sign(
            key,
            "signin-response+jwt",
            {"sid": signin_id, "decision": "approve", "number": picked},
            audience=ISSUER,
        )
        meter.phase = "respond"
        status, answer = http.post(f"/t/{TENANT}/device/respond", {"proof": proof})
        _expect("respond", status, answer, status="approved")

        meter.phase = "poll_final"
        status, final = http.post(result_path, {"secret": started["secret"]})
        _expect("final poll", status, final, status="approved")

        meter.phase = "token"
        form = {
            "grant_type": "authorization_code",
            "code": final["code"],
            "redirect_uri": REDIRECT_URI,
        }
        status, tokens = http.token(form, web["client_secret"])
        _expect("token", status, tokens, token_type="Bearer")
        meter.phase = "idle"
        wall.append(time.perf_counter() - t0)
        id_token = tokens["id_token"]
        _as_if_hours_apart(svc)
    meter.recording = False

    # The last ID token verifies against the published JWKS.
    jwks = http.client.http.get(f"/t/{TENANT}/jwks.json").json_body
    kid = jwt.get_unverified_header(id_token)["kid"]
    claims = jwt.decode(
        id_token,
        jwt.PyJWKSet.from_dict(jwks)[kid].key,
        algorithms=["ES256"],
        audience=CLIENT_ID,
        issuer=ISSUER,
    )
    if claims["sub"] != account["sub"]:
        raise SystemExit("bench: the ID token names the wrong subject")

    steps = {s: meter.take(s) for s in (*SIGNIN_STEPS, "poll_pending", "poll_final")}
    signin = _merge([steps[s] for s in SIGNIN_STEPS])
    enrol, tenant_load = meter.take("enrol"), meter.take("tenant_load")
    return {
        "signins": n,
        "aws_calls_per_signin": _phase_calls(signin, n),
        "aws_calls_per_signin_by_step": {s: _phase_calls(steps[s], n) for s in SIGNIN_STEPS},
        "aws_calls_per_poll": _phase_calls(steps["poll_pending"], n),
        "aws_calls_per_final_poll": _phase_calls(steps["poll_final"], n),
        "aws_calls_enrol": _phase_calls(enrol, 1),
        "aws_calls_tenant_load": _phase_calls(tenant_load, 1),
        "dynamodb_capacity_units_per_signin": _phase_units(signin, n),
        "dynamodb_capacity_units_per_signin_by_step": {
            s: _phase_units(steps[s], n) for s in SIGNIN_STEPS
        },
        "dynamodb_capacity_units_per_poll": _phase_units(steps["poll_pending"], n),
        "dynamodb_capacity_units_per_final_poll": _phase_units(steps["poll_final"], n),
        "dynamodb_capacity_units_enrol": _phase_units(enrol, 1),
        "dynamodb_capacity_units_tenant_load": _phase_units(tenant_load, 1),
        "unmetered_dynamodb_operations": dict(meter.unmetered),
        "dynamodb_largest_item_bytes": {
            table.removeprefix(PREFIX): size for table, size in sorted(meter.largest_item.items())
        },
        "id_token_verified": True,
        "moto_ms_per_signin_wall": _ms(statistics.median(wall)),
        "recorded": meter.recorded,
    }


# 2. The service's own CPU, with AWS replaced by in-memory fakes


class _LambdaPath:
    """Invoke app.app as Lambda does: a REST API proxy event, JSON in and JSON out."""

    def __init__(self, app: Any):
        self.app = app
        self.context = SimpleNamespace(
            function_name="phone-signin-prod", aws_request_id="bench", memory_limit_in_mb=512
        )

    def event(self, resource: str, path_parameters: dict, body: str, headers: dict) -> str:
        path = resource
        for name, value in path_parameters.items():
            path = path.replace("{" + name + "}", value)
        return json.dumps(
            {
                "resource": resource,
                "path": path,
                "httpMethod": "POST",
                "headers": headers,
                "multiValueHeaders": {k: [v] for k, v in headers.items()},
                "queryStringParameters": None,
                "multiValueQueryStringParameters": None,
                "pathParameters": path_parameters,
                "stageVariables": None,
                "requestContext": {
                    "resourcePath": resource,
                    "httpMethod": "POST",
                    "path": "/api" + path,
                    "stage": "api",
                    "requestId": secrets.token_hex(16),
                    "identity": {"sourceIp": SOURCE_IP, "userAgent": USER_AGENT},
                },
                "body": body,
                "isBase64Encoded": False,
            }
        )

    def invoke(self, raw_event: str) -> tuple[float, dict]:
        """(CPU seconds, parsed body) for one invocation."""
        t0 = time.process_time()
        response = self.app(json.loads(raw_event), self.context)
        raw = json.dumps(response)
        spent = time.process_time() - t0
        answer = json.loads(raw)
        if answer["statusCode"] != 200:
            raise SystemExit(f"bench: lambda path failed: {answer}")
        return spent, json.loads(answer["body"])


def _fake_services():
    from chalicelib.adapters.dynamodb.base import SCHEMA
    from chalicelib.settings import Settings
    from tools.bench_fakes import FakeDynamoDB, FakeKms, FakeSns

    apps = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:app"
    settings = Settings(
        table_prefix=PREFIX,
        kms_key_id=KMS_ALIAS,
        public_base_url=BASE_URL,
        push_apps={
            "APNS": f"{apps}/APNS/bench-apns",
            "APNS_SANDBOX": f"{apps}/APNS_SANDBOX/bench-apns-sandbox",
            "GCM": f"{apps}/GCM/bench-fcm",
        },
        tenant_cache_seconds=86400,
    )
    dynamodb = FakeDynamoDB(
        {PREFIX + name: (spec["hash_key"], spec["range_key"]) for name, spec in SCHEMA.items()}
    )
    sns = FakeSns()
    return service.build(settings, dynamodb, sns, FakeKms()), sns


def _routing_baseline() -> Any:
    """A Chalice app with the service's edge (responses.json_view, JSON body) and no work, to weigh
    what routing a request costs apart from the flow behind it."""
    from chalice import Chalice

    from chalicelib.web import bodies, responses

    bare = Chalice(app_name="bench-routing")

    @bare.route("/t/{tenant_id}/signin/{signin_id}/result", methods=["POST"])
    @responses.json_view
    def result(tenant_id, signin_id):
        bodies.json_body(bare.current_request)
        return {"status": "pending", "expires_at": 0}

    return bare


def run_cpu(signins: int) -> dict:
    """Every request through app.app(event, context), AWS replaced by the fakes; the
    service's wiring is the real one (chalicelib.service.build)."""
    svc, sns = _fake_services()
    admin.create_tenant(svc, TENANT, "Acme Corp", Policy())
    web = admin.add_client(svc, TENANT, CLIENT_ID, "Acme Portal", [REDIRECT_URI])
    admin.create_account(svc, TENANT, USERNAME, AccountKind.WORK)
    code = admin.issue_activation_code(svc, TENANT, USERNAME)
    key = ec.generate_private_key(ec.SECP256R1())
    lam = _LambdaPath(app_module.app)
    json_headers = {"content-type": "application/json", "user-agent": USER_AGENT}
    basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{web['client_secret']}".encode()).decode()
    form_headers = {"content-type": "application/x-www-form-urlencoded", "authorization": basic}

    def post(resource: str, body: dict, **params: str) -> tuple[float, dict]:
        raw = json.dumps(body)
        return lam.invoke(lam.event(resource, {"tenant_id": TENANT, **params}, raw, json_headers))

    samples: dict[str, list[float]] = {
        k: [] for k in ("start", "poll", "respond", "final", "token")
    }
    original_get = service.get
    service.get = lambda: svc
    try:
        claims = {
            "activation_code": code["activation_code"],
            "platform": "ios",
            "installation_id": "inst-" + secrets.token_hex(8),
            "screen_lock": True,
            "push_token": "apns-bench-" + secrets.token_hex(16),
        }
        proof = device_sign(key, "device-enrol+jwt", claims, audience=ISSUER, embed_jwk=True)
        enrol_cpu, _ = post("/t/{tenant_id}/device/enrol", {"proof": proof})
        (endpoint,) = sns.endpoints
        for i in range(WARMUP_SIGNINS + signins):
            t: dict[str, float] = {}
            body = {"client_id": CLIENT_ID, "username": USERNAME, "nonce": "n-" + str(i)}
            body["redirect_uri"] = REDIRECT_URI
            t["start"], started = post("/t/{tenant_id}/signin", body)
            sid, secret = started["signin_id"], started["secret"]
            pushed_id, choices = sns.choices(endpoint)
            if pushed_id != sid or (choices and started["number"] not in choices):
                raise SystemExit("bench: the push does not match the sign-in")
            result = "/t/{tenant_id}/signin/{signin_id}/result"
            t["poll"], polled = post(result, {"secret": secret}, signin_id=sid)
            _expect("pending poll", 200, polled, status="pending")
            answer = {"sid": sid, "decision": "approve", "number": started["number"]}
            proof = device_sign(key, "signin-response+jwt", answer, audience=ISSUER)  # untimed
            t["respond"], _ = post("/t/{tenant_id}/device/respond", {"proof": proof})
            t["final"], final = post(result, {"secret": secret}, signin_id=sid)
            _expect("final poll", 200, final, status="approved")
            form = urlencode(
                {
                    "grant_type": "authorization_code",
                    "code": final["code"],
                    "redirect_uri": REDIRECT_URI,
                }
            )
            event = lam.event("/t/{tenant_id}/token", {"tenant_id": TENANT}, form, form_headers)
            t["token"], tokens = lam.invoke(event)
            _expect("token", 200, tokens, token_type="Bearer")
            _as_if_hours_apart(svc)
            if i >= WARMUP_SIGNINS:
                for name, spent in t.items():
                    samples[name].append(spent)
    finally:
        service.get = original_get

    bare = _LambdaPath(_routing_baseline())
    noop = bare.event(
        "/t/{tenant_id}/signin/{signin_id}/result",
        {"tenant_id": TENANT, "signin_id": "0" * 38},
        json.dumps({"secret": "x" * 43}),
        json_headers,
    )
    routing = [bare.invoke(noop)[0] for _ in range(WARMUP_SIGNINS + signins * 5)]
    routing_ms = statistics.fmean(routing[WARMUP_SIGNINS:])

    totals = [sum(samples[s][i] for s in SIGNIN_STEPS) for i in range(signins)]
    with_final = [totals[i] + samples["final"][i] for i in range(signins)]
    by_step = {s: _ms(statistics.fmean(v)) for s, v in samples.items()}
    mean = statistics.fmean(totals)
    return {
        "per_signin_mean": _ms(mean),
        "per_signin_median": _ms(statistics.median(totals)),
        "per_signin_p90": _ms(statistics.quantiles(totals, n=10)[-1]) if signins > 1 else None,
        "per_signin_with_final_poll_mean": _ms(statistics.fmean(with_final)),
        "per_poll_mean": by_step["poll"],
        "by_step_mean": by_step,
        "chalice_routing_ms_per_request": _ms(routing_ms),
        "flows_only_per_signin_mean": _ms(mean - len(SIGNIN_STEPS) * routing_ms),
        "flows_only_by_step_mean": {s: _ms(v / 1000 - routing_ms) for s, v in by_step.items()},
        "enrol_ms": _ms(enrol_cpu),
    }


# 2b. botocore's own CPU: the last sign-in's calls, replayed against their recorded responses


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_: Any):
        yield self._body


def run_sdk_replay(recorded: list, repeats: int) -> dict:
    from botocore import xform_name
    from botocore.awsrequest import AWSResponse, HeadersDict

    if not recorded:
        return {"error": "nothing recorded"}
    aws.reset()
    clients = {name: aws.client(name) for name in {r.service for r in recorded}}
    aws.reset()
    current: list[Any] = [None]

    def send(**_: Any) -> Any:
        return current[0]

    for client in clients.values():
        client.meta.events.register("before-send.*.*", send)

    spent: Counter = Counter()
    per_operation: Counter = Counter()
    count: Counter = Counter()
    for round_ in range(repeats + 5):
        for rec in recorded:
            client = clients[rec.service]
            params = copy.deepcopy(rec.params)
            method = getattr(client, xform_name(rec.operation))
            current[0] = AWSResponse(
                "https://bench.invalid/", rec.status, HeadersDict(rec.headers), _Raw(rec.body)
            )
            t0 = time.process_time()
            method(**params)
            dt = time.process_time() - t0
            if round_ >= 5:
                spent[rec.phase] += dt
                per_operation[f"{rec.service}.{rec.operation}"] += dt
                count[f"{rec.service}.{rec.operation}"] += 1
    return {
        "per_signin": _ms(sum(spent[s] for s in SIGNIN_STEPS) / repeats),
        "per_poll": _ms(spent["poll_pending"] / repeats),
        "by_step": {s: _ms(spent[s] / repeats) for s in (*SIGNIN_STEPS, "poll_pending")},
        "per_call_by_operation": {k: _ms(v / count[k]) for k, v in sorted(per_operation.items())},
    }


# 3. Cold start: imports in fresh subprocesses

APP_IMPORT = """
import json, time
t0 = time.perf_counter()
marks = {}
import app
marks["import_app"] = time.perf_counter()
from chalicelib import service
from chalicelib.adapters import aws
service.get()
marks["service_get"] = time.perf_counter()
for name in ("dynamodb", "sns", "kms"):
    aws.client(name)
    marks["client_" + name] = time.perf_counter()
print(json.dumps({k: (v - t0) * 1000 for k, v in marks.items()}))
"""
BOTO3_IMPORT = """
import json, time
t0 = time.perf_counter()
import boto3
t1 = time.perf_counter()
boto3.session.Session().client("dynamodb")
t2 = time.perf_counter()
print(json.dumps({"import_boto3": (t1 - t0) * 1000, "client_dynamodb": (t2 - t0) * 1000}))
"""


IMPORT_WATCH = (  # cumulative import time of these, where the app first imports them
    "app",
    "chalice",
    "jwt",
    "cryptography.x509",
    "urllib.request",
    "chalicelib.service",
    "boto3",
)


def run_imports(runs: int) -> dict:
    """Median of `runs` fresh interpreters each, alternating, after one warm-up of each that
    fills a private bytecode cache (so both read compiled modules, none are written)."""
    cache = tempfile.mkdtemp(prefix="bench-pycache-")
    env = _aws_environment()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    env["PUBLIC_BASE_URL"] = BASE_URL

    def once(code: str, *flags: str) -> tuple[dict[str, float], str]:
        done = subprocess.run(
            [sys.executable, *flags, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr

    try:
        app_runs, boto3_runs = [], []
        for i in range(runs + 1):
            a, _ = once(APP_IMPORT)
            b, _ = once(BOTO3_IMPORT)
            if i:
                app_runs.append(a)
                boto3_runs.append(b)
        _, trace = once(APP_IMPORT, "-X", "importtime")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    by_package: Counter = Counter()
    cumulative: dict[str, float] = {}
    for line in trace.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = (p.strip() for p in line[len("import time:") :].split("|"))
        by_package[name.split(".")[0]] += int(self_us)
        if name in IMPORT_WATCH and name not in cumulative:
            cumulative[name] = round(int(cumulative_us) / 1000, 1)
    app_ms = [r[list(r)[-1]] for r in app_runs]
    boto3_ms = [r[list(r)[-1]] for r in boto3_runs]
    app_median, boto3_median = statistics.median(app_ms), statistics.median(boto3_ms)

    def marks(runs: list[dict]) -> dict:
        """Median elapsed ms at each point, and what each step added."""
        names = list(runs[0])
        at = {k: statistics.median(r[k] for r in runs) for k in names}
        return {k: round(at[k] - (at[names[i - 1]] if i else 0.0), 1) for i, k in enumerate(names)}

    return {
        "import_ms": round(app_median, 1),
        "boto3_import_ms": round(boto3_median, 1),
        "import_ratio": round(app_median / boto3_median, 3),
        "import_ms_min": round(min(app_ms), 1),
        "boto3_import_ms_min": round(min(boto3_ms), 1),
        "import_ratio_of_minimums": round(min(app_ms) / min(boto3_ms), 3),
        "import_ms_runs": [round(x, 1) for x in app_ms],
        "boto3_import_ms_runs": [round(x, 1) for x in boto3_ms],
        "import_ms_by_step": marks(app_runs),
        "boto3_import_ms_by_step": marks(boto3_runs),
        "import_self_ms_by_package": {k: round(v / 1000, 1) for k, v in by_package.most_common(8)},
        "import_cumulative_ms_of": cumulative,
    }


# 4. The deployment package


class PackageJob:
    """`chalice package --stage prod` on a copy of the project, in the background."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-package-"))
        self.error: str | None = None
        self.proc: subprocess.Popen | None = None
        project = self.tmp / "project"
        chalice = Path(sys.executable).parent / "chalice"
        if not chalice.exists():
            self.error = f"{chalice} not found"
            return
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        project.mkdir()
        shutil.copy2(ROOT / "app.py", project)
        shutil.copy2(ROOT / "requirements.txt", project)
        shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
        (project / ".chalice").mkdir()
        shutil.copy2(ROOT / ".chalice" / "config.json", project / ".chalice")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(chalice), "package", "--stage", "prod", str(self.tmp / "out")],
            cwd=project,
            env=_aws_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def finish(self, timeout: float = 240) -> dict:
        try:
            if self.proc is None:
                return {"package_bytes": None, "package_error": self.error}
            try:
                output, _ = self.proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()
                return {"package_bytes": None, "package_error": f"timed out after {timeout}s"}
            archive = self.tmp / "out" / "deployment.zip"
            if self.proc.returncode != 0 or not archive.exists():
                tail = " | ".join(output.strip().splitlines()[-3:])
                return {
                    "package_bytes": None,
                    "package_error": f"chalice package exited {self.proc.returncode}: {tail}",
                }
            return self._describe(archive, time.perf_counter() - self.started)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _describe(self, archive: Path, seconds: float) -> dict:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
        biggest = sorted(infos, key=lambda i: i.compress_size, reverse=True)[:5]
        tops: Counter = Counter()
        for info in infos:
            tops[info.filename.split("/")[0]] += info.compress_size
        architecture = None
        sam = archive.parent / "sam.json"
        if sam.exists():
            function = json.loads(sam.read_text())["Resources"].get("APIHandler", {})
            architecture = function.get("Properties", {}).get("Architectures")
        return {
            "package_bytes": archive.stat().st_size,
            "package_files": len(infos),
            "package_unzipped_bytes": sum(i.file_size for i in infos),
            "package_biggest_entries": [
                {"name": i.filename, "zipped": i.compress_size, "unzipped": i.file_size}
                for i in biggest
            ],
            "package_bytes_by_top_level": dict(tops.most_common(6)),
            "package_architectures": architecture,
            "package_has_pyc": any(i.filename.endswith(".pyc") for i in infos),
            "package_seconds": round(seconds, 1),
        }


# 5. Cost per million sign-ins


def _cost(aws_figures: dict, cpu: dict, sdk: dict, imports: dict) -> dict:
    p, a = PRICES, ASSUMPTIONS
    million = 1_000_000
    polls = a["pending_polls_per_signin"] + a["final_polls_per_signin"]
    requests = len(SIGNIN_STEPS) + polls
    scale = a["lambda_full_vcpu_at_mb"] / a["lambda_memory_mb"]
    gb = a["lambda_memory_mb"] / 1024
    by_step_calls = aws_figures["aws_calls_per_signin_by_step"]

    def latency(calls: dict) -> float:
        return (
            sum(calls["dynamodb"].values()) * a["dynamodb_latency_ms_per_call"]
            + calls["sns"].get("Publish", 0) * a["sns_publish_latency_ms"]
            + sum(calls["kms"].values()) * a["kms_decrypt_latency_ms"]
        )

    billed: dict[str, int] = {}
    handler = cpu["by_step_mean"]  # the service's CPU per request, routing included
    sdk_steps = sdk.get("by_step", {})
    for step in (*SIGNIN_STEPS, "poll"):
        calls = by_step_calls[step] if step != "poll" else aws_figures["aws_calls_per_poll"]
        sdk_ms = sdk_steps.get(step if step != "poll" else "poll_pending", 0.0)
        cpu_ms = handler[step] + sdk_ms
        wall = cpu_ms * scale + latency(calls) + a["lambda_runtime_overhead_ms_per_request"]
        billed[step] = math.ceil(wall)  # Lambda bills in 1 ms steps
    billed_ms_per_signin = sum(billed[s] for s in SIGNIN_STEPS) + polls * billed["poll"]
    gb_seconds = billed_ms_per_signin / 1000 * gb

    units = aws_figures["dynamodb_capacity_units_per_signin"]
    poll_units = aws_figures["dynamodb_capacity_units_per_poll"]
    reads = units["read"] + polls * poll_units["read"]
    writes = units["write"] + polls * poll_units["write"]
    publishes = aws_figures["aws_calls_per_signin"]["sns"].get("Publish", 0)

    month = a["signins_per_month"]
    per_million = million / month  # scales monthly fixed-ish counts to one million sign-ins
    container_starts = a["warm_containers"] * a["hours_per_month"] / a["container_lifetime_hours"]
    decrypts = container_starts * a["tenants"]
    reloads = (
        a["warm_containers"]
        * a["tenants"]
        * a["hours_per_month"]
        * 3600
        / a["tenant_cache_seconds"]
    )
    reload_units = aws_figures["dynamodb_capacity_units_tenant_load"]["read"]
    init_ms = imports["import_ms"] * scale

    lines = {
        "api_front_http_api": requests * p["http_api_per_million_requests"],
        "lambda_requests": requests * p["lambda_per_million_requests"],
        "lambda_gb_seconds_arm64": gb_seconds * million * p["lambda_arm64_per_gb_second"],
        "lambda_init_arm64": container_starts
        * per_million
        * init_ms
        / 1000
        * gb
        * p["lambda_arm64_per_gb_second"],
        "dynamodb_writes": writes * p["dynamodb_on_demand_per_million_write_request_units"],
        "dynamodb_reads": reads * p["dynamodb_on_demand_per_million_read_request_units"],
        "dynamodb_tenant_cache_reloads": reloads
        * per_million
        * reload_units
        / million
        * p["dynamodb_on_demand_per_million_read_request_units"],
        "sns_mobile_push": publishes * p["sns_mobile_push_per_million_deliveries"],
        "sns_publish_api_requests": publishes * p["sns_publish_api_per_million_requests"],
        "kms_decrypt_amortised": decrypts * per_million * p["kms_per_10k_requests"] / 10_000,
        "cloudwatch_logs": requests
        * a["log_bytes_per_request"]
        * million
        / a["gb"]
        * p["cloudwatch_logs_per_gb_ingested"],
    }
    lines = {k: round(v, 4) for k, v in lines.items()}
    behind_api = sum(v for k, v in lines.items() if k != "api_front_http_api")
    totals = {
        "total_http_api": round(behind_api + lines["api_front_http_api"], 3),
        "total_rest_api": round(behind_api + requests * p["rest_api_per_million_requests"], 3),
        "total_function_url": round(behind_api, 3),
    }
    cognito = p["cognito_essentials_per_mau"] * million / a["signins_per_mau_per_month"]
    one_poll = (  # what each result poll adds, per million sign-ins, behind an HTTP API
        p["http_api_per_million_requests"]
        + p["lambda_per_million_requests"]
        + billed["poll"] / 1000 * gb * million * p["lambda_arm64_per_gb_second"]
        + poll_units["read"] * p["dynamodb_on_demand_per_million_read_request_units"]
        + poll_units["write"] * p["dynamodb_on_demand_per_million_write_request_units"]
        + a["log_bytes_per_request"] * million / a["gb"] * p["cloudwatch_logs_per_gb_ingested"]
    )
    return {
        **lines,
        "api_front_rest_api_instead": round(requests * p["rest_api_per_million_requests"], 4),
        "api_front_function_url_instead": 0.0,
        **totals,
        "cents_per_thousand_signins_http_api": round(totals["total_http_api"] / 10, 3),
        "lambda_gb_seconds_x86_64_instead": round(
            gb_seconds * million * p["lambda_x86_64_per_gb_second"], 4
        ),
        "requests_per_signin": requests,
        "dynamodb_read_units_per_signin_with_polls": _num(reads),
        "dynamodb_write_units_per_signin_with_polls": _num(writes),
        "lambda_billed_ms_per_request": billed,
        "lambda_billed_ms_per_signin_with_polls": billed_ms_per_signin,
        "each_poll_http_api": round(one_poll, 4),
        "all_polls_http_api": round(one_poll * polls, 4),
        "cognito_essentials_same_volume": round(cognito, 2),
    }


# Report

AWS_METHOD = (
    "chalice.test.Client against moto in-process (mock_aws, tools.localstack.provision); the "
    "service wired by chalicelib.service.get() from the environment, with "
    "TENANT_CACHE_SECONDS=86400 so every counted sign-in is the steady state; one warm-up "
    "sign-in not counted; calls counted by botocore 'before-call' hooks on the service's "
    "clients; capacity units by DynamoDB's rules from item sizes read out of moto's back end "
    "before and after each call (tools/bench_meter.py); result polls excluded from per-sign-in "
    "figures and reported per poll"
)
CPU_METHOD = (
    "time.process_time around each request, through the Lambda handler: app.app(event, "
    "context) on an API Gateway REST proxy event, with the runtime's JSON decode and encode; "
    "the boto3 clients handed to chalicelib.service.build are in-memory fakes "
    "(tools/bench_fakes.py), so AWS, moto and botocore are excluded (botocore: see sdk_cpu). "
    "own_cpu_ms_per_signin = start + respond + token, polls apart; the phone's proof signing "
    "is not timed, token signing is. Chalice routing is weighed on a no-op route with the "
    "same edge (responses.json_view, JSON body) and subtracted for cpu.flows_only_*. Mean over {n} "
    "sign-ins after {warmup} warm-up sign-ins."
)
SDK_METHOD = (
    "botocore clients made as chalicelib.adapters.aws makes them, replaying the last moto "
    "sign-in's "
    "calls against its recorded HTTP responses (serialise, SigV4 sign, parse); not in own CPU"
)
IMPORT_METHOD = (
    "fresh subprocess each, time.perf_counter inside: `import app`, chalicelib.service.get(), "
    "chalicelib.adapters.aws.client() for dynamodb, sns and kms; against `import boto3` plus one "
    "dynamodb client; median of the runs after one warm-up each, bytecode read from a "
    "private PYTHONPYCACHEPREFIX filled by the warm-up"
)


def _line_calls(calls: dict) -> str:
    parts = []
    for name in ("dynamodb", "sns", "kms"):
        ops = ", ".join(f"{op} {n}" for op, n in calls.get(name, {}).items())
        if ops:
            parts.append(f"{name} {ops}")
    return f"{calls['total']} ({'; '.join(parts) or 'none'})"


def _verdict(ok: bool | None) -> str:
    return "PASS" if ok else ("MISS" if ok is not None else "n/a ")


def print_human(r: dict) -> None:
    out = print
    out(
        f"# {r['signins']} complete sign-ins through chalice.test.Client against moto "
        f"(in-process), steady state: tenant cache warm; polls counted apart"
    )
    out(f"AWS calls per sign-in:           {_line_calls(r['aws_calls_per_signin'])}")
    for step, calls in r["aws_calls_per_signin_by_step"].items():
        out(f"  {step:<8}                      {_line_calls(calls)}")
    out(f"AWS calls per result poll:       {_line_calls(r['aws_calls_per_poll'])}")
    out(f"AWS calls, tenant load (cold):   {_line_calls(r['aws_calls_tenant_load'])}")
    out(f"AWS calls, enrolment:            {_line_calls(r['aws_calls_enrol'])}")
    u, pu = r["dynamodb_capacity_units_per_signin"], r["dynamodb_capacity_units_per_poll"]
    out(
        f"DynamoDB units per sign-in:      {u['total']} "
        f"(read {u['read']}, write {u['write']});  per poll: read {pu['read']}"
    )
    for step, units in r["dynamodb_capacity_units_per_signin_by_step"].items():
        out(f"  {step:<8}                      read {units['read']}, write {units['write']}")
    out(f"  largest item per table, bytes: {r['dynamodb_largest_item_bytes']}")
    cpu = r["cpu"]
    out(
        f"own CPU per sign-in:             {r['own_cpu_ms_per_signin']} ms through the Lambda "
        f"handler, per poll {r['own_cpu_ms_per_poll']} ms; by request {cpu['by_step_mean']}; "
        f"Chalice routing {cpu['chalice_routing_ms_per_request']} ms/request, the flows alone "
        f"{cpu['flows_only_per_signin_mean']} ms per sign-in"
    )
    sdk = r["sdk_cpu"]
    if "per_signin" in sdk:
        out(
            f"botocore CPU per sign-in:        {sdk['per_signin']} ms (per call "
            f"{sdk['per_call_by_operation']}); per poll {sdk['per_poll']} ms"
        )
    out(
        f"import:                          app {r['import_ms']} ms vs boto3 "
        f"{r['boto3_import_ms']} ms = {r['import_ratio']}x (medians; minimums "
        f"{r['import_ms_min']} vs {r['boto3_import_ms_min']} ms = "
        f"{r['import_ratio_of_minimums']}x)"
    )
    out(f"  app, ms added by each step:    {r['import_ms_by_step']}")
    out(f"  boto3, ms added by each step:  {r['boto3_import_ms_by_step']}")
    out(f"  app, import self ms by package (-X importtime): {r['import_self_ms_by_package']}")
    out(
        f"  app, cumulative ms where first imported (-X importtime): {r['import_cumulative_ms_of']}"
    )
    if r.get("package_bytes"):
        out(
            f"package:                         {r['package_bytes']:,} bytes "
            f"({r['package_bytes'] / 2**20:.2f} MiB), {r['package_files']} files, "
            f"architectures {r['package_architectures']}"
        )
        for entry in r["package_biggest_entries"]:
            out(
                f"  {entry['zipped']:>10,} zipped {entry['unzipped']:>11,} unzipped"
                f"  {entry['name']}"
            )
    else:
        out(f"package:                         not built: {r.get('package_error')}")
    c = r["cost_usd_per_million_signins"]
    out(
        f"cost per million sign-ins:       ${c['total_http_api']} with HTTP API "
        f"({c['cents_per_thousand_signins_http_api']} cents per thousand), "
        f"${c['total_rest_api']} REST API, ${c['total_function_url']} function URL; "
        f"Cognito Essentials at {ASSUMPTIONS['signins_per_mau_per_month']} sign-ins/MAU: "
        f"${c['cognito_essentials_same_volume']}; the "
        f"{c['requests_per_signin'] - len(SIGNIN_STEPS)} result polls are "
        f"${c['all_polls_http_api']} of it (${c['each_poll_http_api']} each)"
    )
    skip = ("total", "cents", "requests", "lambda_billed", "cognito", "dynamodb_read_units")
    skip += ("dynamodb_write_units", "api_front_rest", "api_front_function", "lambda_gb_seconds_x")
    skip += ("each_poll", "all_polls")
    lines = {k: v for k, v in c.items() if not k.startswith(skip)}
    for name, usd in sorted(lines.items(), key=lambda kv: -kv[1]):
        out(f"  ${usd:>8.4f}  {name}")
    for name, (ok, detail) in r["targets"].items():
        out(f"{_verdict(ok)} {name}: {detail}")


def evaluate(r: dict) -> dict:
    t = TARGETS
    units, calls = r["dynamodb_capacity_units_per_signin"], r["aws_calls_per_signin"]
    poll = r["dynamodb_capacity_units_per_poll"]
    package = r.get("package_bytes")
    return {
        "dynamodb_units_per_signin": (
            units["total"] <= t["dynamodb_capacity_units_per_signin"],
            f"{units['total']} <= {t['dynamodb_capacity_units_per_signin']}",
        ),
        "aws_calls_per_signin": (
            calls["total"] <= t["aws_calls_per_signin"],
            f"{calls['total']} <= {t['aws_calls_per_signin']}",
        ),
        "read_units_per_poll": (
            poll["read"] <= t["dynamodb_read_units_per_poll"] and poll["write"] == 0,
            f"read {poll['read']} <= {t['dynamodb_read_units_per_poll']}, write {poll['write']}",
        ),
        "own_cpu_ms_per_signin": (
            r["own_cpu_ms_per_signin"] <= t["own_cpu_ms_per_signin"],
            f"{r['own_cpu_ms_per_signin']} ms <= {t['own_cpu_ms_per_signin']} ms "
            f"(Lambda handler path; flows alone "
            f"{r['cpu']['flows_only_per_signin_mean']} ms)",
        ),
        "import_vs_boto3": (
            r["import_ratio"] <= t["import_ratio"],
            f"{r['import_ratio']}x <= {t['import_ratio']}x",
        ),
        "package_size": (
            None if package is None else package <= t["package_bytes"],
            f"{package} bytes <= {t['package_bytes']} (5 MiB)"
            + ("" if package is None else f"; {package / 1e6:.2f} MB decimal"),
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--signins", type=int, default=200, help="complete sign-ins (200)")
    parser.add_argument("--import-runs", type=int, default=5, help="subprocesses each (5)")
    parser.add_argument("--no-package", action="store_true", help="skip chalice package")
    args = parser.parse_args(argv)
    if args.signins < 1 or args.import_runs < 1:
        parser.error("--signins and --import-runs must be at least 1")

    began = time.perf_counter()
    machine = {
        "cpus": os.cpu_count(),
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "python": sys.version.split()[0],
    }
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)

    imports = run_imports(args.import_runs)  # first, while the machine is quiet
    package_job = None if args.no_package else PackageJob()
    aws_figures = run_moto(args.signins)
    recorded = aws_figures.pop("recorded")
    cpu = run_cpu(args.signins)
    sdk = run_sdk_replay(recorded, repeats=args.signins)
    package = (
        {"package_bytes": None, "package_error": "skipped (--no-package)"}
        if package_job is None
        else package_job.finish()
    )

    headline = (
        "aws_calls_per_signin",
        "aws_calls_per_poll",
        "dynamodb_capacity_units_per_signin",
        "dynamodb_capacity_units_per_poll",
    )
    report: dict[str, Any] = {"signins": args.signins}
    report.update({k: aws_figures[k] for k in headline})
    report["aws_method"] = AWS_METHOD
    report.update(
        {
            "own_cpu_ms_per_signin": cpu["per_signin_mean"],
            "own_cpu_ms_per_poll": cpu["per_poll_mean"],
            "cpu_method": CPU_METHOD.format(n=args.signins, warmup=WARMUP_SIGNINS),
            "cpu": cpu,
            "sdk_cpu": {**sdk, "method": SDK_METHOD},
            **imports,
            "import_method": IMPORT_METHOD,
            **package,
        }
    )
    report.update({k: v for k, v in aws_figures.items() if k not in headline})
    report["cost_usd_per_million_signins"] = _cost(aws_figures, cpu, sdk, imports)
    report["prices"] = PRICES
    report["assumptions"] = ASSUMPTIONS
    targets = evaluate(report)
    report["targets"] = {k: [ok, detail] for k, (ok, detail) in targets.items()}
    report["elapsed_s"] = round(time.perf_counter() - began, 1)
    report["machine"] = {**machine, "load_average_1m_at_end": round(os.getloadavg()[0], 2)}
    print_human({**report, "targets": targets})
    print(f"# bench finished in {report['elapsed_s']} s")
    print(json.dumps(report, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
