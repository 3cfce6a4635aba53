"""Money per million sign-ins at AWS list prices, from the measured figures, and the targets.

Every price and assumption is in the JSON report, so a reader can redo the sums; the model
is explained in docs/performance.md ("Prices and assumptions").
"""

from __future__ import annotations

import math

SIGNIN_STEPS = ("start", "respond", "token")  # a sign-in's requests, the page's polls apart
MILLION = 1_000_000

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


def num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


def billed_ms(calls: dict, cpu_ms: float) -> int:
    """Lambda's billed ms for one request: CPU at the memory's share of a core, plus waiting
    for AWS, plus the runtime's overhead, in whole ms."""
    a = ASSUMPTIONS
    waiting = (
        sum(calls["dynamodb"].values()) * a["dynamodb_latency_ms_per_call"]
        + calls["sns"].get("Publish", 0) * a["sns_publish_latency_ms"]
        + sum(calls["kms"].values()) * a["kms_decrypt_latency_ms"]
    )
    scale = a["lambda_full_vcpu_at_mb"] / a["lambda_memory_mb"]
    return math.ceil(cpu_ms * scale + waiting + a["lambda_runtime_overhead_ms_per_request"])


def cost(r: dict) -> dict:
    """USD per million sign-ins, line by line, from a report's figures."""
    p, a = PRICES, ASSUMPTIONS
    polls = a["pending_polls_per_signin"] + a["final_polls_per_signin"]
    requests = len(SIGNIN_STEPS) + polls
    gb = a["lambda_memory_mb"] / 1024
    arm = p["lambda_arm64_per_gb_second"]
    read_price = p["dynamodb_on_demand_per_million_read_request_units"]
    write_price = p["dynamodb_on_demand_per_million_write_request_units"]
    log_usd = a["log_bytes_per_request"] * MILLION / a["gb"] * p["cloudwatch_logs_per_gb_ingested"]

    own, sdk = r["cpu"]["by_step_mean"], r["sdk_cpu"].get("by_step", {})
    billed = {
        s: billed_ms(r["aws_calls_per_signin_by_step"][s], own[s] + sdk.get(s, 0.0))
        for s in SIGNIN_STEPS
    }
    billed["poll"] = billed_ms(r["aws_calls_per_poll"], own["poll"] + sdk.get("poll_pending", 0.0))
    billed_per_signin = sum(billed[s] for s in SIGNIN_STEPS) + polls * billed["poll"]

    units = r["dynamodb_capacity_units_per_signin"]
    poll_units = r["dynamodb_capacity_units_per_poll"]
    reads = units["read"] + polls * poll_units["read"]
    writes = units["write"] + polls * poll_units["write"]
    publishes = r["aws_calls_per_signin"]["sns"].get("Publish", 0)
    # Fixed costs a month, spread over the month's sign-ins.
    per_million = MILLION / a["signins_per_month"]
    starts = a["warm_containers"] * a["hours_per_month"] / a["container_lifetime_hours"]
    reloads = a["warm_containers"] * a["tenants"] * a["hours_per_month"] * 3600 * per_million
    reload_reads = (
        reloads / a["tenant_cache_seconds"] * r["dynamodb_capacity_units_tenant_load"]["read"]
    )
    decrypts = starts * a["tenants"] * per_million
    init_ms = r["import_ms"] * a["lambda_full_vcpu_at_mb"] / a["lambda_memory_mb"]

    lines = {
        "api_front_http_api": requests * p["http_api_per_million_requests"],
        "lambda_requests": requests * p["lambda_per_million_requests"],
        "lambda_gb_seconds_arm64": billed_per_signin / 1000 * gb * MILLION * arm,
        "lambda_init_arm64": starts * per_million * init_ms / 1000 * gb * arm,
        "dynamodb_writes": writes * write_price,
        "dynamodb_reads": reads * read_price,
        "dynamodb_tenant_cache_reloads": reload_reads / MILLION * read_price,
        "sns_mobile_push": publishes * p["sns_mobile_push_per_million_deliveries"],
        "sns_publish_api_requests": publishes * p["sns_publish_api_per_million_requests"],
        "kms_decrypt_amortised": decrypts * p["kms_per_10k_requests"] / 1e4,
        "cloudwatch_logs": requests * log_usd,
    }
    lines = {k: round(v, 4) for k, v in lines.items()}
    behind_api = sum(v for k, v in lines.items() if k != "api_front_http_api")
    http_api = round(behind_api + lines["api_front_http_api"], 3)
    one_poll = (  # what each result poll adds, behind an HTTP API
        p["http_api_per_million_requests"]
        + p["lambda_per_million_requests"]
        + billed["poll"] / 1000 * gb * MILLION * arm
        + poll_units["read"] * read_price
        + poll_units["write"] * write_price
        + log_usd
    )
    return {
        **lines,
        "api_front_rest_api_instead": round(requests * p["rest_api_per_million_requests"], 4),
        "api_front_function_url_instead": 0.0,
        "total_http_api": http_api,
        "total_rest_api": round(behind_api + requests * p["rest_api_per_million_requests"], 3),
        "total_function_url": round(behind_api, 3),
        "cents_per_thousand_signins_http_api": round(http_api / 10, 3),
        "lambda_gb_seconds_x86_64_instead": round(
            billed_per_signin / 1000 * gb * MILLION * p["lambda_x86_64_per_gb_second"], 4
        ),
        "requests_per_signin": requests,
        "dynamodb_read_units_per_signin_with_polls": num(reads),
        "dynamodb_write_units_per_signin_with_polls": num(writes),
        "lambda_billed_ms_per_request": billed,
        "lambda_billed_ms_per_signin_with_polls": billed_per_signin,
        "each_poll_http_api": round(one_poll, 4),
        "all_polls_http_api": round(one_poll * polls, 4),
        "cognito_essentials_same_volume": round(
            p["cognito_essentials_per_mau"] * MILLION / a["signins_per_mau_per_month"], 2
        ),
    }


