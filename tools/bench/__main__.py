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
    "tools/bench/signins.py's whole flow (the page, its files on a first visit, start, the "
    "page's polls on its schedule, the phone's answer from its push, the poll that sees it, "
    "the token) through the Lambda handler against moto in-process, each sign-in another "
    "person's of {accounts}, on simulated clocks (usage flushed at its real cadence); calls "
    "counted by botocore hooks on the service's clients, capacity units by DynamoDB's rules "
    "from item sizes in moto's back end (tools/bench/meter.py); one warm-up sign-in, tenant "
    "cache warm; per sign-in: start + respond + token, the polls per poll"
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
    steps = r["aws_calls_per_signin_by_step"], r["dynamodb_capacity_units_per_signin_by_step"]
    flow, shipped = r["flow"], r.get("import_ratio_as_shipped")
    rows = [
        ("HTTP requests per sign-in", f"{r['http_requests_per_signin']} in the whole flow: "
         + ", ".join(f"{s} {f['requests']}" for s, f in flow.items())
         + f" (static on a first visit; 1 in {cost.ASSUMPTIONS['signins_per_browser_per_release']}"
         " counted)"),
        ("AWS calls per sign-in", _calls(r["aws_calls_per_signin"])),
        *((f"  {step}", _calls(calls)) for step, calls in steps[0].items()),
        ("AWS calls per result poll", f"{_calls(r['aws_calls_per_poll'])}; the poll that sees "
         f"the approval {_calls(r['aws_calls_per_final_poll'])}"),
        ("AWS calls, page and files", f"page {_calls(flow['page']['calls'])}; static "
         f"{_calls(flow['static']['calls'])}"),
        ("AWS calls, tenant load (cold)", _calls(r["aws_calls_tenant_load"])),
        ("AWS calls, enrolment", _calls(r["aws_calls_enrol"])),
        ("DynamoDB units per sign-in", f"{u['total']} (read {u['read']}, write {u['write']}); "
                                       f"per poll: read {pu['read']}; the poll that sees the "
                                       f"approval: {r['dynamodb_capacity_units_per_final_poll']}"),
        *((f"  {step}", f"read {units['read']}, write {units['write']}")
          for step, units in steps[1].items()),
        ("  largest item per table, bytes", r["dynamodb_largest_item_bytes"]),
        ("own CPU per sign-in", f"{r['own_cpu_ms_per_signin']} ms through the Lambda handler, per "
         f"poll {r['own_cpu_ms_per_poll']} ms; by request {cpu['by_step_mean']}; Chalice routing "
         f"{cpu['chalice_routing_ms_per_request']} ms/request, the flows alone "
         f"{cpu['flows_only_per_signin_mean']} ms per sign-in"),
        ("botocore CPU per sign-in", f"{sdk['per_signin']} ms (per call "
         f"{sdk['per_call_by_operation']}); per poll {sdk['per_poll']} ms"),
        ("wall ms per request, p50/p95", {s: f"{w['p50']}/{w['p95']}"
                                          for s, w in r["wall_ms_by_step"].items()}),
        ("log bytes per request", {s: f["log_bytes"] for s, f in flow.items()}),
        ("import", f"app {r['import_ms']} ms vs boto3 {r['boto3_import_ms']} ms = "
         f"{r['import_ratio']}x (medians; minimums {r['import_ms_min']} vs "
         f"{r['boto3_import_ms_min']} ms = {r['import_ratio_of_minimums']}x)"),
        ("import as shipped", f"{shipped}x boto3 + 1 client (ratio of minimums: "
         f"{r['import_as_shipped_ms_min']} vs {r['import_as_shipped_boto3_ms_min']} ms; medians "
         f"{r['import_as_shipped_ms_median']} vs {r['import_as_shipped_boto3_ms_median']} ms; "
         f"{r['import_as_shipped_architecture']} zip); by architecture, bytes "
         f"{r['package_bytes_by_architecture']}"
         if shipped else f"not measured: {r.get('package_error') or 'no package'}"),
        ("  app, ms added by each step", r["import_ms_by_step"]),
        ("  app, self ms by package", r["import_self_ms_by_package"]),
        ("  app, cumulative ms of", r["import_cumulative_ms_of"]),
        ("package", f"{r['package_bytes']:,} bytes ({r['package_bytes'] / 1e6:.2f} MB), "
         f"{r['package_files']} files, architectures {r['package_architectures']}"
         if r.get("package_bytes") else f"not built: {r.get('package_error')}"),
        *(("", f"{e['zipped']:>10,} zipped {e['unzipped']:>11,} unzipped  {e['name']}")
          for e in r.get("package_biggest_entries", [])),
        ("cost per million sign-ins", f"${c['full_flow_http_api']} the whole flow with an HTTP "
         f"API (${c['full_flow_function_url']} function URL, ${c['full_flow_rest_api']} REST "
         f"API); the sign-in API alone ${c['total_http_api']}; the polls "
         f"${c['all_polls_http_api']} of it"),
        *(("", f"${c[line]:>8.4f}  {line}") for line in cost.LINES),
        ("per-seat products, same volume", c["per_seat_comparison_same_volume"]),
    ]  # fmt: skip
    print(f"# {r['signins']} whole sign-ins through the Lambda handler against moto "
          "(in-process), each another person's; polls counted apart")  # fmt: skip
    print("\n".join(f"{label + ':':<33}{text}" if label else f"  {text}" for label, text in rows))
    for name, (ok, detail) in verdicts.items():
        print(f"{'PASS' if ok else 'MISS' if ok is not None else 'n/a '} {name}: {detail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=bench.__doc__)
    parser.add_argument("--signins", type=int, default=200, help="whole sign-ins (200)")
    parser.add_argument("--accounts", type=int, default=cost.ASSUMPTIONS["accounts"],
                        help="people at the tenant (1000); each sign-in is another's")  # fmt: skip
    parser.add_argument("--import-runs", type=int, default=5, help="subprocesses each (5)")
    parser.add_argument("--no-package", action="store_true", help="skip chalice package")
    args = parser.parse_args(argv)
    if args.signins < 1 or args.import_runs < 1 or args.accounts < 1:
        parser.error("--signins, --accounts and --import-runs must be at least 1")
    began, load = time.perf_counter(), round(os.getloadavg()[0], 2)
    machine = {"cpus": os.cpu_count(), "load_average_1m_at_start": load}
    machine["python"] = sys.version.split()[0]
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)

    imports = startup.run_imports(args.import_runs, signins.BASE_URL)  # while the machine is quiet
    job = None if args.no_package else startup.Packages()  # build while the sign-ins run
    figures = signins.run(args.signins, args.accounts)
    cpu, sdk = figures.pop("cpu"), figures.pop("sdk_cpu")
    skipped = {"package_bytes": None, "package_error": "skipped (--no-package)"}
    package = job.finish(args.import_runs, signins.BASE_URL) if job else skipped

    headline = ("aws_calls_per_signin", "aws_calls_per_poll")
    headline += ("dynamodb_capacity_units_per_signin", "dynamodb_capacity_units_per_poll")
    report = {"signins": args.signins, **{k: figures[k] for k in headline}}
    report |= {
        "aws_method": AWS_METHOD.format(accounts=args.accounts),
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
    report["cost_usd_per_million_signins"] = costs = cost.cost(report)
    report["http_requests_per_signin"] = costs["http_requests_per_signin"]
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
