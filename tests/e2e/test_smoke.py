"""`make smoke` as a newcomer runs it: a separate process, real HTTP, moto server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def test_smoke_signs_in_over_http_and_prints_verified_claims_last(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "tools.demo", "--smoke", "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    claims = json.loads(run.stdout.strip().splitlines()[-1])
    assert claims["iss"].endswith("/t/demo")
    assert claims["aud"] == "demo-app"
    assert {"mfa", "hwk"} <= set(claims["amr"])
    coordinates = json.loads((ROOT / "build/smoke/demo.json").read_text())
    assert coordinates["issuer"] == claims["iss"]
    assert coordinates["username"] == "alice@example.com"
