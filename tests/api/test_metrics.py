"""The operator's metrics come from the lines the service really writes.

Each CloudWatch metric is a metric filter on the function's log (infrastructure/modules/
service/metrics.json, applied by monitoring.tf). Here each event is made to happen through the
HTTP API, its access line is formatted as Lambda's JSON log format writes it, and every
metric's pattern is applied to it: the line must add to exactly the metrics of that event,
and each metric must be reached by some event. A password lock is made in test_password.py
(a hundred wrong passwords), which checks its line the same way.
"""

from __future__ import annotations

import json
import logging

import pytest
from botocore.exceptions import ClientError

from tests.metric_filters import METRICS, as_lambda_writes, counted

STARTED = {"SignInsStarted": 1}
HELD = {"SignInsStarted": 1, "PushesHeld": 1}
REFUSED = {"StartsRefused": 1}
APPROVED, DENIED, WRONG = {"SignInsApproved": 1}, {"SignInsDenied": 1}, {"WrongNumbers": 1}
FRAUD = {"FraudReports": 1, "Locks": 1}  # a fraud report locks phone sign-in
PUSH_FAILED = {"SignInsStarted": 1, "PushFailures": 1}
BUSY = {"ServerErrors": 1, "Unavailable": 1}
BROKEN = {"ServerErrors": 1}


@pytest.fixture
def lines(caplog, monkeypatch):
    """The service's log events since the last call, as CloudWatch receives them."""
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    caplog.set_level(logging.INFO, logger="phonesignin")

    def take() -> list[dict]:
        taken = [as_lambda_writes(r) for r in caplog.records if r.name == "phonesignin"]
        caplog.clear()
        return taken

    return take


@pytest.fixture
def alice(enrolled):
    return enrolled(push_token="apns-token-alice")[0]


def assert_counts(lines: list[dict], *expected: dict[str, float]) -> None:
    got = [counted(line) for line in lines]
    assert got == list(expected), json.dumps(lines, indent=1)


def start_any(api, tenant):
    """Alice's start as the page sends it, whatever it is answered (the `start` fixture
    expects a 200)."""
    body = {
        "client_id": tenant["client_id"],
        "username": "alice@acme.test",
        "redirect_uri": "https://app.acme.test/cb",
    }
    headers = {"Content-Type": "application/json"}
    return api.http.post("/t/acme/signin", headers=headers, body=json.dumps(body))


def busy(client, operation: str, code: str) -> None:
    """Have AWS answer `code` to every call of `operation` by the service's client."""

    def refuse(**_):
        error = {"Error": {"Code": code, "Message": "Rate exceeded"}}
        raise ClientError({**error, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)

    client.meta.events.register(f"before-call.dynamodb.{operation}", refuse)


def test_the_line_is_json_with_the_fields_at_the_top(alice, start, lines):
    """Needs the access line's fields passed as the record's extra fields under Lambda's JSON
    format: written into the message as text, no filter could select `$.status`."""
    lines()
    start()
    (line,) = lines()
    assert line["level"] == "INFO" and line["message"] == "start_signin 200"
    assert (line["view"], line["tenant"], line["status"]) == ("start_signin", "acme", 200)
    assert line["events"] == {"signin_started": 1}


def test_each_answer_counts_as_its_own_metric(alice, start, lines):
    """Needs the answers noted (phone_answers.respond, signals.note): an approval is not an
    audit event, so nothing else would say it happened."""
    for decision in ("approve", "deny", "wrong", "report_fraud"):
        started = start()
        number = started["number"] if decision == "approve" else None
        if decision == "wrong":
            decision, number = "approve", (started["number"] % 90) + 10  # a number not shown
        lines()
        status = alice.respond(started["signin_id"], decision, number)[0]
        assert status in (200, 400, 409), status
        (line,) = lines()
        if decision == "report_fraud":
            assert_counts([line], FRAUD)
        elif number is None:
            assert_counts([line], DENIED)
        elif number == started["number"]:
            assert_counts([line], APPROVED)
        else:
            assert_counts([line], WRONG)


def test_a_flood_of_starts_counts_held_pushes_then_refusals(alice, start, lines, api, tenant):
    """Needs every held push and every refused start noted, not only the first of a window
    (which is all the audit log keeps): a push-bombing campaign is their rate."""
    lines()
    for _ in range(9):  # 3 pushed (max_pending), 5 held (a minute's starts), 1 refused
        start_any(api, tenant)
    assert_counts(lines(), *[STARTED] * 3, *[HELD] * 5, REFUSED)


def test_a_push_that_fails_counts_each_phone(enrolled, sns, svc, start, lines):
    """Needs failed publishes noted (phone_signin.push_to_phones): the sign-in goes on, so
    nothing else in the response would show it."""
    phone = enrolled(push_token="apns-token-alice")[0]
    arn = svc.accounts.get("acme", "alice@acme.test").devices[phone.device_id].endpoint_arn
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    lines()
    start()
    assert_counts(lines(), PUSH_FAILED)


@pytest.mark.parametrize(
    ("code", "metrics"),
    [
        ("ProvisionedThroughputExceededException", BUSY),
        ("ValidationException", BROKEN),
    ],
)
def test_server_errors_and_503s(alice, start, svc, api, tenant, lines, code, metrics):
    """Needs the line written at the status the client got (a 503 for AWS being busy, a bare
    500 for a bug), after the error became a response."""
    busy(svc.dynamodb, "PutItem", code)
    lines()
    response = start_any(api, tenant)
    assert response.status_code in (500, 503)
    access = [line for line in lines() if "status" in line]  # not the 500's traceback line
    assert_counts(access, metrics)


def test_every_metric_is_reached_by_an_event():
    """A metric that no event above reaches would be a filter nobody has seen fire."""
    reached = set().union(STARTED, HELD, REFUSED, APPROVED, DENIED, WRONG, FRAUD)
    reached |= set().union(PUSH_FAILED, BUSY, BROKEN)
    assert reached == set(METRICS)
