"""`make smoke` as a newcomer runs it: a separate process, real HTTP, moto server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def test_smoke_signs_in_with_each_method_and_prints_their_claims_last(tmp_path):
    """make smoke's promise: the phone, a passkey, and a password followed by the app's code
    each end in a verified ID token, and the last line is one JSON object of their claims."""
    run = subprocess.run(
        [sys.executable, "-m", "tools.demo", "--smoke", "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    claims = json.loads(run.stdout.strip().splitlines()[-1])
    assert sorted(claims) == ["passkey", "password_and_code", "phone"]
    coordinates = json.loads((ROOT / "build/smoke/demo.json").read_text())
    for method in claims.values():
        assert method["iss"] == coordinates["issuer"] and method["iss"].endswith("/t/demo")
        assert method["aud"] == "demo-app"
    assert len({method["sub"] for method in claims.values()}) == 1  # one person, three ways
    assert claims["phone"]["amr"] == ["mfa", "hwk", "user"]
    assert claims["phone"]["acr"] == "urn:phonesignin:acr:mfa"
    assert claims["passkey"]["acr"] == "urn:phonesignin:acr:passkey"
    assert {"mfa", "user"} <= set(claims["passkey"]["amr"])
    assert claims["password_and_code"]["amr"] == ["pwd", "mfa", "otp"]
    assert coordinates["username"] == "alice@example.com"
