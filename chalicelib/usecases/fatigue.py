"""Limits a stranger cannot turn against the owner: starts, pushes, and locks after denials.

Someone who knows a username can start sign-ins until the person approves one to make the
notifications stop (the 2022 Uber push-bombing), and whatever they use up is gone for the owner
too. So every limit holds back the stranger's requests without stopping the owner's:

- Pushes are the shared allowance: per account per minute and per day, a few sign-ins waiting
  at once, and none while phone sign-in is locked after a run of denials or a fraud report.
  Past them the sign-in is still made, but *held*: nothing is pushed, no phone lists it, and
  the page shows a six-digit number the person enters in the app, which finds it with one read
  (signins.held_signin_id). A stranger's held requests never reach the person; the owner's own
  always can, because they hold the page that shows its number.
- Held starts are counted per (account, source) before anything is written: a source is the
  browser's network, or a browser that signed this person in before (browsers.py). One source
  cannot use up another's starts. (Starts that push are already bounded by the pushes; CIBA
  counts every start, known username or not, so a refusal tells its client nothing.)
- A recognised browser is not a stranger: it has pushes of its own (the same allowance), so
  what strangers use up never holds it back. The lock and the bound on waiting sign-ins hold
  it like any browser (held, not refused: its person enters the number).

Every counter is keyed by the account's sub (and source), never by tenant alone: one tenant
signing in thousands of people a second would make a per-tenant counter one hot partition
(DynamoDB takes about 1,000 writes a second per partition), while accounts spread by nature.
"""

from __future__ import annotations

from chalicelib.domain import browsers, signals
from chalicelib.domain.accounts import Account, user_key
from chalicelib.domain.browsers import Source
from chalicelib.domain.devices import Device
from chalicelib.domain.rate_limits import Refused
from chalicelib.domain.signins import Origin, Outcome
from chalicelib.domain.tenants import MAX_SIGNIN_SECONDS
from chalicelib.errors import TooManyAttempts
from chalicelib.service import Services
from chalicelib.usecases.tenant_directory import ActiveTenant

DAY = 86400
# NIST SP 800-63B: no more than 100 consecutive failed attempts on one account.
FAILED_ANSWERS_PER_DAY = 100
# Starts per account and source: a person retrying, with room to spare; a script, not for long.
STARTS_PER_SOURCE_PER_MINUTE = 5
STARTS_PER_SOURCE_PER_DAY = 50


def source_of(tenant: ActiveTenant, origin: Origin, username: str, now: int) -> Source:
    """Where an attempt for this person comes from, as the limits count it."""
    key = browsers.cookie_key(tenant.data_key)
    browser = browsers.recognised(key, origin.browser_cookie, user_key(username), now)
    return Source(network=origin.network, browser=browser)


def described(origin: Origin, source: Source) -> dict:
    """The source of an attempt, as the audit log keeps it."""
    return {
        "network": origin.network,
        "recognised_browser": source.recognised,
        "device": origin.device,
        "user_agent": origin.user_agent,
    }


def admit_start(
    svc: Services,
    tenant: ActiveTenant,
    username: str,
    source: Source,
    origin: Origin,
    sub: str | None = None,
) -> None:
    """Count a held start for this person from this source, before anything is written;
    keyed by the user key, which every username has, known or not."""
    now = svc.now()
    refused = svc.limits.take(
        tenant.tenant_id,
        "starts",
        f"{user_key(username)}#{source.key}",
        now,
        STARTS_PER_SOURCE_PER_MINUTE,
        STARTS_PER_SOURCE_PER_DAY,
    )
    if refused:
        signals.note(signals.START_REFUSED)
        if refused.first:  # one line per window, not one per request of a flood
            svc.record(
                tenant.tenant_id, "start_refused", account=sub,
                detail={"limit": f"starts_per_{refused.window}", **described(origin, source)},
            )  # fmt: skip
        raise TooManyAttempts(max(1, refused.until - now))
    signals.note(signals.PUSH_HELD)  # each one: a flood of them is what push bombing looks like


