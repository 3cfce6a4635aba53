"""InstallationStore: one work or school account per phone app, across all tenants, and the
push endpoints several registrations on one phone share."""

from __future__ import annotations

import pytest

from chalicelib.errors import NotFound, PushTokenInUse, WorkAccountAlreadyEnrolled

INSTALLATION = "inst-0123456789abcdef"
ENDPOINT = "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/1"


def claim(svc, tenant_id="acme", device_id="device-1"):
    svc.transact([svc.installations.claim(INSTALLATION, tenant_id, device_id)])


def release(svc, tenant_id="acme", device_id="device-1"):
    svc.transact([svc.installations.release(INSTALLATION, tenant_id, device_id)])


def test_an_installation_is_claimed_once(svc):
    assert not svc.installations.is_claimed(INSTALLATION)
    claim(svc)
    assert svc.installations.is_claimed(INSTALLATION)
    with pytest.raises(WorkAccountAlreadyEnrolled):
        claim(svc, device_id="device-2")


def test_a_claim_spans_tenants(svc):
    claim(svc, tenant_id="acme")
    with pytest.raises(WorkAccountAlreadyEnrolled):
        claim(svc, tenant_id="globex", device_id="device-2")


def test_the_holder_releases_its_claim(svc):
    claim(svc)
    release(svc)
    assert not svc.installations.is_claimed(INSTALLATION)
    claim(svc, tenant_id="globex", device_id="device-2")


@pytest.mark.parametrize(("tenant_id", "device_id"), [("acme", "device-2"), ("globex", "device-1")])
def test_nobody_else_can_release_a_claim(svc, tenant_id, device_id):
    claim(svc)
    with pytest.raises(NotFound):
        release(svc, tenant_id=tenant_id, device_id=device_id)
    assert svc.installations.is_claimed(INSTALLATION)
    with pytest.raises(WorkAccountAlreadyEnrolled):
        claim(svc, device_id="device-3")


def test_other_installations_are_independent(svc):
    claim(svc)
    svc.transact([svc.installations.claim("inst-another-phone", "acme", "device-2")])
    assert svc.installations.is_claimed("inst-another-phone")


def hold(svc, installation_id=INSTALLATION, tenant_id="acme", device_id="device-1"):
    svc.transact([svc.installations.hold_endpoint(ENDPOINT, installation_id, tenant_id, device_id)])


def test_a_shared_endpoint_is_free_only_when_its_last_holder_lets_go(svc):
    hold(svc)
    hold(svc, tenant_id="globex", device_id="device-9")  # another account in the same app
    assert svc.installations.release_endpoint(ENDPOINT, "acme", "device-1") is False
    assert svc.installations.release_endpoint(ENDPOINT, "globex", "device-9") is True


def test_holding_an_endpoint_twice_is_one_hold(svc):
    hold(svc)
    hold(svc)
    assert svc.installations.release_endpoint(ENDPOINT, "acme", "device-1") is True


def test_another_installation_cannot_take_hold_of_a_held_endpoint(svc):
    hold(svc)
    with pytest.raises(PushTokenInUse):
        hold(svc, installation_id="inst-another-phone", tenant_id="globex", device_id="device-9")
    assert svc.installations.release_endpoint(ENDPOINT, "acme", "device-1") is True


def test_once_its_last_holder_lets_go_an_endpoint_may_be_held_by_another_installation(svc):
    hold(svc)
    assert svc.installations.release_endpoint(ENDPOINT, "acme", "device-1") is True
    hold(svc, installation_id="inst-another-phone", tenant_id="globex", device_id="device-9")
    with pytest.raises(PushTokenInUse):  # and now it is the new installation's
        hold(svc, device_id="device-2")


def test_letting_go_of_an_endpoint_nobody_holds_writes_nothing(svc, aws):
    assert svc.installations.release_endpoint(ENDPOINT, "acme", "device-1") is True
    table = svc.settings.table_prefix + "installations"
    assert aws.client("dynamodb").scan(TableName=table)["Items"] == []
