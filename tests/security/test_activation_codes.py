"""Activation codes: bounded in time, revoked by a newer code, never redeemed for a disabled
account (not even one disabled while the phone enrols)."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidRequest
from tools.admin import flows as admin

MINUTE, DAY = 60, 24 * 3600


def test_a_new_code_revokes_the_older_unused_ones(new_account, make_phone, svc, snapshot):
    """Needs the account's newest code hash (`AccountStore.set_activation_code`, set by
    `issue_activation_code`) and the enrolment's account write conditional on it
    (`attach_device(code_hash=...)`): otherwise a code the administrator replaced, perhaps
    because it was sent to the wrong place, still enrols a phone."""
    older = new_account()["activation_code"]
    newer = admin.issue_activation_code(svc, "acme", "alice@acme.test")["activation_code"]
    before = snapshot()

    status, body = make_phone().enrol(older, push_token="apns-token-1")

    assert (status, body["error"]) == (400, "invalid_activation_code")
    assert snapshot() == before
    assert make_phone().enrol(newer)[0] == 200
    status, body = make_phone().enrol(newer)  # and the newest works once, as every code
    assert (status, body["error"]) == (400, "invalid_activation_code")


def test_a_code_is_refused_for_a_disabled_account_before_sns_is_asked(
    new_account, make_phone, svc, snapshot
):
    """Needs enrol's early refusal of a disabled account: without it the phone's push token
    reaches SNS (an endpoint made, then deleted again) before the transaction refuses."""
    code = new_account()["activation_code"]
    admin.set_account_disabled(svc, "acme", "alice@acme.test", True)
    asked: list[str] = []
    svc.push._client.meta.events.register(
        "provide-client-params.sns.CreatePlatformEndpoint", lambda params, **_: asked.append(1)
    )
    before = snapshot()

    status, body = make_phone().enrol(code, push_token="apns-token-1")

    assert (status, body["error"]) == (400, "invalid_activation_code")
    assert (asked, snapshot()) == ([], before)
    admin.set_account_disabled(svc, "acme", "alice@acme.test", False)
    assert make_phone().enrol(code)[0] == 200  # the code was not spent


def test_an_account_disabled_while_the_phone_enrols_gets_no_phone(
    new_account, make_phone, svc, snapshot, monkeypatch
):
    """Needs the enrolment transaction's account write to require the account enabled
    (`attach_device(code_hash=...)`): the early check reads the account before SNS and the
    other writes, and an administrator disabling it in between must still win."""
    code = new_account()["activation_code"]
    read = svc.accounts.get
    disabled: list[dict] = []

    def read_then_disable(tenant_id, username, **kwargs):
        account = read(tenant_id, username, **kwargs)
        svc.accounts.set_disabled(tenant_id, username, True)
        disabled.append(snapshot())
        return account

    monkeypatch.setattr(svc.accounts, "get", read_then_disable)

    status, body = make_phone().enrol(code, push_token="apns-token-1")

    assert (status, body["error"]) == (400, "invalid_activation_code")
    (before,) = disabled
    assert snapshot() == before  # no device, no use of the code, no endpoint left in SNS


@pytest.mark.parametrize("valid_seconds", [-1, 0, 5 * MINUTE - 1, 7 * DAY + 1, 365 * DAY])
def test_a_code_is_valid_for_five_minutes_to_seven_days(
    valid_seconds, new_account, make_phone, svc, snapshot
):
    """Needs `issue_activation_code`'s bounds: a code that lives for months is a standing
    bearer credential for the account, and one that is dead on arrival is no code at all."""
    code = new_account()["activation_code"]
    before = snapshot()

    with pytest.raises(InvalidRequest):
        admin.issue_activation_code(svc, "acme", "alice@acme.test", valid_seconds)

    assert snapshot() == before  # nothing issued, and the current code is not revoked
    assert make_phone().enrol(code)[0] == 200


@pytest.mark.parametrize("valid_seconds", [5 * MINUTE, 7 * DAY])
def test_a_code_works_for_as_long_as_it_was_issued_for(
    valid_seconds, new_account, make_phone, svc, clock
):
    new_account()
    issued = admin.issue_activation_code(svc, "acme", "alice@acme.test", valid_seconds)
    assert issued["expires_at"] == int(clock()) + valid_seconds

    clock.advance(valid_seconds)
    status, body = make_phone().enrol(issued["activation_code"])
    assert (status, body["error"]) == (400, "invalid_activation_code")
    clock.advance(-1)
    assert make_phone().enrol(issued["activation_code"])[0] == 200
