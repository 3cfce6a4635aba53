"""One recovery code, sent twenty times at once from twenty browsers, against a moto server
over HTTP: DynamoDB's conditional writes really race, and exactly one use may sign in.

Needs the conditional spend (adapters/dynamodb/recovery_codes.py `use`: the hash removed only
while `contains(recovery_codes, :hash)`): without it, every request that read the set before
the first removal would sign in with the one code.

Each request comes from a browser that signed Alice in before (its own recognised-browser
cookie), so each is counted in a run of its own (password_signin.claim_attempt) and the
per-username hold on parallel attempts does not line them up: they reach the write together,
as a stolen code and its owner's, or two tabs, would.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain import browsers
from chalicelib.domain.accounts import AccountKind, user_key
from chalicelib.domain.tenants import Policy
from chalicelib.usecases import recovery_codes
from tests.fixtures.core import BASE_URL
from tests.security.test_race import atomic_writes, http, moto_server  # noqa: F401
from tools.admin import flows as admin

pytestmark = pytest.mark.e2e  # starts a moto server on 127.0.0.1

USES = 20
ALICE = "alice@acme.test"
CALLBACK = "https://app.acme.test/cb"


def test_of_twenty_simultaneous_uses_of_one_code_exactly_one_signs_in(http):  # noqa: F811
    client, svc, clock = http
    admin.create_tenant(svc, "acme", "Acme Corp", Policy())
    web = admin.add_client(svc, "acme", "acme-web", "Acme Portal", [CALLBACK])
    admin.create_account(svc, "acme", ALICE, AccountKind.WORK)
    code = recovery_codes.generate(svc, "acme", ALICE, actor="admin")[0]
    key = browsers.cookie_key(svc.directory.get("acme").data_key)
    now = int(clock())
    body = json.dumps(
        {"client_id": web["client_id"], "username": ALICE, "code": code, "redirect_uri": CALLBACK}
    )

    def headers() -> dict:
        browser = browsers.remember(key, None, user_key(ALICE), now, svc.rng)
        return {
            "Content-Type": "application/json",
            "Origin": BASE_URL,
            "Cookie": f"psi_csrf=t; {browsers.COOKIE}={browser}",
            "X-CSRF-Token": "t",
        }

    prepared = [headers() for _ in range(USES)]
    barrier = threading.Barrier(USES)

    def send(sent: dict) -> tuple[int, dict]:
        barrier.wait()
        response = client.post("/t/acme/recovery", headers=sent, body=body)
        return response.status_code, json.loads(response.body)

    with ThreadPoolExecutor(max_workers=USES) as pool:
        outcomes = list(pool.map(send, prepared))

    approved = [body for status, body in outcomes if status == 200]
    refused = [body.get("error") for status, body in outcomes if status != 200]
    assert len(approved) == 1, outcomes
    assert approved[0]["remaining"] == 9
    assert refused == ["invalid_credentials"] * (USES - 1), outcomes
    assert recovery_codes.remaining(svc, "acme", ALICE) == 9
