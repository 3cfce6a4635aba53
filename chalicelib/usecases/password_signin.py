"""Password sign-in ("use your password instead"), and its second step where required.

The answer for an unknown username is the same as for a wrong password, after the same Argon2id
work. Consecutive failures per username (known or not) back off exponentially: the first few are
free, then each doubles the wait before the next is checked, up to 15 minutes; after 100 in a row
(NIST SP 800-63B's ceiling) one attempt a day. A right password starts the count again. Failures per
network are capped per 15 minutes. A browser that signed this person in before (browsers.py) counts
on its own: a stranger's failures never make its owner wait, nor does the per-network cap.

The second step by a code from the app counts consecutive failures per account the same way,
with a hard stop at 100 that only a right code (or an administrator) lifts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.domain import envelope, scopes, secret_codes, signals, signins, sso, totp
from chalicelib.domain.accounts import normalise_username, user_key
from chalicelib.domain.browsers import Source
from chalicelib.domain.metering import Billable
from chalicelib.domain.rate_limits import Claim
from chalicelib.domain.signins import (
    NOTICE_SECONDS,
    DecisionRefused,
    Notice,
    Origin,
    Outcome,
    Status,
)
from chalicelib.errors import (
    InvalidBinding,
    InvalidCode,
    InvalidCredentials,
    InvalidRequest,
    NotFound,
    SecondStepUnavailable,
    SignInClosed,
    TooManyAttempts,
)
from chalicelib.service import Services
from chalicelib.usecases import fatigue
from chalicelib.usecases.phone_signin import (
    authorize_fields,
    check_client,
    open_signin,
    page_view,
    push_to_phones,
)
from chalicelib.usecases.tenant_directory import totp_context

WINDOW_SECONDS = 900
FREE_FAILURES = 4  # consecutive failures before the first wait: typos, a forgotten caps lock
MAX_WAIT_SECONDS = 900
MAX_FAILURES = 100
LOCK_SECONDS = 24 * 3600
HOLD_SECONDS = 10  # an attempt being checked blocks parallel ones for at most this long
FORGET_SECONDS = 24 * 3600  # consecutive failures are forgotten this long after the last wait
FAILURES_PER_NETWORK = 50
# Codes from the app: 6 digits, three time steps accepted, so each guess has 3 in a million.
FREE_CODE_FAILURES = 3
CODE_LOCK_SECONDS = 10 * 365 * 86400  # "until a right code": an administrator lifts it sooner
CODE_FAILURES_KEEP = 400 * 86400  # a run of failures is never forgotten, only ended


@dataclass(frozen=True)
class PasswordRequest:
    """A password sign-in from the hosted page, with the authorize request's fields."""

    client_id: str
    username: str
    password: str
    redirect_uri: str
    nonce: str | None = None
    code_challenge: str | None = None
    scope: str = scopes.OPENID  # the authorization request's, as granted (scopes.grant)

    @classmethod
    def parse(cls, body: dict) -> PasswordRequest:
        """From a body checked against openapi.json's PasswordSignIn (types, sizes, required)."""
        return cls(
            username=normalise_username(body["username"]),
            password=body["password"],
            **authorize_fields(body),
        )


