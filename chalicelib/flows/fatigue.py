"""Push fatigue (the 2022 Uber push-bombing): limits on pushes, and a lock after denials.

Someone who knows a username (and, for the second step, the password) can start sign-ins
until the person approves one to make the notifications stop. So, per account:

- pushes are limited per minute and per day, and to a few sign-ins waiting at once;
- a run of denials or wrong numbers, or one "this wasn't me", locks phone sign-in for a
  while, ends whatever was still waiting, and is written to the audit log;
- at most FAILED_ANSWERS_PER_DAY failed answers a day, approvals in between or not.

A start that may not push is answered exactly as for an account without a phone (the page
asks for the password), so the one who started it cannot tell a limit from "no phone".

Every counter is keyed by the account's sub, never by tenant alone: one tenant signing in
thousands of people a second would make a per-tenant counter one hot partition (DynamoDB
takes about 1,000 writes a second per partition), while accounts spread by nature and a
person starts a few sign-ins a minute at most.
"""

from __future__ import annotations

from ..accounts import Account, user_key
from ..devices import Device
from ..service import Services
from ..signins import Outcome
from ..tenancy import ActiveTenant

DAY = 86400
# NIST SP 800-63B: no more than 100 consecutive failed attempts on one account.
FAILED_ANSWERS_PER_DAY = 100


def may_push(svc: Services, tenant: ActiveTenant, account: Account, now: int) -> bool:
    """Whether this account's phones may be asked now; a refusal is in the audit log."""
    if account.phone_locked(now):
        return False  # recorded once, when it was locked
    policy = tenant.tenant.policy
    tenant_id, sub = tenant.tenant_id, account.account_id
    crowded = _waiting(tenant_id, sub)
    if svc.limits.closed_until(crowded, now) is not None:
        return False  # seen full in this container: refused with no call, like no phone
    # The atomic count comes first: racing starts cannot all slip under it, and once over,
    # a flood is refused from the container's memory, with no query. Only a refusal's first
    # occurrence in a window is recorded, so a flood cannot fill the audit log either.
    refused = svc.limits.take(
        tenant_id, "pushes", sub, now, policy.pushes_per_minute, policy.pushes_per_day
    )
    if refused:
        if refused.first:
            _record_refusal(svc, tenant_id, sub, f"pushes_per_{refused.window}")
        return False
    # Neither atomic nor strongly consistent (half the read units): racing starts are
    # already bounded by the per-minute counter.
    waiting = [
        s
        for s in svc.signins.pending_for(tenant_id, user_key(account.username), now, False)
        if s.account_id == sub
    ]
    if len(waiting) >= policy.max_pending:
        # Full until the first of them ends, or is answered or cancelled: this container
        # trusts that for at most limits.MEMORY_SECONDS, then asks again.
        svc.limits.remember_closed(crowded, min(s.expires_at for s in waiting), now)
        _record_refusal(svc, tenant_id, sub, "max_pending")
        return False
    return True


def _waiting(tenant_id: str, sub: str) -> str:
    return f"{tenant_id}#waiting#{sub}"


def freed(svc: Services, tenant_id: str, sub: str) -> None:
    """A waiting sign-in was cancelled: this container stops assuming the account is full."""
    svc.limits.forget(_waiting(tenant_id, sub))


def _record_refusal(svc: Services, tenant_id: str, sub: str, limit: str) -> None:
    svc.record(tenant_id, "push_rate_limited", account=sub, detail={"limit": limit})


def failed_answer(
    svc: Services, tenant: ActiveTenant, device: Device, outcome: Outcome, now: int
) -> None:
    """Count a denial, wrong number or fraud report; lock phone sign-in when it is time."""
    policy = tenant.tenant.policy
    tenant_id = tenant.tenant_id
    today = svc.limits.hit(tenant_id, "phone-failures", device.account_id, DAY, now)
    if outcome is Outcome.FRAUD_REPORTED:
        lock(svc, tenant, device, now + policy.lock_seconds, "fraud_reported", now)
    elif today >= FAILED_ANSWERS_PER_DAY:
        until = max(now + policy.lock_seconds, (now // DAY + 1) * DAY)  # the rest of the day
        lock(svc, tenant, device, until, "failed_answers_per_day", now)
    elif svc.accounts.count_phone_failure(tenant_id, device.username) >= policy.deny_lock_after:
        lock(svc, tenant, device, now + policy.lock_seconds, "deny_lock_after", now)


def lock(
    svc: Services, tenant: ActiveTenant, device: Device, until: int, reason: str, now: int
) -> None:
    """Lock phone sign-in for the account, and end its sign-ins still waiting: a request
    made before the lock must not be approvable after it."""
    tenant_id, sub = tenant.tenant_id, device.account_id
    if svc.accounts.lock_phone(tenant_id, device.username, until, now):
        svc.record(
            tenant_id, "phone_signin_locked", account=sub, device=device.device_id,
            actor=device.device_id, detail={"reason": reason, "until": until},
        )  # fmt: skip
    for signin in svc.signins.pending_for(tenant_id, user_key(device.username), now):
        if signin.account_id == sub:
            svc.signins.cancel(tenant_id, signin.signin_id, now, Outcome.LOCKED)
