"""`make bench` cannot rot: a quick run of the same command (2 sign-ins, no zip), whose last
line must be the JSON report with every figure the README and docs/performance.md quote.

The figures themselves are measured by the bench, not asserted here (a loaded CI machine
would make a timing assertion flaky); only what does not depend on the machine is checked:
that the whole flow ran and the counts the cuts of issue 15 brought are what they were.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = (
    "aws_calls_per_signin", "dynamodb_capacity_units_per_signin", "own_cpu_ms_per_signin",
    "http_requests_per_signin", "import_ratio", "flow", "wall_ms_by_step", "targets",
    "cost_usd_per_million_signins", "prices", "assumptions",
)  # fmt: skip


def test_a_quick_bench_run_reports_the_whole_flow():
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--signins", "2", "--no-package",
         "--import-runs", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(key in report for key in KEYS), sorted(set(KEYS) - set(report))
    assert report["id_token_verified"] is True
    costs = report["cost_usd_per_million_signins"]
    assert {"full_flow_http_api", "total_http_api", "http_requests_per_signin"} <= set(costs)
    flow = report["flow"]
    assert [flow[s]["requests"] for s in ("page", "start", "respond", "token")] == [1, 1, 1, 1]
    assert flow["poll_final"]["requests"] == 1 and flow["poll_pending"]["requests"] >= 1
    # The cuts: a start without a Query, an answer without an audit or devices write.
    assert report["aws_calls_per_signin_by_step"]["start"]["dynamodb"].get("Query") is None
    assert report["aws_calls_per_signin_by_step"]["respond"]["total"] == 2
    assert report["dynamodb_capacity_units_per_poll"]["read"] == 0.5
