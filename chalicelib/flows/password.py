"""Password sign-in ("use your password instead"), and its second step where required.

The answer for an unknown username is the same as for a wrong password, after the same
scrypt work. Consecutive failures per username (known or not) back off exponentially: the
first few are free, then each doubles the wait before the next attempt is even checked,
up to 15 minutes; after 100 in a row (NIST SP 800-63B's ceiling) one attempt a day. A right
password starts the count again. Failures per IP address are capped per 15-minute window.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import codes, crypto, passwords, signins, totp
from ..accounts import normalise_username, user_key
from ..errors import (
    InvalidBinding,
    InvalidCode,
    InvalidCredentials,
    InvalidRequest,
    NotFound,
    SecondStepUnavailable,
    SignInClosed,
    TooManyAttempts,
)
from ..metering import Billable
from ..service import Services
from ..signins import Origin, Outcome, Status
from ..stores.signins import DecisionRefused
from ..tenancy import totp_context
from ..tokens import validate_code_challenge
from . import fatigue
from .common import field
from .signin import check_client, open_signin, page_view, push_to_phones

WINDOW_SECONDS = 900
FREE_FAILURES = 4  # consecutive failures before the first wait: typos, a forgotten caps lock
MAX_WAIT_SECONDS = 900
MAX_FAILURES = 100
LOCK_SECONDS = 24 * 3600
HOLD_SECONDS = 10  # an attempt being checked blocks parallel ones for at most this long
FORGET_SECONDS = 24 * 3600  # consecutive failures are forgotten this long after the last wait
FAILURES_PER_IP = 50
CODES_PER_SIGNIN = 5
CODES_PER_USER = 10


@dataclass(frozen=True)
class PasswordRequest:
    client_id: str
    username: str
    password: str
    nonce: str | None = None
    code_challenge: str | None = None
    redirect_uri: str | None = None

    @classmethod
    def parse(cls, body: dict) -> PasswordRequest:
        return cls(
            client_id=field(body, "client_id", str, max_len=64),
            username=normalise_username(field(body, "username", str, max_len=1024)),
            password=field(body, "password", str, max_len=passwords.MAX_LENGTH),
            nonce=signins.validate_nonce(body.get("nonce")),
            code_challenge=validate_code_challenge(
                body.get("code_challenge"), body.get("code_challenge_method")
            ),
            redirect_uri=field(body, "redirect_uri", str, required=False, max_len=512),
        )


def sign_in(svc: Services, tenant_id: str, request: PasswordRequest, origin: Origin) -> dict:
    tenant = svc.directory.get(tenant_id)
    client = check_client(tenant, request.client_id, request.code_challenge, request.redirect_uri)
    now = svc.now()
    who = user_key(request.username)
    if until := svc.limits.over(
        tenant_id, "pwd-ip", origin.network, WINDOW_SECONDS, now, FAILURES_PER_IP
    ):
        raise TooManyAttempts(until - now)
    # Count the attempt as a failure before checking it (atomically), so parallel guesses
    # cannot all slip in; a right password clears the count.
    claim = svc.limits.claim(tenant_id, "pwd-user", who, now, HOLD_SECONDS, FORGET_SECONDS)
    if isinstance(claim, int):
        raise TooManyAttempts(max(1, claim - now))
    account = svc.accounts.get(tenant_id, request.username)
    stored = account.password_hash if account and not account.disabled else None
    svc.meter.count(tenant_id, Billable.PASSWORD_CHECK)
    if not passwords.verify_password(request.password, stored):
        wait = backoff_seconds(claim.failures)
        svc.limits.failed(claim, now, wait, FORGET_SECONDS)
        svc.limits.hit(tenant_id, "pwd-ip", origin.network, WINDOW_SECONDS, now)
        if claim.failures == MAX_FAILURES:
            svc.record(tenant_id, "password_locked", detail={"user_key": who})
        raise InvalidCredentials()
    svc.limits.reset(tenant_id, "pwd-user", who)
    two_step = tenant.tenant.policy.require_two_step
    if two_step and not account.devices:
        raise SecondStepUnavailable()
    fields = dict(
        client_id=client.client_id,
        account_id=account.account_id,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        redirect_uri=request.redirect_uri,
    )
    if not two_step:
        signin, secret = open_signin(
            svc, tenant, request.username, origin, numbered=False, amr=signins.PASSWORD_AMR,
            outcome=Outcome.APPROVED, decided_at=now, decided_by="password", **fields,
        )  # fmt: skip
        svc.signins.create(signin)
        return {
            "status": Status.APPROVED.value,
            "signin_id": signin.signin_id,
            "secret": secret,
            "code": signins.authorization_code(secret, signin.signin_id),
            "method": "password",
        }
    # Push fatigue holds here too (the password may be the attacker's): when the phones may
    # not be asked, nothing is pushed and no phone may answer, but a code still completes it.
    # The answer is the same either way.
    withheld = not fatigue.may_push(svc, tenant, account, now)
    signin, secret = open_signin(
        svc, tenant, request.username, origin, amr=signins.PASSWORD_AND_PHONE_AMR,
        push_withheld=withheld, resets_failures=account.phone_failures > 0, **fields,
    )  # fmt: skip
    svc.signins.create(signin)
    if not withheld:
        push_to_phones(svc, tenant, signin, account)
    return {"status": "second_step", "methods": ["phone", "totp"], **page_view(signin, secret, now)}


def backoff_seconds(failures: int) -> int:
    """How long after this many consecutive failures the next attempt waits: 0 for the first
    few, then 1, 2, 4 ... seconds up to MAX_WAIT_SECONDS; a day from MAX_FAILURES on."""
    if failures >= MAX_FAILURES:
        return LOCK_SECONDS
    if failures < FREE_FAILURES:
        return 0
    return min(MAX_WAIT_SECONDS, 2 ** (failures - FREE_FAILURES))


def second_step_code(
    svc: Services, tenant_id: str, signin_id: object, body: dict, origin: Origin
) -> dict:
    """The second step by a TOTP code from the app, instead of approving on the phone."""
    signins.parse_signin_id(signin_id)
    secret = field(body, "secret", str, max_len=64)
    code = field(body, "code", str, max_len=16)
    username = normalise_username(field(body, "username", str, max_len=1024))
    tenant = svc.directory.get(tenant_id)
    signin = svc.signins.get(tenant_id, signin_id)
    if signin is None or signin.user_key != user_key(username):
        raise NotFound("No such sign-in.")
    if not codes.same_secret(secret, signin.binding_hash):
        raise InvalidBinding()
    if "pwd" not in signin.amr:
        raise InvalidRequest("this sign-in has no password step before a code")
    now = svc.now()
    if signin.status(now) is not Status.PENDING:
        raise SignInClosed()
    # Guesses count per sign-in and per person: new sign-ins do not buy new guesses.
    if svc.limits.hit(tenant_id, "totp", signin_id, WINDOW_SECONDS, now) > CODES_PER_SIGNIN:
        raise TooManyAttempts()
    user_guesses = svc.limits.hit(tenant_id, "totp-user", signin.user_key, WINDOW_SECONDS, now)
    if user_guesses > CODES_PER_USER:
        raise TooManyAttempts()
    account = svc.accounts.get(tenant_id, username, consistent=True)
    if account is None or account.account_id != signin.account_id:
        raise NotFound("No such sign-in.")
    for device_id in account.devices:
        device = svc.devices.get(tenant_id, device_id)
        if device is None:
            continue
        key = crypto.unseal(
            tenant.data_key, device.sealed_totp_secret, totp_context(tenant_id, device_id)
        )
        step = totp.matching_step(key, code.strip(), now)
        if step is None:
            continue
        if not svc.devices.use_totp_step(tenant_id, device_id, step):
            continue  # this code was already used: a replay
        try:
            svc.signins.decide(
                tenant_id, signin_id, outcome=Outcome.APPROVED, account_id=account.account_id,
                device_id=device_id, response_id=f"totp:{step}", now=now,
                amr=signins.PASSWORD_AND_TOTP_AMR,
            )  # fmt: skip
        except DecisionRefused as err:
            raise SignInClosed() from err
        return {
            "status": Status.APPROVED.value,
            "code": signins.authorization_code(secret, signin_id),
            "method": "password",
        }
    raise InvalidCode()
