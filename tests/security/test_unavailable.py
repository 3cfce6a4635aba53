"""AWS throttling or out of reach: a 503 with Retry-After, never a 500 or a traceback, and
nothing half-written.

Faults are injected at the AWS boundary (botocore's event hooks on the service's own clients,
built as in production by chalicelib/adapters/aws.py), never by replacing service code. Each
test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import functools
import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from chalicelib import service
from chalicelib.adapters import aws as aws_clients
from chalicelib.web.responses import TRY_AGAIN_CODES
from tests.fixtures.api import stored_state

ROOT = Path(__file__).resolve().parents[2]
DYNAMODB_BUSY = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
]
UNREACHABLE = [
    lambda: EndpointConnectionError(endpoint_url="https://dynamodb.test"),
    lambda: ConnectTimeoutError(endpoint_url="https://dynamodb.test"),
    lambda: ReadTimeoutError(endpoint_url="https://dynamodb.test"),
]


def build(settings, clock) -> service.Services:
    """The service as a new container builds it: the clients of aws.py (standard retries,
    3 attempts), an empty tenant cache."""
    aws_clients.reset()
    return service.build(
        settings,
        aws_clients.client("dynamodb"),
        aws_clients.client("sns"),
        aws_clients.client("kms"),
        clock,
        secrets,
    )


@pytest.fixture
def svc(aws, settings, clock, monkeypatch):
    # aws.py's clients, from the test session (its service models are already loaded).
    monkeypatch.setattr(aws_clients, "_session", functools.cache(lambda: aws))
    yield build(settings, clock)
    aws_clients.reset()


def busy(client, event: str, code: str) -> list[str]:
    """Have AWS answer `code` to every call matching `event`; return a log of the calls."""
    calls: list[str] = []
    operation = event.rsplit(".", 1)[-1]

    def refuse(**_):
        calls.append(operation)
        error = {"Error": {"Code": code, "Message": "Rate exceeded"}}
        raise ClientError({**error, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)

    client.meta.events.register(event, refuse, unique_id=f"busy-{event}")
    return calls


def unreachable(client, event: str, fault) -> list[str]:
    """Make every request matching `event` fail on the wire, inside botocore's retry loop."""
    calls: list[str] = []

    def fail(**_):
        calls.append(event)
        raise fault()

    client.meta.events.register(event, fail, unique_id=f"down-{event}")
    return calls


def assert_try_again(response) -> None:
    text = response.body.decode()
    assert response.status_code == 503, text
    assert response.headers["Retry-After"] == "2"
    assert response.headers["Cache-Control"] == "no-store"
    assert json.loads(text)["error"] == "temporarily_unavailable"
    assert "Traceback" not in text and 'File "' not in text


def start_signin(api, tenant, username: str = "alice@acme.test"):
    return api.http.post(
        "/t/acme/signin",
        headers={"Content-Type": "application/json"},
        body=json.dumps(
            {
                "client_id": tenant["client_id"],
                "username": username,
                "redirect_uri": "https://app.acme.test/cb",
            }
        ),
    )


def signins_table(state: dict) -> list:
    return next(items for name, items in state.items() if name.endswith("signins"))


@pytest.fixture
def alice(enrolled):
    return enrolled(push_token="apns-token-alice")[0]


# --- DynamoDB -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", DYNAMODB_BUSY)
def test_a_throttled_signin_write_is_a_503_and_no_signin_is_stored_or_pushed(
    alice, api, tenant, svc, code
):
    """Needs the 503 mapping in responses.json_view: without it, throttling is a 500."""
    before = stored_state()
    busy(svc.dynamodb, "before-call.dynamodb.PutItem", code)

    assert_try_again(start_signin(api, tenant))

    after = stored_state()
    assert signins_table(after) == signins_table(before)
    assert after["sns-endpoints"] == before["sns-endpoints"]  # nothing published
    # Only the per-account push counters moved: the attempt counts, as a password attempt
    # does, so retries under throttling cannot push more often than the limit.


def test_throttled_on_every_write_a_start_writes_nothing_at_all(alice, api, tenant, svc):
    """Needs the 503 mapping, and nothing written before the first write fails."""
    before = stored_state()
    for operation in ("PutItem", "UpdateItem"):
        busy(svc.dynamodb, f"before-call.dynamodb.{operation}", "ThrottlingException")

    assert_try_again(start_signin(api, tenant))

    assert stored_state() == before


