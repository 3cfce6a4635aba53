"""InstallationStore: one work or school account per phone app, across all tenants."""

from __future__ import annotations

import pytest

from chalicelib.errors import WorkAccountAlreadyEnrolled

INSTALLATION = "inst-0123456789abcdef"


def claim(svc, tenant_id="acme", device_id="device-1"):
    svc.transact([svc.installations.claim(INSTALLATION, tenant_id, device_id)])


def release(svc, tenant_id="acme", device_id="device-1"):
    svc.transact([svc.installations.release(INSTALLATION, tenant_id, device_id)])


def test_an_installation_is_claimed_once(svc):
    claim(svc)
    with pytest.raises(WorkAccountAlreadyEnrolled):
        claim(svc, device_id="device-2")


def test_a_claim_spans_tenants(svc):
    claim(svc, tenant_id="acme")
    with pytest.raises(WorkAccountAlreadyEnrolled):
        claim(svc, tenant_id="globex", device_id="device-2")


def test_the_holder_releases_its_claim(svc):
    claim(svc)
    release(svc)
    claim(svc, tenant_id="globex", device_id="device-2")


@pytest.mark.parametrize(("tenant_id", "device_id"), [("acme", "device-2"), ("globex", "device-1")])
def test_nobody_else_can_release_a_claim(svc, tenant_id, device_id):
    claim(svc)
    with pytest.raises(WorkAccountAlreadyEnrolled):
        release(svc, tenant_id=tenant_id, device_id=device_id)
    with pytest.raises(WorkAccountAlreadyEnrolled):
        claim(svc, device_id="device-3")  # still held


def test_other_installations_are_independent(svc):
    claim(svc)
    svc.transact([svc.installations.claim("inst-another-phone", "acme", "device-2")])
