"""Money per million sign-ins at AWS list prices, from the measured whole flow, and the targets.

Every price and assumption is in the JSON report, so a reader can redo the sums; the model
is explained in docs/performance.md ("Prices and assumptions").
"""

from __future__ import annotations

import math

SIGNIN_STEPS = ("start", "respond", "token")  # a sign-in's own requests, the page's polls apart
API_STEPS = ("start", "poll_pending", "respond", "poll_final", "token")  # the sign-in API's
PAGE_STEPS = ("page", "static")  # the hosted page and its files: the whole flow adds them
MILLION = 1_000_000

PRICES = {
    "source": "AWS list prices, us-east-1, as of 2025; per-seat products' public list prices",
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
    "duo_essentials_per_user_month": 3.00,
    "okta_workforce_sso_plus_mfa_per_user_month": 5.00,  # SSO $2 + MFA $3
    "entra_id_p1_per_user_month": 6.00,  # conditional access; Free has Authenticator sign-in
}
ASSUMPTIONS = {
    "accounts": 1000,  # the people of the bench's tenant; each sign-in is another's
    "signins_per_person_per_month": 20,  # a working day's first sign-in; SSO does the rest
    "days_per_month": 30,
    "person_answers_after_s": 8,  # from the number on the page to the tap on the phone
    "page_poll_schedule": "chalicelib/web/polling.py poll_times (measured, not assumed)",
    "phone_lists_pending_signins": False,  # it answers from the push (docs/device-api.md)
    "signins_per_browser_per_release": 30,  # static files are cached a year, per content hash
    "lambda_memory_mb": 512,
    "lambda_architecture_priced": "arm64",
    "lambda_full_vcpu_at_mb": 1769,  # Lambda gives CPU in proportion to memory
    "cpu_ms_scale_at_memory": "1769 / lambda_memory_mb (CPU-bound ms on a full core)",
    "dynamodb_latency_ms_per_call": 4,
    "sns_publish_latency_ms": 15,
    "kms_decrypt_latency_ms": 10,
    "lambda_runtime_overhead_ms_per_request": 0.5,
    "log_bytes": "measured: the service's lines as the Python runtime's JSON format wraps them "
    "(the service module's default; the platform's lines at WARN: none), 26 B per event as "
    "CloudWatch counts",
    "gb": 1e9,
    "signins_per_month": 1_000_000,
    "tenants": 1,
    "warm_containers": 2,
    "container_lifetime_hours": 1,
    "hours_per_month": 720,
    "tenant_cache_seconds": 60,  # the production default (Settings.tenant_cache_seconds)
}
TARGETS = {
    "aws_calls_per_signin": 7,
    "dynamodb_capacity_units_per_signin": 5,
    "dynamodb_read_units_per_poll": 1,
    "own_cpu_ms_per_signin": 1.5,
    "import_ratio_as_shipped": 1.35,
    "package_bytes": 5_000_000,  # 5.0 MB
    "full_flow_http_api": 12.0,  # USD per million sign-ins
}


LINES = (
    "api_front_http_api", "lambda_requests", "lambda_gb_seconds_arm64", "dynamodb_writes",
    "dynamodb_reads", "sns_mobile_push", "sns_publish_api_requests", "cloudwatch_logs",
    "lambda_init_arm64", "dynamodb_tenant_cache_reloads", "kms_decrypt_amortised",
)  # fmt: skip


def arrival_gap_s() -> float:
    """Seconds between two sign-ins at one warm container, at the month's volume."""
    a = ASSUMPTIONS
    month = a["days_per_month"] * 86400
    return month * a["warm_containers"] / a["signins_per_month"]


def people_per_million_signins() -> float:
    return MILLION / ASSUMPTIONS["signins_per_person_per_month"]


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


def _requests(flow: dict, step: str) -> float:
    """Requests of a step per sign-in; the static files only on a browser's first visit after
    a release (every visit is a first one in the bench)."""
    share = 1 / ASSUMPTIONS["signins_per_browser_per_release"] if step == "static" else 1
    return flow[step]["requests"] * share