@pytest.mark.parametrize("fault", UNREACHABLE, ids=["connect", "connect-timeout", "read-timeout"])
def test_dynamodb_out_of_reach_is_a_503_after_three_attempts(alice, api, tenant, svc, fault):
    """Needs the 503 mapping for connection errors, and aws.py's bounded retries: three
    attempts, not a retry storm."""
    before = stored_state()
    calls = unreachable(svc.dynamodb, "before-send.dynamodb.GetItem", fault)

    assert_try_again(start_signin(api, tenant))

    assert len(calls) == 3
    assert stored_state() == before


def test_a_throttled_answer_leaves_the_signin_waiting_and_a_retry_counts(
    alice, api, tenant, svc, start, result
):
    """Needs the 503 mapping: the phone learns to retry, and the decision is all or nothing."""
    started = start()
    event = "before-call.dynamodb.UpdateItem"
    busy(svc.dynamodb, event, "ProvisionedThroughputExceededException")

    status, body = alice.respond(started["signin_id"], "approve", started["number"])

    assert (status, body["error"]) == (503, "temporarily_unavailable")
    svc.dynamodb.meta.events.unregister(event, unique_id=f"busy-{event}")
    assert result(started)[1]["status"] == "pending"
    assert alice.respond(started["signin_id"], "approve", started["number"])[0] == 200
    assert result(started)[1]["status"] == "approved"


# --- KMS and SNS ----------------------------------------------------------------------------


def test_kms_out_of_reach_when_a_container_first_loads_the_tenant_is_a_503(
    api, tenant, settings, clock, monkeypatch
):
    """Needs the 503 mapping (on the JSON routes and the sign-in page): without it, a cold
    container that cannot reach KMS answers 500."""
    cold = build(settings, clock)
    monkeypatch.setattr(service, "get", lambda: cold)
    down = lambda: EndpointConnectionError(endpoint_url="https://kms.test")  # noqa: E731
    calls = unreachable(cold.vault._client, "before-send.kms.Decrypt", down)

    assert_try_again(api.http.get("/t/acme/jwks.json"))
    page = api.http.get(
        "/t/acme/authorize?response_type=code&client_id=acme-web&scope=openid"
        "&redirect_uri=https%3A%2F%2Fapp.acme.test%2Fcb&state=s"
    )
    assert (page.status_code, page.headers["Retry-After"]) == (503, "2")
    assert b"Traceback" not in page.body

    assert len(calls) == 6  # two requests, three attempts each
    cold.vault._client.meta.events.unregister(
        "before-send.kms.Decrypt", unique_id="down-before-send.kms.Decrypt"
    )
    assert api.http.get("/t/acme/jwks.json").status_code == 200


@pytest.mark.parametrize("code", ["ThrottlingException", "KMSInternalException"])
def test_kms_busy_is_a_503(api, tenant, settings, clock, monkeypatch, code):
    cold = build(settings, clock)
    monkeypatch.setattr(service, "get", lambda: cold)
    busy(cold.vault._client, "before-call.kms.Decrypt", code)

    assert_try_again(start_signin(api, tenant))


def test_a_throttled_push_does_not_lose_the_signin(alice, svc, start, result):
    """Needs push failures kept out of the sign-in: the phone still finds it by polling."""
    calls = busy(svc.push._client, "before-call.sns.Publish", "Throttled")

    started = start()

    assert (started["method"], calls) == ("phone", ["Publish"])
    (listed,) = alice.pending()[1]["signins"]
    assert listed["signin_id"] == started["signin_id"]
    assert alice.respond(started["signin_id"], "approve", started["number"])[0] == 200
    assert result(started)[1]["status"] == "approved"


# --- What is not "try again" stays a 500 ----------------------------------------------------


def test_an_aws_error_that_is_not_transient_is_still_a_bare_500(alice, api, tenant, svc):
    """The 503 is for "try again" only: a validation error from AWS is a bug of ours, and
    retrying it would not help."""
    busy(svc.dynamodb, "before-call.dynamodb.PutItem", "ValidationException")

    response = start_signin(api, tenant)

    assert response.status_code == 500
    assert json.loads(response.body)["error"] == "server_error"
    assert "Retry-After" not in response.headers
    assert "ValidationException" not in TRY_AGAIN_CODES


def test_the_http_edge_imports_no_aws_sdk():
    """Needs botocore imported lazily in the error path: a cold start pays for it only when
    an AWS call is made."""
    code = "import sys, app; print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip() == "[]"
