"""What every store shares: the tables from schema.json, and all-or-nothing transactions."""

from __future__ import annotations

import pytest

from chalicelib.adapters.dynamodb.activation_codes import ActivationCode
from chalicelib.adapters.dynamodb.base import SCHEMA, table_names
from chalicelib.domain.accounts import Account, AccountKind, DeviceSummary
from chalicelib.errors import InvalidActivationCode, NotFound, WorkAccountAlreadyEnrolled


def test_every_table_in_the_schema_exists_with_its_keys(svc, aws):
    client = aws.client("dynamodb")
    for logical, table in table_names(svc.settings.table_prefix).items():
        keys = client.describe_table(TableName=table)["Table"]["KeySchema"]
        expected = {SCHEMA[logical]["hash_key"]: "HASH"}
        if SCHEMA[logical]["range_key"]:
            expected[SCHEMA[logical]["range_key"]] = "RANGE"
        assert {k["AttributeName"]: k["KeyType"] for k in keys} == expected, logical


def test_ttl_is_enabled_on_the_attribute_the_schema_names(svc, aws):
    client = aws.client("dynamodb")
    with_ttl = {name for name, spec in SCHEMA.items() if spec["ttl"]}
    assert {"signins", "activation_codes"} <= with_ttl
    for logical, table in table_names(svc.settings.table_prefix).items():
        ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if logical in with_ttl:
            assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": SCHEMA[logical]["ttl"]}
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED", logical


CODE_HASH = "hash-of-the-code"


@pytest.fixture
def enrolment(svc):
    """An account and its activation code, ready for the writes of an enrolment."""
    svc.accounts.create(
        Account("acme", "alice@acme.test", "acct-alice", AccountKind.WORK, svc.now())
    )
    svc.activation_codes.create(
        ActivationCode("acme", CODE_HASH, "alice@acme.test", svc.now() + 3600)
    )

    def writes(username="alice@acme.test", installation="inst-0123456789"):
        return [
            svc.activation_codes.redeem("acme", CODE_HASH, svc.now()),
            svc.accounts.attach_device("acme", username, "device-1", DeviceSummary()),
            svc.installations.claim(installation, "acme", "device-1"),
        ]

    return writes


def nothing_written(svc) -> bool:
    return (
        svc.activation_codes.get("acme", CODE_HASH).used_at is None
        and svc.accounts.get("acme", "alice@acme.test").devices == {}
    )


def test_all_writes_of_a_transaction_happen_together(svc, enrolment):
    svc.transact(enrolment())
    assert svc.activation_codes.get("acme", CODE_HASH).used_at == svc.now()
    assert svc.accounts.get("acme", "alice@acme.test").devices == {"device-1": DeviceSummary()}


def test_a_failed_condition_raises_its_own_writes_error_and_writes_nothing(svc, enrolment):
    with pytest.raises(NotFound):
        svc.transact(enrolment(username="ghost@acme.test"))
    assert nothing_written(svc)
    svc.transact(enrolment())  # the installation was not claimed either


def test_the_last_write_failing_undoes_the_first(svc, enrolment):
    svc.transact([svc.installations.claim("inst-0123456789", "globex", "device-9")])
    with pytest.raises(WorkAccountAlreadyEnrolled):
        svc.transact(enrolment())
    assert nothing_written(svc)


def test_the_first_failing_write_names_the_error(svc, enrolment):
    svc.transact(enrolment(installation="inst-first-phone"))
    with pytest.raises(InvalidActivationCode):
        svc.transact(enrolment(username="ghost@acme.test"))  # code used and account missing