def _bill(r: dict, steps: tuple[str, ...]) -> dict:
    """USD per million sign-ins for these steps of the flow, line by line."""
    p, a, flow = PRICES, ASSUMPTIONS, r["flow"]
    gb, arm = a["lambda_memory_mb"] / 1024, p["lambda_arm64_per_gb_second"]
    requests = sum(_requests(flow, s) for s in steps)
    billed = sum(
        _requests(flow, s) * billed_ms(flow[s]["calls"], flow[s]["cpu_ms"] + flow[s]["sdk_ms"])
        for s in steps
    )
    reads = sum(_requests(flow, s) * flow[s]["units"]["read"] for s in steps)
    writes = sum(_requests(flow, s) * flow[s]["units"]["write"] for s in steps)
    publishes = sum(_requests(flow, s) * flow[s]["calls"]["sns"].get("Publish", 0) for s in steps)
    log_bytes = sum(_requests(flow, s) * flow[s]["log_bytes"] for s in steps)
    return {
        "requests": requests,
        "billed_ms": billed,
        "reads": reads,
        "writes": writes,
        "log_bytes": log_bytes,
        "lines": {  # LINES, in this order
            "api_front_http_api": requests * p["http_api_per_million_requests"],
            "lambda_requests": requests * p["lambda_per_million_requests"],
            "lambda_gb_seconds_arm64": billed / 1000 * gb * MILLION * arm,
            "dynamodb_writes": writes * p["dynamodb_on_demand_per_million_write_request_units"],
            "dynamodb_reads": reads * p["dynamodb_on_demand_per_million_read_request_units"],
            "sns_mobile_push": publishes * p["sns_mobile_push_per_million_deliveries"],
            "sns_publish_api_requests": publishes * p["sns_publish_api_per_million_requests"],
            "cloudwatch_logs": log_bytes * MILLION / a["gb"] * p["cloudwatch_logs_per_gb_ingested"],
        },
    }


def _fixed(r: dict) -> dict:
    """A month's fixed costs spread over its sign-ins: container starts (init and one KMS
    Decrypt per tenant) and the tenant cache's reloads."""
    p, a = PRICES, ASSUMPTIONS
    per_million = MILLION / a["signins_per_month"]
    gb, arm = a["lambda_memory_mb"] / 1024, p["lambda_arm64_per_gb_second"]
    starts = a["warm_containers"] * a["hours_per_month"] / a["container_lifetime_hours"]
    reloads = a["warm_containers"] * a["tenants"] * a["hours_per_month"] * 3600 * per_million
    reload_reads = (
        reloads / a["tenant_cache_seconds"] * r["dynamodb_capacity_units_tenant_load"]["read"]
    )
    import_ms = r.get("import_as_shipped_ms_median") or r["import_ms"]
    init_ms = import_ms * a["lambda_full_vcpu_at_mb"] / a["lambda_memory_mb"]
    read_price = p["dynamodb_on_demand_per_million_read_request_units"]
    return {
        "lambda_init_arm64": starts * per_million * init_ms / 1000 * gb * arm,
        "dynamodb_tenant_cache_reloads": reload_reads / MILLION * read_price,
        "kms_decrypt_amortised": starts
        * a["tenants"]
        * per_million
        * p["kms_per_10k_requests"]
        / 1e4,
    }


