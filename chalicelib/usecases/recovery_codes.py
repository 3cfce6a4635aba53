"""Recovery codes: ten one-time codes for the day a person has lost every other method.

A set is made on the security-info page or by an operator (tools/admin `recovery-codes`),
shown once and kept only as keyed hashes (secret_codes.recovery_code_hash) on the account
item; a new set replaces the old. On the hosted page a code signs the person in on its own,
a one-time password from a printed list: tokens say so (tokens.RECOVERY_AMR, ACR_RECOVERY),
and the page then asks the person to add a new method.

A code is guessed at like a password and counted as one (password_signin.claim_attempt: the
same run per username, the same cap per network, the same backoff), and an unknown username,
a wrong or spent code and a disabled account get one answer after the same AWS calls. A code
is spent by one conditional write (RecoveryCodeStore.use): of two uses at once, one wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain import scopes, secret_codes, signins, sso, tokens
from chalicelib.domain.accounts import normalise_username, user_key
from chalicelib.domain.signins import NOTICE_SECONDS, Notice, Origin, Outcome, Status
from chalicelib.errors import InvalidCredentials, InvalidRequest, NotFound, RecoveryUnavailable
from chalicelib.service import Services
from chalicelib.usecases import fatigue
from chalicelib.usecases.password_signin import attempt_failed, attempt_passed, claim_attempt
from chalicelib.usecases.phone_signin import authorize_fields, check_client, open_signin


@dataclass(frozen=True)
class RecoveryRequest:
    """A recovery-code sign-in from the hosted page, with the authorize request's fields."""

    client_id: str
    username: str
    code: str  # normalised: ABCDE-FGHJK
    redirect_uri: str
    nonce: str | None = None
    code_challenge: str | None = None
    scope: str = scopes.OPENID

    @classmethod
    def parse(cls, body: dict) -> RecoveryRequest:
        """From a body checked against openapi.json's RecoverySignIn (types, sizes, required);
        a code that cannot be one is refused here, before anything is counted."""
        code = secret_codes.normalise_recovery_code(body["code"])
        if code is None:
            raise InvalidRequest("code must be a recovery code: 10 letters and digits")
        return cls(
            username=normalise_username(body["username"]),
            code=code,
            **authorize_fields(body),
        )


def generate(svc: Services, tenant_id: str, username: str, actor: str) -> list[str]:
    """A fresh set of codes for the account, replacing any older set: returned to be shown
    once, stored only as keyed hashes, never logged. `actor` names who asked (the audit
    log's): "self" from the security-info page, "admin" from the CLI."""
    tenant = svc.directory.get(tenant_id)
    username = normalise_username(username)
    account = svc.accounts.get(tenant_id, username, consistent=True)
    if account is None:
        raise NotFound("No such account.")
    codes = secret_codes.new_recovery_codes(svc.rng)
    key = secret_codes.recovery_key(tenant.data_key)
    hashes = [secret_codes.recovery_code_hash(key, username, code) for code in codes]
    svc.recovery_codes.replace(tenant_id, username, hashes)
    detail = {"codes": len(codes)}
    svc.record(
        tenant_id, "recovery_codes_generated", account=account.account_id, actor=actor,
        detail=detail,
    )  # fmt: skip
    _notify(svc, tenant_id, username, "recovery_codes_generated", account.account_id, detail)
    return codes


def remaining(svc: Services, tenant_id: str, username: str) -> int:
    """How many unused codes the account has (0 when it never had a set)."""
    left = svc.recovery_codes.count(tenant_id, normalise_username(username))
    if left is None:
        raise NotFound("No such account.")
    return left


def sign_in(svc: Services, tenant_id: str, request: RecoveryRequest, origin: Origin) -> dict:
    """Sign in with a recovery code from the hosted page: approved at once, like a password."""
    tenant = svc.directory.get(tenant_id)
    if tenant.tenant.policy.require_two_step:
        raise RecoveryUnavailable()  # one factor, where the tenant asks for two
    client = check_client(tenant, request.client_id, request.code_challenge, request.redirect_uri)
    now = svc.now()
    source = fatigue.source_of(tenant, origin, request.username, now)
    attempt = claim_attempt(svc, tenant_id, request.username, source, origin, now)
    key = secret_codes.recovery_key(tenant.data_key)
    code_hash = secret_codes.recovery_code_hash(key, request.username, request.code)
    spent = svc.recovery_codes.use(tenant_id, request.username, code_hash)
    if spent is None:  # no account, disabled, wrong or used: one answer, the same calls
        attempt_failed(svc, attempt, None)
        raise InvalidCredentials()
    account_id, left = spent
    attempt_passed(svc, attempt)
    detail = {"remaining": left, **fatigue.described(origin, source)}
    svc.record(tenant_id, "recovery_code_used", account=account_id, detail=detail)
    notice = {"remaining": left, "network": origin.network, "device": origin.device}
    _notify(svc, tenant_id, request.username, "recovery_code_used", account_id, notice)
    signin, secret = open_signin(
        svc, tenant, user_key(request.username), origin, numbered=False, amr=tokens.RECOVERY_AMR,
        outcome=Outcome.APPROVED, decided_at=now, decided_by="recovery",
        client_id=client.client_id, account_id=account_id, nonce=request.nonce,
        code_challenge=request.code_challenge, redirect_uri=request.redirect_uri,
        scope=request.scope,
    )  # fmt: skip
    return {
        "status": Status.APPROVED.value,
        "code": signins.authorization_code(secret, signin.signin_id),
        "method": "recovery",
        "remaining": left,
        "add_method_url": f"{tenant.issuer}/account",
        sso.HANDOVER: signin,
    }


def _notify(svc, tenant_id: str, username: str, kind: str, account_id: str, detail: dict):
    """The person's phones list it (/device/signins notices): a code used or a set made by
    someone else is seen at once."""
    notice = Notice(kind=kind, at=svc.now(), account_id=account_id, detail=detail)
    svc.signins.notify(tenant_id, user_key(username), notice, NOTICE_SECONDS)