def targets(r: dict) -> dict[str, tuple[bool | None, str]]:
    """Each target: met or not (None: not measured), and the comparison, in words."""
    t, package, cpu = TARGETS, r.get("package_bytes"), r["own_cpu_ms_per_signin"]
    units = r["dynamodb_capacity_units_per_signin"]["total"]
    calls, poll = r["aws_calls_per_signin"]["total"], r["dynamodb_capacity_units_per_poll"]
    units_max, reads_max = (
        t["dynamodb_capacity_units_per_signin"],
        t["dynamodb_read_units_per_poll"],
    )
    flows = r["cpu"]["flows_only_per_signin_mean"]
    size = "" if package is None else f"; {package / 1e6:.2f} MB decimal"
    return {
        "dynamodb_units_per_signin": (units <= units_max, f"{units} <= {units_max}"),
        "aws_calls_per_signin": (
            calls <= t["aws_calls_per_signin"],
            f"{calls} <= {t['aws_calls_per_signin']}",
        ),
        "read_units_per_poll": (
            poll["read"] <= reads_max and poll["write"] == 0,
            f"read {poll['read']} <= {reads_max}, write {poll['write']}",
        ),
        "own_cpu_ms_per_signin": (
            cpu <= t["own_cpu_ms_per_signin"],
            f"{cpu} ms <= {t['own_cpu_ms_per_signin']} ms (Lambda handler path; flows alone "
            f"{flows} ms)",
        ),
        "import_vs_boto3": (
            r["import_ratio"] <= t["import_ratio"],
            f"{r['import_ratio']}x <= {t['import_ratio']}x",
        ),
        "package_size": (
            None if package is None else package <= t["package_bytes"],
            f"{package} bytes <= {t['package_bytes']} (5 MiB){size}",
        ),
    }