def cost(r: dict) -> dict:
    """USD per million sign-ins: the sign-in API's flow line by line (start, the page's polls,
    the answer, the token), and the whole flow (the page and its files too) in total."""
    p = PRICES
    api, full, fixed = _bill(r, API_STEPS), _bill(r, PAGE_STEPS + API_STEPS), _fixed(r)
    lines = {k: round(v, 4) for k, v in (api["lines"] | fixed).items()}
    behind_api = sum(v for k, v in lines.items() if k != "api_front_http_api")
    full_behind = sum(v for k, v in full["lines"].items() if k != "api_front_http_api")
    full_behind += sum(fixed.values())
    poll = _bill(r | {"flow": {"poll_pending": {**r["flow"]["poll_pending"], "requests": 1}}},
                 ("poll_pending",))  # fmt: skip
    polls = r["flow"]["poll_pending"]["requests"] + r["flow"]["poll_final"]["requests"]
    people = people_per_million_signins()
    return {
        **lines,
        "api_front_rest_api_instead": round(
            api["requests"] * p["rest_api_per_million_requests"], 4
        ),
        "api_front_function_url_instead": 0.0,
        "total_http_api": round(behind_api + lines["api_front_http_api"], 3),
        "total_rest_api": round(
            behind_api + api["requests"] * p["rest_api_per_million_requests"], 3
        ),
        "total_function_url": round(behind_api, 3),
        "full_flow_http_api": round(full_behind + full["requests"], 3),
        "full_flow_rest_api": round(
            full_behind + full["requests"] * p["rest_api_per_million_requests"], 3
        ),
        "full_flow_function_url": round(full_behind, 3),
        "full_flow_lines": {k: round(v, 4) for k, v in (full["lines"] | fixed).items()},
        "cents_per_thousand_signins_http_api": round((full_behind + full["requests"]) / 10, 3),
        "requests_per_signin": num(api["requests"]),
        "http_requests_per_signin": num(full["requests"]),
        "dynamodb_read_units_per_signin_with_polls": num(api["reads"]),
        "dynamodb_write_units_per_signin_with_polls": num(api["writes"]),
        "lambda_billed_ms_per_signin_with_polls": num(api["billed_ms"]),
        "lambda_billed_ms_per_signin_full_flow": num(full["billed_ms"]),
        "log_bytes_per_signin_full_flow": round(full["log_bytes"]),
        "each_poll_http_api": round(sum(poll["lines"].values()), 4),
        "all_polls_http_api": round(sum(poll["lines"].values()) * polls, 4),
        "per_seat_comparison_same_volume": {
            "people": round(people),
            "cognito_essentials": round(people * p["cognito_essentials_per_mau"], 2),
            "duo_essentials": round(people * p["duo_essentials_per_user_month"], 2),
            "okta_workforce_sso_plus_mfa": round(
                people * p["okta_workforce_sso_plus_mfa_per_user_month"], 2
            ),
            "entra_id_p1": round(people * p["entra_id_p1_per_user_month"], 2),
        },
    }


def targets(r: dict) -> dict[str, tuple[bool | None, str]]:
    """Each target: met or not (None: not measured), and the comparison, in words."""
    t, package, cpu = TARGETS, r.get("package_bytes"), r["own_cpu_ms_per_signin"]
    units = r["dynamodb_capacity_units_per_signin"]["total"]
    calls, poll = r["aws_calls_per_signin"]["total"], r["dynamodb_capacity_units_per_poll"]
    flows = r["cpu"]["flows_only_per_signin_mean"]
    shipped = r.get("import_ratio_as_shipped")
    usd = r["cost_usd_per_million_signins"]["full_flow_http_api"]
    return {
        "aws_calls_per_signin": (
            calls <= t["aws_calls_per_signin"],
            f"{calls} <= {t['aws_calls_per_signin']}",
        ),
        "dynamodb_units_per_signin": (
            units <= t["dynamodb_capacity_units_per_signin"],
            f"{units} <= {t['dynamodb_capacity_units_per_signin']}",
        ),
        "read_units_per_poll": (
            poll["read"] <= t["dynamodb_read_units_per_poll"] and poll["write"] == 0,
            f"read {poll['read']} <= {t['dynamodb_read_units_per_poll']}, write {poll['write']}",
        ),
        "own_cpu_ms_per_signin": (
            cpu <= t["own_cpu_ms_per_signin"],
            f"{cpu} ms <= {t['own_cpu_ms_per_signin']} ms (Lambda handler path; flows alone "
            f"{flows} ms)",
        ),
        "import_as_shipped_vs_boto3": (
            None if shipped is None else shipped <= t["import_ratio_as_shipped"],
            f"{shipped}x <= {t['import_ratio_as_shipped']}x (ratio of minimums, the zip as "
            "Lambda loads it)",
        ),
        "package_size": (
            None if package is None else package <= t["package_bytes"],
            f"{package} bytes <= {t['package_bytes']} (5.0 MB)",
        ),
        "full_flow_usd_per_million_http_api": (
            usd <= t["full_flow_http_api"],
            f"${usd} <= ${t['full_flow_http_api']}",
        ),
    }
