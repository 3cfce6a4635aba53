"""Telling which usernames exist from the recovery-code route: by the answer, or by the AWS
calls behind it (the deterministic part of the timing argument; see test_enumeration.py).

A recovery code is checked by one conditional write on the account item, whatever the
username: there is no read first, so an unknown username, a disabled account, a wrong code and
a spent one make the same calls and get the same answer, the password's.

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import functools

import pytest

from chalicelib.usecases import recovery_codes
from tests.security.test_enumeration import aws_calls, calls_of, looks, page  # noqa: F401
from tools.admin import flows as admin

CALLBACK = "https://app.acme.test/cb"


@pytest.fixture
def recover(page, tenant):  # noqa: F811
    def send(username: str, code: str):
        body = {"client_id": tenant["client_id"], "username": username, "code": code,
                "redirect_uri": CALLBACK}  # fmt: skip
        return page("/t/acme/recovery", body)

    return send


@pytest.fixture
def cases(new_account, svc, recover) -> dict:
    """Each way a code can fail, for a username of its own (each its own run of failures)."""
    codes = {}
    for name in ("alice", "dave", "erin"):
        new_account(f"{name}@acme.test")
        codes[name] = recovery_codes.generate(svc, "acme", f"{name}@acme.test", actor="admin")
    admin.set_account_disabled(svc, "acme", "dave@acme.test", True)
    assert recover("erin@acme.test", codes["erin"][0]).status_code == 200  # spent
    return {
        "unknown": ("nobody@acme.test", codes["alice"][0]),
        "wrong code": ("alice@acme.test", "00000-00000"),
        "disabled, right code": ("dave@acme.test", codes["dave"][0]),
        "spent code": ("erin@acme.test", codes["erin"][0]),
    }


def test_every_failed_code_gets_one_answer_after_the_same_calls(cases, recover, svc, aws_calls):  # noqa: F811
    """Needs RecoveryCodeStore.use to decide in one conditional write with no read before it,
    and the attempt counted for every username: without it, an unknown username would skip
    the write or a disabled account read its item, and the calls (and the time) would differ.
    """
    made = {
        case: calls_of(svc, aws_calls, functools.partial(recover, *who))
        for case, who in cases.items()
    }
    print("\nAWS calls of a failed recovery code:", {c: calls for c, (_, calls) in made.items()})

    unknown_answer, unknown_calls = made["unknown"]
    assert looks(unknown_answer)["status"] == 401
    assert looks(unknown_answer)["body"]["error"] == "invalid_credentials"
    assert "dynamodb.UpdateItem accounts" in unknown_calls
    assert "dynamodb.GetItem accounts" not in unknown_calls
    for case, (answer, calls) in made.items():
        assert looks(answer) == looks(unknown_answer), case
        assert calls == unknown_calls, case
