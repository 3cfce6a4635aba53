"""`make load`: a bounded load run of concurrent complete sign-ins against the local stack,
and a simulation of one tenant at 10,000 sign-ins a second against DynamoDB's per-key limits.

Loopback only (a moto server and the API on 127.0.0.1), and self-stopping: at most
--signins sign-ins or --seconds seconds, whichever comes first. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives.asymmetric import ec

from authenticator.device_api import DeviceApi, http_transport
from chalicelib import service
from chalicelib.adapters import aws
from chalicelib.domain.accounts import AccountKind, user_key
from chalicelib.domain.metering import SHARDS
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin
from tools.bench_meter import Meter, MotoItems
from tools.local_aws import running

CALLBACK = "https://load.test/cb"
PER_KEY_WCU = 1000  # DynamoDB: writes per second a single partition key can take
PER_KEY_RCU = 3000


def _post(url: str, body: dict | str, form: bool = False) -> tuple[int, dict]:
    data = body.encode() if form else json.dumps(body).encode()
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    request = urllib.request.Request(url, data, {"Content-Type": kind}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def run(signins: int, concurrency: int, seconds: float) -> dict:
    with running() as stack:
        svc = service.get()
        meter = Meter(MotoItems("123456789012", "us-east-1"))
        for name in ("dynamodb", "sns", "kms"):
            meter.attach(aws.client(name))
        # The busiest limits a tenant may set: one test account signs in far more often than a
        # person would (each worker has its own account; see ACCOUNTS_PER_WORKER).
        admin.create_tenant(
            svc, "load", "Load Test",
            Policy(signin_seconds=600, pushes_per_minute=20, pushes_per_day=1000, max_pending=10),
        )  # fmt: skip
        secret = admin.add_client(svc, "load", "load-app", "Load", [CALLBACK])["client_secret"]
        issuer = stack.issuer("load")
        phones = []
        for i in range(concurrency):  # one account and phone per worker: no shared sign-ins
            username = f"user{i}@load.test"
            admin.create_account(svc, "load", username, AccountKind.WORK)
            code = admin.issue_activation_code(svc, "load", username)["activation_code"]
            key = ec.generate_private_key(ec.SECP256R1())
            api = DeviceApi(http_transport(stack.api_url), "load", issuer)
            status, body = api.enrol(
                key, activation_code=code, platform="ios", installation_id=f"load-inst-{i}",
                push_token=f"load-token-{i}",
            )  # fmt: skip
            assert status == 200, body
            phones.append((username, api, key))
        meter.phase = "load"
        latencies: dict[str, list[float]] = {"start": [], "respond": [], "result": [], "token": []}
        errors: Counter = Counter()
        done = [0]
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def timed(step: str, call):
            t0 = time.perf_counter()
            status, body = call()
            with lock:
                latencies[step].append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    errors[f"{step}:{status}:{body.get('error')}"] += 1
            return status, body

        def worker(index: int) -> None:
            username, api, key = phones[index]
            while time.monotonic() < deadline:
                with lock:
                    if done[0] >= signins:
                        return
                    done[0] += 1
                start = {"client_id": "load-app", "username": username, "redirect_uri": CALLBACK}
                _, started = timed("start", lambda body=start: _post(f"{issuer}/signin", body))
                if "signin_id" not in started:
                    continue
                sign_in(api, key, started)

        def sign_in(api, key, started: dict) -> None:
            sid, secret_of_page = started["signin_id"], started["secret"]
            timed("respond", lambda: api.respond(key, sid, "approve", started["number"]))
            poll = {"secret": secret_of_page}
            _, result = timed("result", lambda: _post(f"{issuer}/signin/{sid}/result", poll))
            form = urllib.parse.urlencode(
                {"grant_type": "authorization_code", "code": result.get("code", ""),
                 "client_id": "load-app", "client_secret": secret, "redirect_uri": CALLBACK}
            )  # fmt: skip
            timed("token", lambda: _post(f"{issuer}/token", form, form=True))

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
            step: {"p50": pct(values, 50), "p99": pct(values, 99)}
            for step, values in latencies.items()
        }
        | {"all": {"p50": pct(every, 50), "p99": pct(every, 99)}},
        "errors": dict(errors),
        "aws_calls_per_signin": {k: round(v / completed, 2) for k, v in sorted(calls.items())},
        "dynamodb_capacity_units_per_signin": {
            "read": round(phase.read / completed, 2),
            "write": round(phase.write / completed, 2),
        },
    }


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
    audit_shard_wcu = rate / SHARDS  # one approval event per sign-in, spread over the shards
    return {
        "rate": rate,
        "users": users,
        "busiest_user_signins_per_second": round(busiest_user, 2),
        "signins_table_busiest_key_wcu": round(signin_key_wcu, 1),
        "audit_busiest_key_wcu": round(audit_shard_wcu, 1),
        "audit_shards_needed_at_70pct": -(-rate // int(PER_KEY_WCU * 0.7)),
        "usage_writes": "one per container per 5 s: ~500 containers give 100/s over 16 keys",
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
