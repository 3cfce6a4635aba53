"""Whole phone sign-ins against moto in-process, every request through the Lambda handler, on
realistic traffic: many people, each signing in a few times a day.

One sign-in is what a person and their browser, phone and app make, as documented: the app
sends the browser to /authorize (the page; its static files on a browser's first visit), the
page starts the sign-in, polls on its schedule (chalicelib/web/polling.py) while the person
takes ANSWER_AFTER_S seconds, the phone answers from its push (no list call), the page's next
poll gets the code (and opens the single sign-on session), and the app redeems it.

Time is simulated. The flow's clock puts each step where a person's would be. Usage is
counted on a second clock on which sign-ins arrive as they do at a container serving its
share of a million sign-ins a month (cost.ASSUMPTIONS), so the usage flush runs at its real
cadence. Each sign-in is another person's (up to 1,000 accounts, then round again): a person
signing in a few times a day meets no trace of their last sign-in (no push still counted, no
sign-in still waiting), exactly as here. A request's own CPU is its process time minus the
time inside botocore's client calls (meter.py); botocore's share is reported apart, moto's
(what AWS does) not at all.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import secrets
import statistics
import time
from math import ceil
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl, urljoin, urlsplit

import boto3
import jwt
from moto import mock_aws

import app as app_module
from authenticator.device_api import DeviceApi
from chalicelib import service
from chalicelib.adapters import aws
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.metering import SHARDS, Meter
from chalicelib.domain.tenants import Policy
from chalicelib.settings import Settings
from chalicelib.web import bodies, polling, responses
from chalicelib.web.chalice_app import App
from tools.admin import flows as admin
from tools.bench import cost
from tools.bench.cost import SIGNIN_STEPS, num
from tools.bench.lambda_http import LambdaHttp, LogBytes, PushedPhone, platform_log_bytes
from tools.bench.meter import Meter as AwsMeter
from tools.bench.meter import Phase
from tools.local_aws import provision
from tools.scenario import Client, SignIn, SignInFailed, transport

TENANT, CLIENT_ID = "acme", "acme-web"
BASE_URL = "https://signin.example.test"
ISSUER, REDIRECT_URI = f"{BASE_URL}/t/{TENANT}", "https://app.acme.test/cb"
ACCOUNT_ID, REGION, PREFIX = "123456789012", "us-east-1", "bench-"  # moto's default account
STEPS = ("page", "static", "start", "poll_pending", "respond", "poll_final", "token")
ANSWER_AFTER_S = cost.ASSUMPTIONS["person_answers_after_s"]
STATIC = re.compile(r'(?:src|href)="([^"]*/static/[^"]+)"')
START = 1_800_000_000  # 2027-01-15, 08:00 UTC: the simulated clocks' first sign-in
FLOW_GAP_S = 60  # between the starts of two sign-ins on the flow's clock: none overlaps


class SimulatedClock:
    def __init__(self, at: float):
        self.now = at

    def __call__(self) -> float:
        return self.now


def run(n: int, accounts: int = 1000) -> dict:
    """Moto in-process with the resources Terraform makes; the service as Lambda wires it from
    the environment, on simulated clocks, its tenant cache warm for the whole run."""
    # The JSON log format, as the service module deploys it: the service's lines go out as
    # top-level fields (web/middleware.py), which LogBytes formats as the runtime does.
    env = {"PUBLIC_BASE_URL": BASE_URL, "TENANT_CACHE_SECONDS": "86400"}
    env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
    with mock_aws(), mock.patch.dict(os.environ, env):
        os.environ.update(provision(boto3.session.Session(), PREFIX, "alias/bench"))
        aws.reset()
        service.get.cache_clear()
        meter = AwsMeter(ACCOUNT_ID, REGION)
        flow, arrivals = SimulatedClock(START), SimulatedClock(START)
        lazy = (aws.lazy("dynamodb"), aws.lazy("sns"), aws.lazy("kms"))
        svc = service.build(Settings.from_env(), *lazy, clock=flow)
        # Usage is counted as events arrive at a container at the real rate (the flush's cadence).
        usage = Meter(svc.usage, arrivals, lambda: secrets.randbelow(SHARDS))
        svc = dataclasses.replace(svc, meter=usage)
        logs = LogBytes(meter)
        logging.getLogger("phonesignin").addHandler(logs)
        try:
            for name in ("dynamodb", "sns", "kms"):
                meter.attach(aws.client(name))
            with meter.clocks(), mock.patch.object(service, "get", lambda: svc):
                return Bench(svc, meter, flow, arrivals, logs).run(n, accounts)
        finally:
            logging.getLogger("phonesignin").removeHandler(logs)
            aws.reset()
            service.get.cache_clear()


class Bench:
    def __init__(self, svc: Any, meter: AwsMeter, flow: SimulatedClock, arrivals, logs: LogBytes):
        self.svc, self.meter, self.flow, self.arrivals, self.logs = svc, meter, flow, arrivals, logs
        self.http = LambdaHttp(app_module.app, meter)
        self.browsers: set[str] = set()  # people whose browser has the static files cached

    def run(self, n: int, accounts: int) -> dict:
        began, svc = time.perf_counter(), self.svc
        admin.create_tenant(svc, TENANT, "Acme Corp", Policy())
        # ES256 ID tokens, as the bench always signed them, so its CPU figures stay comparable
        # (an RS256 signature costs about 0.25 ms more: docs/performance.md).
        client = admin.add_client(
            svc, TENANT, CLIENT_ID, "Acme Portal", [REDIRECT_URI],
            id_token_signed_response_alg="ES256",
        )  # fmt: skip
        # Only the people who sign in during the run are made: the others' items would never
        # be read (every key is one person's). Past `accounts` sign-ins, people come round again.
        people = [f"person{i:05d}@acme.test" for i in range(min(n + 1, accounts))]
        for username in people:
            admin.create_account(svc, TENANT, username, AccountKind.WORK)
        phones = {username: self._enrol(username) for username in people}
        self.meter.phase = "tenant_load"  # a new container meeting the tenant: load, unwrap
        lazy = (aws.lazy("dynamodb"), aws.lazy("sns"), aws.lazy("kms"))
        service.build(svc.settings, *lazy).directory.get(TENANT)

        # PKCE, nonce and state, as a relying party sends them (tools/scenario.Client).
        rp = Client(self.http, TENANT, CLIENT_ID, client["client_secret"], REDIRECT_URI)
        self.meter.take("enrol_more")
        for i in range(n + 1):  # the first sign-in warms the container and is not counted
            if i == 1:
                self._forget()
            username = people[i % len(people)]
            tokens = self._sign_in(i, rp, username, phones[username])
        self.meter.phase = "idle"
        self._check(tokens)
        return self._figures(n, began)

    def _enrol(self, username: str) -> PushedPhone:
        code = admin.issue_activation_code(self.svc, TENANT, username)["activation_code"]
        phone = PushedPhone(DeviceApi(transport(self.http), TENANT, ISSUER, clock=self.flow))
        phone.push_token = "apns-bench-" + secrets.token_hex(16)
        self.meter.phase = "enrol" if not self.meter.phases.get("enrol") else "enrol_more"
        status, enrolled = phone.enrol(code, push_token=phone.push_token)
        if status != 200 or not enrolled.get("push"):
            raise SignInFailed(f"enrol: {status} {enrolled}")
        return phone

    def _sign_in(self, i: int, rp: Client, username: str, phone: PushedPhone) -> dict:
        """One person's whole sign-in, each step at its time on the flow's clock."""
        at = START + i * FLOW_GAP_S
        self.arrivals.now = START + i * cost.arrival_gap_s()
        self.flow.now, self.meter.phase = at, "page"
        url = rp.authorization_url()
        page = self.http.get(url)
        if page.status != 200 or 'id="number-step"' not in page.text:
            raise SignInFailed(f"authorize page: {page.status}")
        if username not in self.browsers:  # a browser's first visit: the static files
            self.browsers.add(username)
            self.meter.phase = "static"
            for link in STATIC.findall(page.text):
                path = urlsplit(urljoin(url, link.replace("&amp;", "&"))).path
                if (got := self.http.get(path)).status != 200:
                    raise SignInFailed(f"static {path}: {got.status}")
        steps = iter(_schedule(at + 1))  # the person types their username: a second

        def on_step(step: str) -> None:
            self.meter.phase, self.flow.now = step, next(steps)

        signin = SignIn(self.http, phone, TENANT, on_step=on_step)
        query = dict(parse_qsl(urlsplit(url).query))
        fields = {k: query[k] for k in ("client_id", "nonce", "scope", "redirect_uri",
                                        "code_challenge", "code_challenge_method")}  # fmt: skip
        started = signin.start(username, **fields)
        if started.get("method") != "phone" or started.get("held"):
            raise SignInFailed(f"start: not a pushed phone sign-in: {started}")
        for _ in polling.poll_times(ANSWER_AFTER_S):
            signin.poll(started, "pending", "poll_pending")
        code = signin.approve(started)
        on_step("token")
        return rp.complete(query["state"], code)

    def _forget(self) -> None:
        """The warm-up's figures go; what follows is counted."""
        for step in STEPS:
            self.meter.take(step)
            for samples in (self.http.cpu, self.http.wall, self.logs.bytes, self.logs.lines):
                samples.pop(step, None)  # type: ignore[attr-defined]
            self.http.requests.pop(step, None)

    def _check(self, tokens: dict) -> None:
        jwks = jwt.PyJWKSet.from_dict(self.http.get(f"/t/{TENANT}/jwks.json").json())
        key = jwks[jwt.get_unverified_header(tokens["id_token"])["kid"]].key
        options = {"verify_iat": False, "verify_exp": False}  # on the simulated clock, below
        claims = jwt.decode(
            tokens["id_token"], key, ["ES256"], audience=CLIENT_ID, issuer=ISSUER, options=options
        )
        if not claims["iat"] <= self.flow.now < claims["exp"]:
            raise SignInFailed(f"the ID token is not valid now: {claims}")

    def _figures(self, n: int, began: float) -> dict:
        per = {s: self.meter.take(s) for s in STEPS}
        per["signin"] = per["start"] + per["respond"] + per["token"]
        polls = max(1, self.http.requests["poll_pending"])
        figures: dict = {"signins": n, "accounts_signing_in": min(n + 1, len(self.browsers))}
        for suffix, phase, count in (
            ("per_signin", per["signin"], n), ("per_poll", per["poll_pending"], polls),
            ("per_final_poll", per["poll_final"], n), ("enrol", self.meter.take("enrol"), 1),
            ("tenant_load", self.meter.take("tenant_load"), 1),
        ):  # fmt: skip
            figures[f"aws_calls_{suffix}"] = _calls(phase, count)
            figures[f"dynamodb_capacity_units_{suffix}"] = _units(phase, count)
        for s in SIGNIN_STEPS:
            figures.setdefault("aws_calls_per_signin_by_step", {})[s] = _calls(per[s], n)
            figures.setdefault("dynamodb_capacity_units_per_signin_by_step", {})[s] = _units(
                per[s], n
            )
        largest = sorted(self.meter.largest_item.items())
        return figures | {
            "flow": self._flow(per, n),
            "unmetered_dynamodb_operations": dict(self.meter.unmetered),
            "dynamodb_largest_item_bytes": {t.removeprefix(PREFIX): size for t, size in largest},
            "id_token_verified": True,
            "wall_ms_by_step": {s: _percentiles(self.http.wall[s]) for s in STEPS},
            "platform_log_bytes_per_request_text_format": platform_log_bytes(),
            "cpu": _cpu(self.http.cpu, n, _routing_ms(self.meter)),
            "sdk_cpu": _sdk(per, n),
            "moto_seconds": round(time.perf_counter() - began, 2),
        }

    def _flow(self, per: dict[str, Phase], n: int) -> dict:
        """Each step of the whole flow per sign-in: requests, calls, units, and per request its
        own CPU, botocore's CPU and its log bytes (the service's lines, as deployed)."""
        flow = {}
        for s in STEPS:
            requests = self.http.requests[s]
            each = max(1, requests)
            flow[s] = {
                "requests": num(requests / n),
                "calls": _calls(per[s], each),
                "units": _units(per[s], each),
                "cpu_ms": _ms(statistics.fmean(self.http.cpu[s])) if requests else 0,
                "sdk_ms": _ms(sum(per[s].sdk_cpu.values()) / each),
                "log_bytes": ceil(self.logs.bytes[s] / each),
                "service_log_lines": num(self.logs.lines[s] / each),
            }
        return flow


