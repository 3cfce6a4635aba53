"""Activation codes: a one-time code that lets a phone join an account, for an administrator
(tools/admin) or for the person on their security-info page."""

from __future__ import annotations

from chalicelib.domain import enrolment, secret_codes
from chalicelib.domain.accounts import normalise_username
from chalicelib.domain.enrolment import ActivationCode
from chalicelib.errors import NotFound
from chalicelib.service import Services


def issue(
    svc: Services,
    tenant_id: str,
    username: str,
    valid_seconds: int = enrolment.DEFAULT_SECONDS,
    actor: str = "admin",
) -> dict:
    """A one-time code to enrol a phone: shown once, stored only as a hash, valid 5 minutes
    to 7 days. It revokes the account's older codes not yet used: only the newest can be
    redeemed (AccountStore.attach_device)."""
    enrolment.check_validity(valid_seconds)
    tenant = svc.directory.get(tenant_id)
    username = normalise_username(username)
    account = svc.accounts.get(tenant_id, username, consistent=True)
    if account is None:
        raise NotFound("No such account.")
    code = secret_codes.new_activation_code(svc.rng)
    code_hash = secret_codes.hash_secret(code)
    expires_at = svc.now() + valid_seconds
    svc.activation_codes.create(
        ActivationCode(
            tenant_id=tenant_id, code_hash=code_hash, username=username, expires_at=expires_at
        )
    )
    svc.accounts.set_activation_code(tenant_id, username, code_hash)
    svc.record(tenant_id, "activation_code_issued", account=account.account_id, actor=actor)
    return {
        "activation_code": code,
        "expires_at": expires_at,
        "issuer": tenant.issuer,
        "username": username,
        "link": enrolment.link(tenant.issuer, code),
    }
