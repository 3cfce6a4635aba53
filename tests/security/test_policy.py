"""The push fatigue and number match policy: defaults, ranges, storage and the admin CLI.

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import pytest

from chalicelib import service
from chalicelib.adapters.dynamodb.base import encode_item
from chalicelib.domain.tenants import PUSH_LIMITS, NumberMatch, Policy
from chalicelib.errors import InvalidRequest
from tests.fixtures.api import stored_state
from tools import admin as admin_cli

DEFAULTS = {
    "pushes_per_minute": 3,
    "pushes_per_day": 30,
    "max_pending": 3,
    "deny_lock_after": 3,
    "lock_seconds": 900,
}


def test_the_defaults():
    policy = Policy()

    assert {name: getattr(policy, name) for name in DEFAULTS} == DEFAULTS
    assert policy.number_match is NumberMatch.TYPE


def out_of_range(name: str) -> list:
    low, high = PUSH_LIMITS[name]
    return [low - 1, high + 1, 0, -1, True, "3", 3.0, None]


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, value) for name in PUSH_LIMITS for value in out_of_range(name)],
)
def test_a_limit_outside_its_range_is_refused(name, value):
    """Needs the range check: 0 pushes a minute would disable phone sign-in unnoticed, a
    thousand would disable the defence, and deny_lock_after over 100 breaks NIST's cap."""
    with pytest.raises(InvalidRequest, match=name):
        Policy(**{name: value})


def test_deny_lock_after_is_at_most_a_hundred():
    """Needs NIST SP 800-63B's cap of 100 consecutive failed attempts."""
    assert Policy(deny_lock_after=100).deny_lock_after == 100
    with pytest.raises(InvalidRequest):
        Policy(deny_lock_after=101)


def test_more_pushes_a_minute_than_a_day_is_refused():
    with pytest.raises(InvalidRequest, match="pushes_per_minute"):
        Policy(pushes_per_minute=10, pushes_per_day=5)


def test_an_unknown_number_match_is_refused():
    with pytest.raises(InvalidRequest, match="number_match"):
        Policy(number_match="strict")  # the string, not the mode


def test_every_field_is_stored_and_loaded(svc, tenant):
    policy = Policy(
        number_match=NumberMatch.STRICT,
        pushes_per_minute=2,
        pushes_per_day=20,
        max_pending=1,
        deny_lock_after=5,
        lock_seconds=3600,
    )

    svc.tenants.set_policy("acme", policy)

    assert svc.tenants.load("acme").policy == policy


def test_a_tenant_written_without_the_new_fields_gets_the_defaults(svc, settings):
    """Needs defaults when absent: Terraform (and tenants made before) write only the first
    four fields, and a missing one must not fail every request of the tenant."""
    head = {
        "pk": "acme",
        "sk": "tenant",
        "name": "Acme Corp",
        "phone_signin": True,
        "signin_seconds": 120,
        "number_match": "type",
        "require_two_step": False,
    }
    svc.dynamodb.put_item(TableName=f"{settings.table_prefix}tenants", Item=encode_item(head))

    assert svc.tenants.load("acme").policy == Policy()


# --- The admin CLI ----------------------------------------------------------------------------


@pytest.fixture
def cli(svc, monkeypatch, capsys):
    monkeypatch.setattr(service, "get", lambda: svc)

    def run(*argv: str) -> tuple[int, str]:
        code = admin_cli.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


def test_the_admin_cli_sets_each_field(cli, svc, tenant):
    code, out = cli(
        "set-policy", "acme", "--number-match", "strict", "--pushes-per-minute", "2",
        "--pushes-per-day", "20", "--max-pending", "1", "--deny-lock-after", "5",
        "--lock-seconds", "3600",
    )  # fmt: skip

    assert code == 0, out
    assert svc.tenants.load("acme").policy == Policy(
        number_match=NumberMatch.STRICT,
        pushes_per_minute=2,
        pushes_per_day=20,
        max_pending=1,
        deny_lock_after=5,
        lock_seconds=3600,
    )


def test_the_admin_cli_keeps_the_fields_it_is_not_given(cli, svc, tenant):
    assert cli("set-policy", "acme", "--lock-seconds", "60")[0] == 0
    assert cli("set-policy", "acme", "--max-pending", "2")[0] == 0

    policy = svc.tenants.load("acme").policy
    assert (policy.lock_seconds, policy.max_pending) == (60, 2)


def test_password_only_accounts_is_off_by_default_and_set_by_the_admin_cli(cli, svc, tenant):
    """Needs the policy field in the codec and the CLI: without them a tenant cannot let its
    people keep only a password, and one that did would lose the choice on the next load
    (the security-info page's last-method rule reads it)."""
    assert svc.tenants.load("acme").policy.password_only_accounts is False

    assert cli("set-policy", "acme", "--password-only-accounts", "on")[0] == 0
    assert svc.tenants.load("acme").policy.password_only_accounts is True
    assert cli("set-policy", "acme", "--lock-seconds", "60")[0] == 0  # kept when not given
    assert svc.tenants.load("acme").policy.password_only_accounts is True


def test_passkeys_are_on_by_default_and_turned_off_by_the_admin_cli(cli, svc, tenant):
    """Needs the policy field in the codec and the CLI: without them a tenant could not turn
    passkeys off, and one that did would have them back on the next load."""
    assert svc.tenants.load("acme").policy.passkeys is True

    assert cli("set-policy", "acme", "--passkeys", "off")[0] == 0
    assert svc.tenants.load("acme").policy.passkeys is False
    assert cli("set-policy", "acme", "--lock-seconds", "60")[0] == 0  # kept when not given
    assert svc.tenants.load("acme").policy.passkeys is False


@pytest.mark.parametrize(
    "flags",
    [
        ("--pushes-per-minute", "0"),
        ("--pushes-per-day", "100000"),
        ("--max-pending", "-1"),
        ("--deny-lock-after", "101"),
        ("--lock-seconds", "5"),
        ("--pushes-per-minute", "20", "--pushes-per-day", "10"),
    ],
)
def test_the_admin_cli_refuses_a_bad_value_and_writes_nothing(cli, tenant, flags):
    """Needs the Policy validation before any write: without it, a bad policy is stored and
    every request of the tenant then fails as it loads."""
    before = stored_state()

    code, out = cli("set-policy", "acme", *flags)

    assert code == 1
    assert "invalid_request" in out
    assert stored_state() == before


@pytest.mark.parametrize("value", ["three", "1.5", ""])
def test_the_admin_cli_refuses_a_value_that_is_not_a_number(cli, tenant, value):
    before = stored_state()

    with pytest.raises(SystemExit) as exited:
        cli("set-policy", "acme", "--max-pending", value)

    assert exited.value.code == 2
    assert stored_state() == before