def sign_in(svc: Services, tenant_id: str, request: PasswordRequest, origin: Origin) -> dict:
    tenant = svc.directory.get(tenant_id)
    client = check_client(tenant, request.client_id, request.code_challenge, request.redirect_uri)
    now = svc.now()
    source = fatigue.source_of(tenant, origin, request.username, now)
    attempt = claim_attempt(svc, tenant_id, request.username, source, origin, now)
    account = svc.accounts.get(tenant_id, request.username)
    stored = account.password_hash if account and not account.disabled else None
    svc.meter.count(tenant_id, Billable.PASSWORD_CHECK)
    # verify is False without a stored hash, hence without an account.
    if not svc.passwords.verify(request.password, stored) or account is None or stored is None:
        attempt_failed(svc, attempt, account.account_id if account else None)
        raise InvalidCredentials()
    attempt_passed(svc, attempt)
    two_step = tenant.tenant.policy.require_two_step
    if two_step and not account.devices:
        raise SecondStepUnavailable()
    if svc.passwords.outdated(stored):
        svc.accounts.set_password(tenant_id, account.username, svc.passwords.hash(
            request.password, svc.rng))  # fmt: skip
    svc.record(
        tenant_id, "password_signin", account=account.account_id,
        detail=fatigue.described(origin, source),
    )  # fmt: skip
    fields = dict(
        client_id=client.client_id,
        account_id=account.account_id,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        redirect_uri=request.redirect_uri,
        scope=request.scope,
    )
    if not two_step:
        signin, secret = open_signin(
            svc, tenant, user_key(account.username), origin, numbered=False,
            amr=signins.PASSWORD_AMR, outcome=Outcome.APPROVED, decided_at=now,
            decided_by="password", **fields,
        )  # fmt: skip
        return {
            "status": Status.APPROVED.value,
            "signin_id": signin.signin_id,
            "secret": secret,
            "code": signins.authorization_code(secret, signin.signin_id),
            "method": "password",
            sso.HANDOVER: signin,
        }
    # Push fatigue holds here too (the password may be the attacker's): when the phones may
    # not be asked, nothing is pushed and the sign-in is held; the person enters its number in
    # the app, or a code from the app.
    held = not fatigue.may_push(svc, tenant, account, source, origin)
    if held:  # counted per source like a page's held start: a right password buys no flood
        fatigue.admit_start(svc, tenant, account.username, source, origin, account.account_id)
    signin, secret = open_signin(
        svc, tenant, user_key(account.username), origin, held=held,
        amr=signins.PASSWORD_AND_PHONE_AMR, resets_failures=account.phone_failures > 0, **fields,
    )  # fmt: skip
    if not held:
        push_to_phones(svc, tenant, signin, account)
    return {"status": "second_step", "methods": ["phone", "totp"], **page_view(signin, secret, now)}


@dataclass(frozen=True)
class Attempt:
    """A guess at what only the person should know or hold (a password, a recovery code),
    counted before it is checked. Both count in one run per username: alternating them buys
    a guesser nothing."""

    tenant_id: str
    username: str
    source: Source
    origin: Origin
    now: int
    backoff_key: str  # the key its consecutive failures are counted under
    claim: Claim


def claim_attempt(
    svc: Services, tenant_id: str, username: str, source: Source, origin: Origin, now: int
) -> Attempt:
    """Count the attempt as a failure before it is checked (atomically: parallel guesses
    cannot all slip in), per network and per username; a recognised browser on its own."""
    who = user_key(username)
    if source.recognised:
        backoff_key = f"{who}#{source.key}"
    else:
        backoff_key = who
        until = svc.limits.claim_hit(
            tenant_id, "pwd-ip", origin.network, WINDOW_SECONDS, now, FAILURES_PER_NETWORK
        )
        if until is not None:
            raise TooManyAttempts(max(1, until - now))
    claim = svc.limits.claim(tenant_id, "pwd-user", backoff_key, now, HOLD_SECONDS, FORGET_SECONDS)
    if isinstance(claim, int):
        if not source.recognised:  # not checked: not a failure of this network's
            svc.limits.give_back(tenant_id, "pwd-ip", origin.network, WINDOW_SECONDS, now)
        raise TooManyAttempts(max(1, claim - now))
    return Attempt(tenant_id, username, source, origin, now, backoff_key, claim)


def attempt_failed(svc: Services, attempt: Attempt, account_id: str | None) -> None:
    """The next attempt waits (backoff_seconds); the MAX_FAILURES-th in a row is audited."""
    claim, now = attempt.claim, attempt.now
    svc.limits.failed(claim, now, backoff_seconds(claim.failures), FORGET_SECONDS)
    if claim.failures == MAX_FAILURES:
        signals.note(signals.PASSWORD_LOCKED)
        svc.record(
            attempt.tenant_id, "password_locked", account=account_id,
            detail={"user_key": user_key(attempt.username),
                    **fatigue.described(attempt.origin, attempt.source)},
        )  # fmt: skip


def attempt_passed(svc: Services, attempt: Attempt) -> None:
    """A right one ends the run; the network's cap counts failures, so it gives its place back."""
    svc.limits.reset(attempt.tenant_id, "pwd-user", attempt.backoff_key)
    if not attempt.source.recognised:
        network = attempt.origin.network
        svc.limits.give_back(attempt.tenant_id, "pwd-ip", network, WINDOW_SECONDS, attempt.now)


