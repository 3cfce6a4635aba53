"""AccountStore: one account per username, and the phones listed on it."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.adapters.dynamodb.accounts import AccountExists
from chalicelib.domain.accounts import Account, AccountKind, DeviceSummary
from chalicelib.errors import InvalidActivationCode, NotFound

ALICE = Account(
    tenant_id="acme",
    username="alice@acme.test",
    account_id="acct-alice",
    kind=AccountKind.WORK,
    created_at=1_750_000_000,
)
PUSHED = DeviceSummary(channel="APNS", endpoint_arn="arn:aws:sns:us-east-1:1:endpoint/APNS/a/1")
POLLING = DeviceSummary()


def test_an_account_reads_back_as_created(svc):
    svc.accounts.create(ALICE)
    assert svc.accounts.get("acme", "alice@acme.test") == ALICE
    assert svc.accounts.get("acme", "alice@acme.test", consistent=True) == ALICE


def test_an_unknown_account_is_none(svc):
    svc.accounts.create(ALICE)
    assert svc.accounts.get("acme", "bob@acme.test") is None
    assert svc.accounts.get("globex", "alice@acme.test") is None


def test_a_username_is_taken_once_per_tenant(svc):
    svc.accounts.create(ALICE)
    with pytest.raises(AccountExists):
        svc.accounts.create(Account("acme", "alice@acme.test", "acct-2", AccountKind.PERSONAL, 1))
    assert svc.accounts.get("acme", "alice@acme.test").account_id == "acct-alice"


def test_the_same_username_in_another_tenant_is_another_account(svc):
    svc.accounts.create(ALICE)
    other = Account("globex", "alice@acme.test", "acct-globex", AccountKind.PERSONAL, 1)
    svc.accounts.create(other)
    assert svc.accounts.get("globex", "alice@acme.test") == other


def test_the_username_is_found_by_the_sub_and_the_sub_item_is_no_account(svc):
    svc.accounts.create(ALICE)

    assert svc.accounts.username_of("acme", "acct-alice") == "alice@acme.test"
    assert svc.accounts.username_of("globex", "acct-alice") is None
    assert svc.accounts.username_of("acme", "acct-bob") is None
    assert svc.accounts.get("acme", "SUB#acct-alice") is None  # never a normalised username
    assert svc.accounts.list("acme") == [ALICE]


def test_a_failed_create_writes_no_sub_item(svc):
    svc.accounts.create(ALICE)
    with pytest.raises(AccountExists):
        svc.accounts.create(Account("acme", "alice@acme.test", "acct-2", AccountKind.PERSONAL, 1))
    assert svc.accounts.username_of("acme", "acct-2") is None


def test_an_account_without_a_sub_item_gets_one_once(svc):
    svc.accounts.create(ALICE)
    assert svc.accounts.index_sub(ALICE) is False  # create wrote it
    store = svc.accounts  # as an account made before sub items: delete its own
    store._client.delete_item(TableName=store._table, Key={"pk": {"S": "acme#SUB#acct-alice"}})

    assert svc.accounts.username_of("acme", "acct-alice") is None
    assert svc.accounts.index_sub(ALICE) is True
    assert svc.accounts.index_sub(ALICE) is False
    assert svc.accounts.username_of("acme", "acct-alice") == "alice@acme.test"


def test_phones_are_attached_and_detached(svc):
    svc.accounts.create(ALICE)
    svc.transact([svc.accounts.attach_device("acme", "alice@acme.test", "device-1", PUSHED)])
    svc.transact([svc.accounts.attach_device("acme", "alice@acme.test", "device-2", POLLING)])
    devices = svc.accounts.get("acme", "alice@acme.test").devices
    assert devices == {"device-1": PUSHED, "device-2": POLLING}

    svc.transact([svc.accounts.detach_device("acme", "alice@acme.test", "device-1")])
    assert svc.accounts.get("acme", "alice@acme.test").devices == {"device-2": POLLING}


def test_a_phone_cannot_be_attached_to_a_missing_account(svc):
    with pytest.raises(NotFound):
        svc.transact([svc.accounts.attach_device("acme", "ghost@acme.test", "device-1", PUSHED)])
    assert svc.accounts.get("acme", "ghost@acme.test") is None


def test_a_phone_cannot_be_detached_from_a_missing_account(svc):
    with pytest.raises(NotFound):
        svc.transact([svc.accounts.detach_device("acme", "ghost@acme.test", "device-1")])
    assert svc.accounts.get("acme", "ghost@acme.test") is None


def test_set_device_updates_where_a_phone_is_pushed(svc):
    svc.accounts.create(ALICE)
    svc.transact([svc.accounts.attach_device("acme", "alice@acme.test", "device-1", POLLING)])
    svc.accounts.set_device("acme", "alice@acme.test", "device-1", PUSHED)
    assert svc.accounts.get("acme", "alice@acme.test").devices == {"device-1": PUSHED}


def test_a_phones_language_changes_alone_and_reads_back(svc):
    """Needs set_device_locale to set only the summary's locale (its push fields stay), and
    `get` to read it back."""
    svc.accounts.create(ALICE)
    svc.transact([svc.accounts.attach_device("acme", "alice@acme.test", "device-1", PUSHED)])

    svc.transact([svc.accounts.set_device_locale("acme", "alice@acme.test", "device-1", "nl-NL")])

    devices = svc.accounts.get("acme", "alice@acme.test").devices
    assert devices == {"device-1": dataclasses.replace(PUSHED, locale="nl-NL")}


def test_a_language_is_never_set_for_a_phone_the_account_no_longer_lists(svc):
    """Needs set_device_locale's condition on the phone's entry: a phone removed meanwhile is
    not listed again (with no push fields) by a late change of its language."""
    svc.accounts.create(ALICE)
    with pytest.raises(NotFound):
        svc.transact([svc.accounts.set_device_locale("acme", "alice@acme.test", "gone", "en")])
    with pytest.raises(NotFound):
        svc.transact([svc.accounts.set_device_locale("acme", "ghost@acme.test", "gone", "en")])
    assert svc.accounts.get("acme", "alice@acme.test").devices == {}
    assert svc.accounts.get("acme", "ghost@acme.test") is None


def redeem(svc, code_hash: str, device_id: str = "device-1") -> None:
    write = svc.accounts.attach_device(
        "acme", "alice@acme.test", device_id, POLLING, code_hash=code_hash
    )
    svc.transact([write])


def test_only_the_newest_activation_code_is_redeemed_and_only_once(svc):
    svc.accounts.create(ALICE)
    svc.accounts.set_activation_code("acme", "alice@acme.test", "hash-old")
    svc.accounts.set_activation_code("acme", "alice@acme.test", "hash-new")

    with pytest.raises(InvalidActivationCode):
        redeem(svc, "hash-old")
    redeem(svc, "hash-new")
    with pytest.raises(InvalidActivationCode):
        redeem(svc, "hash-new", device_id="device-2")
    assert svc.accounts.get("acme", "alice@acme.test").devices == {"device-1": POLLING}


def test_no_activation_code_is_redeemed_for_a_disabled_account(svc):
    svc.accounts.create(ALICE)
    svc.accounts.set_activation_code("acme", "alice@acme.test", "hash-new")
    svc.accounts.set_disabled("acme", "alice@acme.test", True)

    with pytest.raises(InvalidActivationCode):
        redeem(svc, "hash-new")
    svc.accounts.set_disabled("acme", "alice@acme.test", False)
    redeem(svc, "hash-new")


def test_no_activation_code_is_redeemed_for_a_missing_account(svc):
    with pytest.raises(InvalidActivationCode):
        redeem(svc, "hash-new")
    assert svc.accounts.get("acme", "alice@acme.test") is None
