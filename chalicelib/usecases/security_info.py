"""The security-info page's use cases: what a person's sign-in methods are, adding a phone by
an enrolment link, and removing a phone or a passkey.

A method is a phone or a passkey; recovery codes stand in for lost methods and are none. The
last method goes only where the tenant allows accounts with a password alone
(Policy.password_only_accounts). Every change is in the audit log (actor `self`) and
shown to the person's phones as a notice.
"""

from __future__ import annotations

from chalicelib.domain import enrolment
from chalicelib.domain.account_sessions import Session
from chalicelib.domain.accounts import Account, user_key
from chalicelib.domain.signins import NOTICE_SECONDS, Notice
from chalicelib.errors import NotFound, ServiceError
from chalicelib.service import Services
from chalicelib.usecases import activation, device_api, passkeys, recovery_codes
from chalicelib.usecases.account_signin import account_of, passkeys_of

ACTOR = "self"  # the person, on their security-info page


class LastMethod(ServiceError):
    status = 409
    code = "last_method"
    description = (
        "This is your last way to sign in other than your password; add another phone or a "
        "passkey before you remove it."
    )


def overview(svc: Services, tenant_id: str, session: Session) -> dict:
    """The person's methods: phones (platform, added, last used, push), passkeys, how many
    recovery codes are left, and whether removing one would leave none."""
    account = account_of(svc, tenant_id, session)
    devices = [svc.devices.get(tenant_id, device_id) for device_id in account.devices]
    used = svc.signins.last_answers(tenant_id, user_key(account.username), set(account.devices))
    phones = [
        {
            "device_id": device.device_id,
            "platform": device.platform.value,
            "added_at": device.created_at,
            # The newest approval kept (90 days); phones that answered before approvals were
            # kept carry the time respond once wrote on them.
            "last_used_at": used.get(device.device_id, device.last_used_at),
            "push": device.endpoint_arn is not None,
        }
        for device in sorted((d for d in devices if d), key=lambda d: d.created_at)
    ]
    listed = passkeys_of(svc, tenant_id, account.username)
    methods = len(phones) + len(listed)
    policy = svc.directory.get(tenant_id).tenant.policy
    return {
        "username": account.username,
        "phones": phones,
        "passkeys": listed,
        "recovery_codes": recovery_codes.remaining(svc, tenant_id, account.username),
        "methods": methods,
        "may_remove_last": policy.password_only_accounts,
        "passkeys_enabled": policy.passkeys,
        "recovery_codes_usable": not policy.require_two_step,  # one factor is not two
        "password": account.password_hash is not None,
    }


def add_phone(svc: Services, tenant_id: str, session: Session) -> dict:
    """A fresh activation code for the person (it revokes any older one) and its enrolment
    link, valid enrolment.PAGE_SECONDS: the person is at the screen."""
    account = account_of(svc, tenant_id, session)
    issued = activation.issue(svc, tenant_id, account.username, enrolment.PAGE_SECONDS, actor=ACTOR)
    _notify(svc, tenant_id, account, "activation_code_issued", None, {})
    return issued


def remove_phone(svc: Services, tenant_id: str, session: Session, device_id: str) -> dict:
    """Remove one of the person's phones, exactly as unregistering does (its record, its
    work-account claim, its SNS endpoint); not the last method unless the tenant allows it."""
    account = account_of(svc, tenant_id, session)
    device = svc.devices.get(tenant_id, device_id) if device_id in account.devices else None
    if device is None or device.account_id != account.account_id:
        raise NotFound("No such phone on this account.")
    _keep_one(svc, tenant_id, account)
    removed = device_api.remove_device(svc, device, actor=ACTOR)
    detail = {"platform": device.platform.value}
    _notify(svc, tenant_id, account, "device_removed", device.device_id, detail)
    return removed


def new_recovery_codes(svc: Services, tenant_id: str, session: Session) -> list[str]:
    """Ten fresh recovery codes, shown once; the older set stops working (the recovery codes
    use case audits it and tells the phones)."""
    account = account_of(svc, tenant_id, session)
    return recovery_codes.generate(svc, tenant_id, account.username, actor=ACTOR)


def passkey_options(svc: Services, tenant_id: str, session: Session) -> dict:
    """A registration challenge for the person (the passkeys use case)."""
    account = account_of(svc, tenant_id, session)
    return passkeys.registration_options(svc, tenant_id, account.username)


def add_passkey(svc: Services, tenant_id: str, session: Session, body: dict) -> dict:
    """Keep the passkey the browser made for the challenge (verified by the passkeys use
    case, which audits it and tells the phones)."""
    account = account_of(svc, tenant_id, session)
    return passkeys.register(
        svc, tenant_id, account.username, body["challenge_id"], body["credential"], body["name"]
    )


def remove_passkey(svc: Services, tenant_id: str, session: Session, credential_id: str) -> dict:
    """Remove one of the person's passkeys; not the last method unless the tenant allows it."""
    account = account_of(svc, tenant_id, session)
    mine = passkeys_of(svc, tenant_id, account.username)
    if not any(p["credential_id"] == credential_id for p in mine):
        raise NotFound("No such passkey on this account.")
    _keep_one(svc, tenant_id, account)
    passkeys.remove(svc, tenant_id, account.username, credential_id, actor=ACTOR)
    return {"credential_id": credential_id, "removed": True}


def _keep_one(svc: Services, tenant_id: str, account: Account) -> None:
    if svc.directory.get(tenant_id).tenant.policy.password_only_accounts:
        return
    if len(account.devices) + len(passkeys_of(svc, tenant_id, account.username)) <= 1:
        raise LastMethod()


def _notify(
    svc: Services, tenant_id: str, account: Account, kind: str, key: str | None, detail: dict
) -> None:
    """Tell the person's phones (listed with their waiting sign-ins for a week)."""
    notice = Notice(kind=kind, at=svc.now(), account_id=account.account_id, key=key, detail=detail)
    svc.signins.notify(tenant_id, user_key(account.username), notice, NOTICE_SECONDS)