def backoff_seconds(failures: int, free: int = FREE_FAILURES, locked: int = LOCK_SECONDS) -> int:
    """How long after this many consecutive failures the next attempt waits: 0 for the first
    few, then 1, 2, 4 ... seconds up to MAX_WAIT_SECONDS; `locked` from MAX_FAILURES on."""
    if failures >= MAX_FAILURES:
        return locked
    if failures < free:
        return 0
    return min(MAX_WAIT_SECONDS, 2 ** (failures - free))


def second_step_code(
    svc: Services, tenant_id: str, signin_id: str, body: dict, origin: Origin
) -> dict:
    """The second step by a TOTP code from the app, instead of approving on the phone.

    Failures count per account, in a row, claimed before the code is checked: a wait that
    doubles after the first few, and after MAX_FAILURES no code is checked until an
    administrator resets it (the phone approval still works). Each failure is audited and
    left as a notice for the person's phones; a right code ends the run."""
    signins.parse_signin_id(signin_id)
    # `body` was checked against openapi.json's SecondStepCode: three strings, sized there.
    secret, code, username = body["secret"], body["code"], normalise_username(body["username"])
    tenant = svc.directory.get(tenant_id)
    signin = svc.signins.get(tenant_id, signin_id)
    if signin is None or signin.user_key != user_key(username):
        raise NotFound("No such sign-in.")
    if not secret_codes.same_secret(secret, signin.binding_hash):
        raise InvalidBinding()
    if "pwd" not in signin.amr:
        raise InvalidRequest("this sign-in has no password step before a code")
    now = svc.now()
    if signin.status(now) is not Status.PENDING:
        raise SignInClosed()
    account = svc.accounts.get(tenant_id, username, consistent=True)
    if account is None or account.account_id != signin.account_id:
        raise NotFound("No such sign-in.")
    claim = svc.limits.claim(
        tenant_id, "totp-fail", account.account_id, now, HOLD_SECONDS, CODE_FAILURES_KEEP
    )
    if isinstance(claim, int):
        raise TooManyAttempts(max(1, claim - now))
    step = _matching_step(svc, tenant, account, code.strip(), now)
    if step is None:
        _code_failed(svc, tenant_id, account, claim, origin, now)
        raise InvalidCode()
    device_id, matched = step
    svc.limits.reset(tenant_id, "totp-fail", account.account_id)
    try:
        svc.signins.decide(
            tenant_id, signin_id, outcome=Outcome.APPROVED, account_id=account.account_id,
            device_id=device_id, response_id=f"totp:{matched}", now=now,
            amr=signins.PASSWORD_AND_TOTP_AMR,
        )  # fmt: skip
    except DecisionRefused as err:
        raise SignInClosed() from err
    approved = replace(signin, outcome=Outcome.APPROVED, decided_at=now, decided_by=device_id,
                       amr=signins.PASSWORD_AND_TOTP_AMR)  # fmt: skip
    return {
        "status": Status.APPROVED.value,
        "code": signins.authorization_code(secret, signin_id),
        "method": "password",
        sso.HANDOVER: approved,
    }


def _matching_step(svc, tenant, account, code: str, now: int) -> tuple[str, int] | None:
    """The phone and time step a code is right for, spent so it works once; None if none."""
    for device_id in account.devices:
        device = svc.devices.get(tenant.tenant_id, device_id)
        if device is None:
            continue
        key = envelope.unseal(
            tenant.data_key, device.sealed_totp_secret, totp_context(tenant.tenant_id, device_id)
        )
        step = totp.matching_step(key, code, now)
        if step is not None and svc.devices.use_totp_step(tenant.tenant_id, device_id, step):
            return device_id, step  # a used step is a replay: try the next phone
    return None


def _code_failed(svc, tenant_id: str, account, claim: Claim, origin: Origin, now: int) -> None:
    wait = backoff_seconds(claim.failures, FREE_CODE_FAILURES, CODE_LOCK_SECONDS)
    svc.limits.failed(claim, now, wait, CODE_FAILURES_KEEP)
    detail = {"failures": claim.failures, "network": origin.network, "device": origin.device}
    if wait:
        detail["until"] = now + wait
    svc.record(tenant_id, "totp_failed", account=account.account_id, detail=detail)
    svc.signins.notify(
        tenant_id,
        user_key(account.username),
        Notice(kind="totp_failed", at=now, account_id=account.account_id, detail=detail),
        NOTICE_SECONDS,
    )