def may_push(
    svc: Services, tenant: ActiveTenant, account: Account, source: Source, origin: Origin
) -> bool:
    """Whether this start may push to the phones; False: hold it (the person enters its
    number in the app). The first holding of each kind is in the audit log."""
    now = svc.now()
    policy = tenant.tenant.policy
    tenant_id, sub = tenant.tenant_id, account.account_id
    if account.phone_locked(now):
        # Recorded once, when it was locked. A recognised browser is held too: the lock is the
        # person's "this wasn't me", and a browser can be shared, or a phishing proxy's.
        return False
    crowded = _waiting(tenant_id, sub)
    if svc.limits.closed_until(crowded, now) is not None:
        return False  # seen full in this container: held with no call
    # The atomic count comes first: racing starts cannot all slip under it, and once over,
    # a flood is held from the container's memory, with no query. A recognised browser
    # counts against an allowance of its own, not the one strangers share.
    ends = svc.limits.take_push(
        tenant_id, sub, source.key if source.recognised else None, now,
        (policy.pushes_per_minute, policy.pushes_per_day), now + policy.signin_seconds,
        policy.max_pending,
    )  # fmt: skip
    if isinstance(ends, Refused):
        if ends.first:
            _held(svc, tenant_id, sub, f"pushes_per_{ends.window}", origin, source)
        return False
    # Fewer than max_pending pushes are young enough to wait: no need to look. The ring starts
    # afresh each day, so in a day's first minutes an empty slot (0) proves nothing: sign-ins
    # pushed before midnight may still wait.
    if 0 < ends <= now or (ends == 0 and now % DAY >= MAX_SIGNIN_SECONDS):
        return True
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
        _held(svc, tenant_id, sub, "max_pending", origin, source)
        return False
    return True


def _waiting(tenant_id: str, sub: str) -> str:
    return f"{tenant_id}#waiting#{sub}"


def freed(svc: Services, tenant_id: str, sub: str) -> None:
    """A waiting sign-in was cancelled: this container stops assuming the account is full."""
    svc.limits.forget(_waiting(tenant_id, sub))


def _held(
    svc: Services, tenant_id: str, sub: str, limit: str, origin: Origin, source: Source
) -> None:
    svc.record(
        tenant_id, "push_held", account=sub, detail={"limit": limit, **described(origin, source)}
    )


def failed_answer(
    svc: Services,
    tenant: ActiveTenant,
    device: Device,
    outcome: Outcome,
    now: int,
    attempt: Origin,
) -> None:
    """Count a denial, wrong number or fraud report; lock phone sign-in when it is time.
    `attempt` is where the refused sign-in came from (the lock's source in the audit log)."""
    policy = tenant.tenant.policy
    tenant_id = tenant.tenant_id
    today = svc.limits.hit(tenant_id, "phone-failures", device.account_id, DAY, now)
    if outcome is Outcome.FRAUD_REPORTED:
        lock(svc, tenant, device, now + policy.lock_seconds, "fraud_reported", now, attempt)
    elif today >= FAILED_ANSWERS_PER_DAY:
        until = max(now + policy.lock_seconds, (now // DAY + 1) * DAY)  # the rest of the day
        lock(svc, tenant, device, until, "failed_answers_per_day", now, attempt)
    elif svc.accounts.count_phone_failure(tenant_id, device.username) >= policy.deny_lock_after:
        lock(svc, tenant, device, now + policy.lock_seconds, "deny_lock_after", now, attempt)


def lock(
    svc: Services,
    tenant: ActiveTenant,
    device: Device,
    until: int,
    reason: str,
    now: int,
    attempt: Origin,
) -> None:
    """Lock phone sign-in's pushes for the account, and end its pushed sign-ins still waiting:
    a request made before the lock must not be approvable after it. Held sign-ins go on (only
    the one who holds the page knows their numbers)."""
    tenant_id, sub = tenant.tenant_id, device.account_id
    if svc.accounts.lock_phone(tenant_id, device.username, until, now):
        signals.note(signals.PHONE_LOCKED)
        svc.record(
            tenant_id, "phone_signin_locked", account=sub, device=device.device_id,
            actor=device.device_id,
            detail={"reason": reason, "until": until, "network": attempt.network,
                    "device": attempt.device, "user_agent": attempt.user_agent},
        )  # fmt: skip
    for signin in svc.signins.pending_for(tenant_id, user_key(device.username), now):
        if signin.account_id == sub:
            svc.signins.cancel(tenant_id, signin.signin_id, now, Outcome.LOCKED)