def _schedule(started: float) -> list[float]:
    """When each step after the start happens: the page's polls while the person answers,
    the answer, the poll that sees it, the app redeeming the code."""
    pending = polling.poll_times(ANSWER_AFTER_S)
    final = polling.poll_times(ANSWER_AFTER_S + polling.CAP + polling.GAP)[len(pending)]
    return [
        started, *(started + t for t in pending), started + ANSWER_AFTER_S, started + final,
        started + final + 0.2,
    ]  # fmt: skip


def _percentiles(samples: list[float]) -> dict:
    if len(samples) < 2:
        return {"p50": _ms(samples[0]) if samples else None, "p95": None}
    cuts = statistics.quantiles(samples, n=20)
    return {"p50": _ms(statistics.median(samples)), "p95": _ms(cuts[-1])}


def _cpu(samples: dict[str, list[float]], n: int, routing_ms: float) -> dict:
    totals = [sum(samples[s][i] for s in SIGNIN_STEPS) for i in range(n)]
    names = {"start": "start", "poll": "poll_pending", "respond": "respond"}
    names |= {"final": "poll_final", "token": "token", "page": "page"}
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


def _routing_ms(meter: AwsMeter, warmup: int = 20, runs: int = 300) -> float:
    """What routing costs apart from the flow behind it: a Chalice app with the service's edge
    (responses.json_view, a checked JSON body) and no work, through the same handler path."""
    bare = App(app_name="bench-routing")  # the service's own Chalice (web/chalice_app.py)

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
