"""DeviceStore: a phone's key, account and push endpoint, under its thumbprint."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.devices import Device, Platform
from chalicelib.errors import DeviceAlreadyEnrolled, NotFound

PHONE = Device(
    tenant_id="acme",
    device_id="thumbprint-of-the-key",
    username="alice@acme.test",
    account_id="acct-alice",
    kind=AccountKind.WORK,
    platform=Platform.IOS,
    public_jwk={"kty": "EC", "crv": "P-256", "x": "x", "y": "y"},
    installation_id="inst-0123456789",
    sealed_totp_secret=b"\x00sealed\xff",
    created_at=1_750_000_000,
)
ARN = "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/1"


@pytest.fixture
def phone(svc) -> Device:
    svc.transact([svc.devices.add(PHONE)])
    return PHONE


def test_a_device_reads_back_as_enrolled(svc, phone):
    assert svc.devices.get("acme", PHONE.device_id) == phone
    assert svc.devices.get("globex", PHONE.device_id) is None


def test_a_key_is_enrolled_once(svc, phone):
    with pytest.raises(DeviceAlreadyEnrolled):
        svc.transact([svc.devices.add(dataclasses.replace(PHONE, username="bob@acme.test"))])
    assert svc.devices.get("acme", PHONE.device_id).username == "alice@acme.test"


def test_a_removed_device_is_gone(svc, phone):
    svc.transact([svc.devices.remove("acme", PHONE.device_id)])
    assert svc.devices.get("acme", PHONE.device_id) is None
    with pytest.raises(NotFound):
        svc.transact([svc.devices.remove("acme", PHONE.device_id)])


def test_registering_push_clears_an_earlier_failure(svc, phone):
    svc.devices.record_push_failure("acme", PHONE.device_id, 1_750_000_100)
    assert svc.devices.get("acme", PHONE.device_id).push_failed_at == 1_750_000_100

    svc.devices.set_push("acme", PHONE.device_id, "APNS", "a1b2c3", ARN)

    stored = svc.devices.get("acme", PHONE.device_id)
    assert (stored.push_channel, stored.push_token, stored.endpoint_arn) == ("APNS", "a1b2c3", ARN)
    assert stored.push_failed_at is None


def test_push_cannot_be_set_on_a_missing_device(svc):
    with pytest.raises(svc.dynamodb.exceptions.ConditionalCheckFailedException):
        svc.devices.set_push("acme", "nobody", "APNS", "a1b2c3", ARN)
    assert svc.devices.get("acme", "nobody") is None


def test_a_phones_language_is_stored_as_sent(svc, phone):
    """Needs `add` and `set_locale` to write the tag and `get` to read it back; a device
    enrolled without one (as every device was before phones sent it) reads as None."""
    assert phone.locale is None and svc.devices.get("acme", PHONE.device_id).locale is None

    svc.transact([svc.devices.set_locale("acme", PHONE.device_id, "nl-BE")])
    assert svc.devices.get("acme", PHONE.device_id).locale == "nl-BE"

    other = dataclasses.replace(PHONE, device_id="another-thumbprint", locale="en-GB")
    svc.transact([svc.devices.add(other)])
    assert svc.devices.get("acme", "another-thumbprint") == other


def test_a_language_cannot_be_set_on_a_missing_device(svc):
    with pytest.raises(NotFound):
        svc.transact([svc.devices.set_locale("acme", "nobody", "nl-NL")])
    assert svc.devices.get("acme", "nobody") is None
