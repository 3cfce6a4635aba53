"""`python -m tools.bench`: run every measurement, print readable lines, then the JSON line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from tools import bench
from tools.bench import cost, signins, startup
from tools.local_aws import FAKE_CREDENTIALS

AWS_METHOD = (
    "tools/scenario.py's sign-in through the Lambda handler against moto in-process; calls "
    "counted by botocore hooks on the service's clients, capacity units by DynamoDB's rules from "
    "item sizes in moto's back end (tools/bench/meter.py); one warm-up sign-in, tenant cache warm, "
    "usage flushed by event count only; result polls reported per poll"
)
CPU_METHOD = (
    "time.process_time around app.app(event, context) on an API Gateway REST proxy event, with "
    "the runtime's JSON decode and encode, minus the process time inside botocore's client calls "
    "(botocore and moto; see sdk_cpu). start + respond + token, polls apart; the phone's signing "
    "untimed. cpu.flows_only_* subtract Chalice routing, weighed on a no-op route. Mean over {n} "
    "sign-ins after 1 warm-up."
)
SDK_METHOD = (
    "process time inside botocore's client calls during the same sign-ins (serialise, SigV4 sign, "
    "parse), minus moto's handling (its before-send hook) and the meter's hooks; not in own CPU"
)
IMPORT_METHOD = (
    "fresh subprocesses, alternating, after one warm-up each (bytecode from a private "
    "PYTHONPYCACHEPREFIX): `import app`, chalicelib.service.get() and the dynamodb, sns and kms "
    "clients, against `import boto3` and one dynamodb client; medians"
)

# What cost() returns besides the lines of the bill.
NOT_LINES = ("total", "cents", "requests", "lambda_billed", "cognito", "dynamodb_read_units")
NOT_LINES += ("dynamodb_write_units", "api_front_rest", "api_front_function", "lambda_gb_seconds_x")
NOT_LINES += ("each_poll", "all_polls")


def _calls(calls: dict) -> str:
    parts = [
        f"{name} " + ", ".join(f"{op} {n}" for op, n in calls[name].items())
        for name in ("dynamodb", "sns", "kms")
        if calls.get(name)
    ]
    return f"{calls['total']} ({'; '.join(parts) or 'none'})"


def print_human(r: dict, verdicts: dict) -> None:
    u, pu = r["dynamodb_capacity_units_per_signin"], r["dynamodb_capacity_units_per_poll"]
    cpu, sdk, c = r["cpu"], r["sdk_cpu"], r["cost_usd_per_million_signins"]
    polls = c["requests_per_signin"] - len(cost.SIGNIN_STEPS)
    steps = r["aws_calls_per_signin_by_step"], r["dynamodb_capacity_units_per_signin_by_step"]
    rows = [
        ("AWS calls per sign-in", _calls(r["aws_calls_per_signin"])),
        *((f"  {step}", _calls(calls)) for step, calls in steps[0].items()),
        ("AWS calls per result poll", _calls(r["aws_calls_per_poll"])),
        ("AWS calls, tenant load (cold)", _calls(r["aws_calls_tenant_load"])),
        ("AWS calls, enrolment", _calls(r["aws_calls_enrol"])),
        ("DynamoDB units per sign-in", f"{u['total']} (read {u['read']}, write {u['write']}); "
                                       f"per poll: read {pu['read']}"),
        *((f"  {step}", f"read {units['read']}, write {units['write']}")
          for step, units in steps[1].items()),
        ("  largest item per table, bytes", r["dynamodb_largest_item_bytes"]),
        ("own CPU per sign-in", f"{r['own_cpu_ms_per_signin']} ms through the Lambda handler, per "
         f"poll {r['own_cpu_ms_per_poll']} ms; by request {cpu['by_step_mean']}; Chalice routing "
         f"{cpu['chalice_routing_ms_per_request']} ms/request, the flows alone "
         f"{cpu['flows_only_per_signin_mean']} ms per sign-in"),
        ("botocore CPU per sign-in", f"{sdk['per_signin']} ms (per call "
         f"{sdk['per_call_by_operation']}); per poll {sdk['per_poll']} ms"),
        ("import", f"app {r['import_ms']} ms vs boto3 {r['boto3_import_ms']} ms = "
         f"{r['import_ratio']}x (medians; minimums {r['import_ms_min']} vs "
         f"{r['boto3_import_ms_min']} ms = {r['import_ratio_of_minimums']}x)"),
        ("  app, ms added by each step", r["import_ms_by_step"]),
        ("  boto3, ms added by each step", r["boto3_import_ms_by_step"]),
        ("  app, self ms by package", r["import_self_ms_by_package"]),
        ("  app, cumulative ms of", r["import_cumulative_ms_of"]),
        ("package", f"{r['package_bytes']:,} bytes ({r['package_bytes'] / 2**20:.2f} MiB), "
         f"{r['package_files']} files, architectures {r['package_architectures']}"
         if r.get("package_bytes") else f"not built: {r.get('package_error')}"),
        *(("", f"{e['zipped']:>10,} zipped {e['unzipped']:>11,} unzipped  {e['name']}")
          for e in r.get("package_biggest_entries", [])),
        ("cost per million sign-ins", f"${c['total_http_api']} with HTTP API "
         f"({c['cents_per_thousand_signins_http_api']} cents per thousand), ${c['total_rest_api']} "
         f"REST API, ${c['total_function_url']} function URL; Cognito Essentials at "
         f"{cost.ASSUMPTIONS['signins_per_mau_per_month']} sign-ins/MAU: "
         f"${c['cognito_essentials_same_volume']}; the {polls} result "
         f"polls are ${c['all_polls_http_api']} of it (${c['each_poll_http_api']} each)"),
        *(("", f"${usd:>8.4f}  {line}") for line, usd in sorted(
            ((k, v) for k, v in c.items() if not k.startswith(NOT_LINES)), key=lambda kv: -kv[1])),
    ]  # fmt: skip
    print(f"# {r['signins']} complete sign-ins through the Lambda handler against moto "
          "(in-process), steady state: tenant cache warm; polls counted apart")  # fmt: skip
    print("\n".join(f"{label + ':':<33}{text}" if label else f"  {text}" for label, text in rows))
    for name, (ok, detail) in verdicts.items():
        print(f"{'PASS' if ok else 'MISS' if ok is not None else 'n/a '} {name}: {detail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=bench.__doc__)
    parser.add_argument("--signins", type=int, default=200, help="complete sign-ins (200)")
    parser.add_argument("--import-runs", type=int, default=5, help="subprocesses each (5)")
    parser.add_argument("--no-package", action="store_true", help="skip chalice package")
    args = parser.parse_args(argv)
    if args.signins < 1 or args.import_runs < 1:
        parser.error("--signins and --import-runs must be at least 1")
    began, load = time.perf_counter(), round(os.getloadavg()[0], 2)
    machine = {"cpus": os.cpu_count(), "load_average_1m_at_start": load}
    machine["python"] = sys.version.split()[0]
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)

    imports = startup.run_imports(args.import_runs, signins.BASE_URL)  # while the machine is quiet
    job = None if args.no_package else startup.Packages()  # build while the sign-ins run
    figures = signins.run(args.signins)
    cpu, sdk = figures.pop("cpu"), figures.pop("sdk_cpu")
    skipped = {"package_bytes": None, "package_error": "skipped (--no-package)"}
    package = job.finish(args.import_runs, signins.BASE_URL) if job else skipped

    headline = ("aws_calls_per_signin", "aws_calls_per_poll")
    headline += ("dynamodb_capacity_units_per_signin", "dynamodb_capacity_units_per_poll")
    report = {"signins": args.signins, **{k: figures[k] for k in headline}}
    report |= {
        "aws_method": AWS_METHOD,
        "own_cpu_ms_per_signin": cpu["per_signin_mean"],
        "own_cpu_ms_per_poll": cpu["per_poll_mean"],
        "cpu_method": CPU_METHOD.format(n=args.signins),
        "cpu": cpu,
        "sdk_cpu": {**sdk, "method": SDK_METHOD},
        **imports,
        "import_method": IMPORT_METHOD,
        **package,
    }
    report |= {k: v for k, v in figures.items() if k not in headline}
    report["cost_usd_per_million_signins"] = cost.cost(report)
    report |= {"prices": cost.PRICES, "assumptions": cost.ASSUMPTIONS}
    verdicts = cost.targets(report)
    report["targets"] = {k: [ok, detail] for k, (ok, detail) in verdicts.items()}
    report["elapsed_s"] = round(time.perf_counter() - began, 1)
    report["machine"] = machine | {"load_average_1m_at_end": round(os.getloadavg()[0], 2)}
    print_human(report, verdicts)
    print(f"# bench finished in {report['elapsed_s']} s")
    print(json.dumps(report, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
