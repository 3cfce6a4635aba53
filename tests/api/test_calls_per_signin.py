"""What a person's phone sign-in asks of DynamoDB, call by call: the cuts of issue 15 each hold.

A person signs in a few times a day, so each sign-in here meets the state a real one meets:
pushes counted hours ago, nothing still waiting. tools/bench counts the same calls on the whole
flow; these tests pin the ones that went away, so a change that brings one back fails here.
"""

from __future__ import annotations

import pytest

from chalicelib.domain.accounts import user_key
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin


@pytest.fixture
def calls(svc):
    """Every DynamoDB call the service makes from here on: (operation, table, consistent),
    but the tenant cache's reloads (once a minute per container, not per sign-in)."""
    made: list[tuple[str, str, bool]] = []

    def note(params, model, **_):
        table = params.get("TableName", "").removeprefix("test-")
        if table != "tenants":
            made.append((model.name, table, bool(params.get("ConsistentRead"))))

    svc.devices._client.meta.events.register("provide-client-params.dynamodb.*", note)
    return made


def test_a_start_counts_its_push_and_waiting_in_one_write_without_a_query(
    alice, start, svc, clock, calls
):
    """Needs the push counters to remember the last pushes' ends (limits.take_push): without
    them every start asks the sign-ins table how many wait (a Query) before pushing."""
    clock.advance(86400 - svc.now() % 86400 + 12 * 3600)  # tomorrow noon, as a person signs in
    started = start()
    assert started["held"] is False
    assert [(op, table) for op, table, _ in calls] == [
        ("GetItem", "accounts"),
        ("UpdateItem", "limits"),
        ("PutItem", "signins"),
    ]


def test_the_waiting_bound_still_asks_when_the_last_pushes_may_wait(alice, start, svc, calls):
    """Needs take_push's answer to trigger the exact count: without it a person with three
    sign-ins waiting would get a fourth push (max_pending)."""
    admin.set_policy(svc, "acme", Policy(pushes_per_minute=10))
    for _ in range(3):
        start()
    calls.clear()
    assert start()["held"] is True
    assert ("Query", "signins", False) in calls


def test_just_after_midnight_the_pushes_before_it_still_count(alice, start, svc, clock):
    """Needs the day's first minutes to ask the sign-ins table: the push allowance's record of
    the last pushes starts afresh each day, so without it three sign-ins pushed just before
    midnight would not count and a fourth would be pushed (max_pending 3)."""
    admin.set_policy(svc, "acme", Policy(pushes_per_minute=10))
    clock.advance(86400 - svc.now() % 86400 - 30)  # half a minute to midnight (UTC)
    assert [start()["held"] for _ in range(3)] == [False, False, False]
    clock.advance(35)
    assert start()["held"] is True


def test_an_approval_writes_the_signin_and_nothing_else(alice, start, approved, svc, calls):
    """Needs respond to keep the decided sign-in as the approval's record: without it respond
    writes an audit event and the phone's "last used" besides (4 calls, not 2)."""
    started = start()
    calls.clear()
    alice.respond(started["signin_id"], "approve", started["number"])
    assert [(op, table) for op, table, _ in calls] == [
        ("GetItem", "devices"),
        ("UpdateItem", "signins"),
    ]
    assert [c for c in calls if c[1] == "devices"] == [("GetItem", "devices", True)]  # at once
    assert svc.signins.last_answers("acme", user_key("alice@acme.test"), {alice.device_id})


def test_a_result_poll_reads_eventually_consistent(alice, start, result, calls):
    """Needs result's eventual read: a strongly consistent one costs twice the read units,
    and a moment-old "pending" only means one more poll."""
    started = start()
    calls.clear()
    assert result(started)[1]["status"] == "pending"
    assert calls == [("GetItem", "signins", False)]
