"""`make load`: a bounded load run of concurrent complete sign-ins against the local stack,
and a simulation of one tenant at 10,000 sign-ins a second against DynamoDB's per-key limits.

Loopback only (a moto server and the API on 127.0.0.1), and self-stopping: at most
--signins sign-ins or --seconds seconds, whichever comes first. The last line is JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from authenticator.device_api import DeviceApi
from chalicelib import service
from chalicelib.adapters import aws
from chalicelib.domain.accounts import AccountKind, user_key
from chalicelib.domain.metering import SHARDS
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin
from tools.bench.meter import Meter
from tools.local_aws import running
from tools.scenario import Client, Phone, Response, SignIn, SignInFailed, UrlHttp, transport

CALLBACK = "https://load.test/cb"
PER_KEY_WCU = 1000  # DynamoDB: writes per second a single partition key can take
PER_KEY_RCU = 3000


class TimedHttp:
    """One worker's HTTP: each request timed under the step the scenario names (the page's
    final poll is `result`), and each refusal counted as `step:status:error`."""

    def __init__(self, base_url: str, latencies: dict, errors: Counter, lock: threading.Lock):
        self.http, self.step = UrlHttp(base_url), None
        self.latencies, self.errors, self.lock = latencies, errors, lock

    def at(self, step: str) -> None:
        self.step = "result" if step == "poll_final" else step

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self._timed(self.http.get, path, headers)

    def post(self, path: str, body: dict | str, headers: dict | None = None) -> Response:
        return self._timed(self.http.post, path, body, headers)

    def _timed(self, send, *args) -> Response:
        t0 = time.perf_counter()
        response = send(*args)
        if self.step is not None:  # setup (enrolment) is not timed
            with self.lock:
                self.latencies[self.step].append((time.perf_counter() - t0) * 1000)
                if response.status != 200:
                    error = response.json().get("error") if response.text.startswith("{") else None
                    self.errors[f"{self.step}:{response.status}:{error}"] += 1
        return response


def run(signins: int, concurrency: int, seconds: float) -> dict:
    latencies: dict[str, list[float]] = {"start": [], "respond": [], "result": [], "token": []}
    errors: Counter = Counter()
    lock = threading.Lock()
    with running() as stack:
        svc = service.get()
        meter = Meter()
        for name in ("dynamodb", "sns", "kms"):
            meter.attach(aws.client(name))
        # The busiest limits a tenant may set: one test account signs in far more often than a
        # person would (each worker has its own account and phone: no shared sign-ins).
        admin.create_tenant(
            svc, "load", "Load Test",
            Policy(signin_seconds=600, pushes_per_minute=20, pushes_per_day=1000, max_pending=10),
        )  # fmt: skip
        secret = admin.add_client(svc, "load", "load-app", "Load", [CALLBACK])["client_secret"]
        workers = []
        for i in range(concurrency):
            username = f"user{i}@load.test"
            admin.create_account(svc, "load", username, AccountKind.WORK)
            code = admin.issue_activation_code(svc, "load", username)["activation_code"]
            http = TimedHttp(stack.api_url, latencies, errors, lock)
            phone = Phone(DeviceApi(transport(http), "load", stack.issuer("load")))
            status, body = phone.enrol(
                code, installation_id=f"load-inst-{i}", push_token=f"load-token-{i}"
            )
            assert status == 200, body
            rp = Client(http, "load", "load-app", secret, CALLBACK)
            workers.append((SignIn(http, phone, "load", on_step=http.at), rp, username))
        meter.phase = "load"
        done = [0]
        deadline = time.monotonic() + seconds

        def worker(index: int) -> None:
            signin, rp, username = workers[index]
            while time.monotonic() < deadline:
                with lock:
                    if done[0] >= signins:
                        return
                    done[0] += 1
                with contextlib.suppress(SignInFailed):  # counted in `errors`; the next one
                    signin.run(rp, username, page=False)

        started_at = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(worker, range(concurrency)))
        elapsed = time.perf_counter() - started_at
        svc.meter.flush()
        phase = meter.take("load")
    completed = len(latencies["token"])
    every = [ms for step in latencies.values() for ms in step]

    def pct(values: list[float], p: float) -> float:
        return round(statistics.quantiles(values, n=100)[int(p) - 1], 1) if len(values) > 1 else 0

    calls = Counter({f"{s}.{o}": n for (s, o), n in phase.calls.items()})
    return {
        "signins": completed,
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "signins_per_second": round(completed / elapsed, 1),
        "requests_per_second": round(len(every) / elapsed, 1),
        "latency_ms": {
            step: {"p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99)}
            for step, values in latencies.items()
        }
        | {"all": {"p50": pct(every, 50), "p95": pct(every, 95), "p99": pct(every, 99)}},
        "errors": dict(errors),
        "aws_calls_per_signin": {k: round(v / completed, 2) for k, v in sorted(calls.items())},
        "dynamodb_capacity_units_per_signin": {
            "read": round(phase.read / completed, 2),
            "write": round(phase.write / completed, 2),
        },
    }


DENIED_SHARE = 0.01  # answers that deny, report fraud or pick a wrong number


def simulate(rate: int = 10_000, users: int = 2_000_000, seconds: int = 10) -> dict:
    """One tenant at `rate` sign-ins a second, usernames drawn Zipf-like (a few people sign in
    far more often): the busiest partition key of each table, against DynamoDB's limits."""
    rng = random.Random(7)  # noqa: S311 - a reproducible simulation, not a secret
    weights = [1 / (rank + 1) ** 0.8 for rank in range(users)]
    names = rng.choices(range(users), weights=weights, k=rate * seconds)
    per_user = Counter(user_key(f"user{n}") for n in names)
    busiest_user = max(per_user.values()) / seconds
    # Each sign-in: 1 put + 1 decide + 1 redeem on its user's sign-in key (1 KB items).
    signin_key_wcu = busiest_user * 3
    # Approvals write no audit event (the decided sign-in is their record): only the answers
    # that go wrong do; 1 in 100, spread over the shards.
    audit_shard_wcu = rate * DENIED_SHARE / SHARDS
    return {
        "rate": rate,
        "users": users,
        "busiest_user_signins_per_second": round(busiest_user, 2),
        "signins_table_busiest_key_wcu": round(signin_key_wcu, 1),
        "audit_busiest_key_wcu": round(audit_shard_wcu, 1),
        "audit_shards_needed_at_70pct": -(-int(rate * DENIED_SHARE) // int(PER_KEY_WCU * 0.7)),
        "usage_writes": "at most events/100 + containers/60 a second, over 16 keys",
        "limits": {"per_key_wcu": PER_KEY_WCU, "per_key_rcu": PER_KEY_RCU},
        "verdict": "no key near its limit"
        if max(signin_key_wcu, audit_shard_wcu) < PER_KEY_WCU * 0.7
        else "raise SHARDS or spread the hottest key",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signins", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    report = {
        "load": run(args.signins, args.concurrency, args.seconds),
        "simulated_10k": simulate(),
    }
    print(json.dumps(report["simulated_10k"]))
    print(json.dumps(report, separators=(",", ":")))


if __name__ == "__main__":
    main()
