"""One sign-in, twenty answers at once from the account's two phones, against a moto server
over HTTP: DynamoDB's conditional writes really race, and exactly one answer may win.

Needs the conditional decision write (adapters/dynamodb/signins.py `decide`): without its
`attribute_not_exists(outcome)` condition, several answers win and the result changes
under the page's feet.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from chalice.local import LocalChalice
from chalice.test import Client
from moto.dynamodb.models import DynamoDBBackend

import app as app_module
from authenticator.device_api import DeviceApi, sign
from chalicelib import service
from chalicelib.domain import proofs
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from chalicelib.settings import Settings
from tests.fixtures import api as api_fixtures
from tests.fixtures.core import BASE_URL, CHEAP_PASSWORDS, Clock
from tools.admin import flows as admin
from tools.local_aws import provision, start_moto, use_moto

pytestmark = pytest.mark.e2e  # starts a moto server on 127.0.0.1

ISSUER = f"{BASE_URL}/t/acme"
ANSWERS = 20


@pytest.fixture(scope="module")
def moto_server():
    saved = dict(os.environ)
    server = start_moto()
    use_moto(server.url)
    yield server
    server.stop()
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def atomic_writes(monkeypatch):
    """DynamoDB applies each write, its condition included, atomically; moto checks the
    condition and then writes, unlocked, so two racing writes can both pass. Serialise
    moto's writes as DynamoDB does (the moto server runs in this process); reads stay free.
    Without this, the test would fail on moto's race, not the service's."""
    lock = threading.RLock()  # a transaction writes through the other methods
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        write = getattr(DynamoDBBackend, name)

        def atomic(*args, _write=write, **kwargs):
            with lock:
                return _write(*args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, atomic)


@pytest.fixture
def http(moto_server, monkeypatch):
    """The app through its test client, on the moto server, one request per thread at once.

    Chalice keeps the current request on the app object; `chalice local` makes it
    thread-local (LocalChalice), and so does this fixture, so that concurrent requests
    cannot read each other's bodies.
    """
    session = boto3.session.Session()
    prefix = f"race-{secrets.token_hex(4)}-"
    env = provision(session, prefix, f"alias/{prefix}tenants")
    settings = Settings.from_env({**env, "PUBLIC_BASE_URL": BASE_URL, **CHEAP_PASSWORDS})
    clock = Clock()
    svc = service.build(
        settings,
        session.client("dynamodb"),
        session.client("sns"),
        session.client("kms"),
        clock,
        secrets,
    )
    monkeypatch.setattr(service, "get", lambda: svc)
    monkeypatch.setattr(app_module.app, "__class__", LocalChalice)
    with Client(app_module.app) as client:
        yield client.http, svc, clock


def post_with(http):
    def post(path: str, body: dict) -> tuple[int, dict]:
        response = http.post(
            path, headers={"Content-Type": "application/json"}, body=json.dumps(body)
        )
        return response.status_code, json.loads(response.body or b"{}")

    return post


@pytest.fixture
def alice(http):
    """Alice's two enrolled phones, and a way to start a sign-in and read its result."""
    client, svc, clock = http
    post = post_with(client)
    admin.create_tenant(svc, "acme", "Acme Corp", Policy())
    web = admin.add_client(svc, "acme", "acme-web", "Acme Portal", ["https://app.acme.test/cb"])
    admin.create_account(svc, "acme", "alice@acme.test", AccountKind.WORK)
    phones = []
    for _ in range(2):
        phone = api_fixtures.TestPhone(DeviceApi(post, "acme", ISSUER, clock))
        code = admin.issue_activation_code(svc, "acme", "alice@acme.test")["activation_code"]
        assert phone.enrol(code)[0] == 200
        phones.append(phone)

    def start() -> dict:
        body = {
            "client_id": web["client_id"],
            "username": "alice@acme.test",
            "redirect_uri": "https://app.acme.test/cb",
        }
        status, started = post("/t/acme/signin", body)
        assert (status, started["method"]) == (200, "phone"), started
        return started

    def result(started: dict) -> dict:
        path = f"/t/acme/signin/{started['signin_id']}/result"
        status, body = post(path, {"secret": started["secret"]})
        assert status == 200, body
        return body

    return phones, start, result, post, clock


def answers(phones, started: dict, clock, wrong_numbers: bool) -> list[tuple[str, dict]]:
    """Twenty signed answers, alternating phones, made before the race so that the threads
    only send: approvals with the right number, denials, fraud reports, and (when asked)
    approvals with a wrong number."""
    kinds = ["approve", "deny", "approve", "report_fraud", "wrong" if wrong_numbers else "deny"]
    right = started["number"]
    wrong = right + 1 if right < 99 else 10
    made = []
    for i in range(ANSWERS):
        kind = kinds[i % len(kinds)]
        claims = {"sid": started["signin_id"], "decision": kind}
        if kind in ("approve", "wrong"):
            claims |= {"decision": "approve", "number": right if kind == "approve" else wrong}
        key = phones[i % 2].key
        proof = sign(key, proofs.RESPONSE_TYP, claims, audience=ISSUER, now=int(clock()))
        made.append((kind, {"proof": proof}))
    return made


def race(post, made: list[tuple[str, dict]]) -> list[tuple[str, int, dict]]:
    barrier = threading.Barrier(len(made))

    def send(answer: tuple[str, dict]) -> tuple[str, int, dict]:
        kind, body = answer
        barrier.wait()
        return (kind, *post("/t/acme/device/respond", body))

    with ThreadPoolExecutor(max_workers=len(made)) as pool:
        return list(pool.map(send, made))


EXPECTED = {
    "approve": ("approved", None),
    "deny": ("denied", "denied"),
    "report_fraud": ("denied", "fraud_reported"),
    "wrong": ("denied", "wrong_number"),
}


@pytest.mark.parametrize("wrong_numbers", [False, True], ids=["answers", "with-wrong-numbers"])
def test_of_twenty_concurrent_answers_exactly_one_wins_and_the_result_never_changes(
    alice, wrong_numbers
):
    phones, start, result, post, clock = alice
    started = start()

    outcomes = race(post, answers(phones, started, clock, wrong_numbers))

    # The answer that decided: a 200, or a wrong number that ended the sign-in itself.
    decided = [
        kind for kind, status, body in outcomes
        if status == 200 or body.get("error") == "wrong_number"
    ]  # fmt: skip
    closed = [kind for kind, status, body in outcomes if body.get("error") == "signin_closed"]
    assert len(decided) == 1, outcomes
    assert len(closed) == ANSWERS - 1, outcomes  # every other one was told it is over
    if not wrong_numbers:
        assert [status for _, status, _ in outcomes].count(200) == 1
    status, reason = EXPECTED[decided[0]]
    first = result(started)
    assert first["status"] == status
    assert first.get("reason") == reason
    for _ in range(5):
        assert result(started) == first
