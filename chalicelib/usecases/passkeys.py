"""Passkeys: registering one and managing them (the security-info page's calls), and signing
in with one on the hosted page.

Every response is verified by fido2 (domain/passkey_checks.py) against a challenge taken
from the store in one conditional delete, so each is answered once and only before it
expires. A sign-in finds the credential by the user handle (the account's random id) and
the credential id, in that tenant: a credential of another tenant or of another person is
not there. It is approved at once, like a password sign-in, and its tokens say what was
proven: amr ["mfa", "hwk" or "swk", "user"] and acr ACR_PASSKEY.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain import scopes, signins, tokens
from chalicelib.domain.accounts import Account, normalise_username, user_key
from chalicelib.domain.metering import Billable
from chalicelib.domain.passkeys import (
    MAX_PASSKEYS,
    Challenge,
    Passkey,
    Purpose,
    RelyingParty,
    validate_challenge_id,
    validate_name,
)
from chalicelib.domain.signins import NOTICE_SECONDS, Notice, Origin, Outcome, Status
from chalicelib.domain.sso import HANDOVER
from chalicelib.errors import InvalidPasskey, InvalidRequest, NotFound, PasskeysDisabled
from chalicelib.service import Services
from chalicelib.usecases import sso
from chalicelib.usecases.phone_signin import authorize_fields, check_client, open_signin
from chalicelib.usecases.tenant_directory import ActiveTenant

# The WebAuthn ceremonies (domain/passkey_checks.py, and through them fido2) are imported by the
# first ceremony, not with this module: the security-info page lists passkeys without them, and
# most containers answer no passkey request (a cold start is spared their dataclasses).
SPENT = "The challenge is unknown, expired or answered already: ask for a new one."


@dataclass(frozen=True)
class PasskeyRequest:
    """A passkey sign-in from the hosted page: the assertion and the authorize request's fields."""

    client_id: str
    redirect_uri: str
    challenge_id: str
    credential: dict  # the PublicKeyCredential's JSON (toJSON), checked by fido2
    nonce: str | None = None
    code_challenge: str | None = None
    scope: str = scopes.OPENID

    @classmethod
    def parse(cls, body: dict) -> PasskeyRequest:
        """From a body checked against openapi.json's PasskeySignIn (types, sizes, required)."""
        return cls(
            challenge_id=validate_challenge_id(body["challenge_id"]),
            credential=body["credential"],
            **authorize_fields(body),
        )


def relying_party(svc: Services, tenant: ActiveTenant) -> RelyingParty:
    return RelyingParty.of(svc.settings.public_base_url, tenant.tenant.name)


def _tenant(svc: Services, tenant_id: str) -> ActiveTenant:
    """The tenant, if its policy lets people use passkeys."""
    tenant = svc.directory.get(tenant_id)
    if not tenant.tenant.policy.passkeys:
        raise PasskeysDisabled()
    return tenant


def _account(svc: Services, tenant_id: str, username: str) -> Account:
    account = svc.accounts.get(tenant_id, normalise_username(username), consistent=True)
    if account is None:
        raise NotFound("No such account.")
    return account


# The security-info page's calls


def registration_options(svc: Services, tenant_id: str, username: str) -> dict:
    """A fresh challenge and the publicKey options for navigator.credentials.create."""
    from chalicelib.domain.passkey_checks import creation_options  # deferred: see above

    tenant = _tenant(svc, tenant_id)
    account = _account(svc, tenant_id, username)
    existing = svc.credentials.list(tenant_id, account.account_id)
    if len(existing) >= MAX_PASSKEYS:
        raise InvalidRequest(f"A person may have at most {MAX_PASSKEYS} passkeys.")
    challenge = Challenge.new(svc.rng, tenant_id, Purpose.REGISTER, svc.now(), account.account_id)
    svc.credentials.put_challenge(challenge)
    rp = relying_party(svc, tenant)
    options = creation_options(rp, challenge, account.username, existing)
    return {"challenge_id": challenge.challenge_id, "publicKey": options}


def register(
    svc: Services, tenant_id: str, username: str, challenge_id: str, credential: dict, name: str
) -> dict:
    """Verify what navigator.credentials.create answered and keep the passkey; the person's
    phones are told. Returns it as `listed` shows it."""
    from chalicelib.domain.passkey_checks import verify_registration  # deferred: see above

    tenant = _tenant(svc, tenant_id)
    name, challenge_id = validate_name(name), validate_challenge_id(challenge_id)
    if not isinstance(credential, dict):
        raise InvalidRequest("credential must be the PublicKeyCredential's JSON")
    account = _account(svc, tenant_id, username)
    now = svc.now()
    challenge = svc.credentials.take_challenge(tenant_id, challenge_id, Purpose.REGISTER, now)
    if challenge is None or challenge.account_id != account.account_id:
        raise InvalidPasskey(SPENT)
    made = verify_registration(relying_party(svc, tenant), challenge, credential)
    passkey = Passkey(
        tenant_id=tenant_id,
        account_id=account.account_id,
        username=account.username,
        credential_id=made.credential_id,
        public_key=made.public_key,
        sign_count=made.sign_count,
        backup_eligible=made.backup_eligible,
        backup_state=made.backup_state,
        name=name,
        aaguid=made.aaguid,
        transports=made.transports,
        created_at=now,
    )
    svc.credentials.add(passkey)
    _changed(svc, account, "passkey_added", "self", passkey)
    return passkey.listed()


def listed(svc: Services, tenant_id: str, username: str) -> list[dict]:
    """The person's passkeys as the security-info page lists them, oldest first."""
    account = _account(svc, tenant_id, username)
    return [p.listed() for p in svc.credentials.list(tenant_id, account.account_id)]


def remove(svc: Services, tenant_id: str, username: str, credential_id: str, actor: str) -> None:
    """Remove one of the person's passkeys (NotFound if they have no such one); the phones
    are told. Whether it may go (the last method) is the caller's rule."""
    account = _account(svc, tenant_id, username)
    passkey = svc.credentials.get(tenant_id, account.account_id, credential_id)
    if passkey is None or not svc.credentials.remove(tenant_id, account.account_id, credential_id):
        raise NotFound("No such passkey.")
    _changed(svc, account, "passkey_removed", actor, passkey)
    sso.end_for_account(svc, tenant_id, account.account_id, "passkey_removed", credential_id)


def _changed(svc: Services, account: Account, kind: str, actor: str, passkey: Passkey) -> None:
    """Audited, and a notice for the person's phones: a passkey added or removed by someone
    else is seen at once."""
    detail = {"name": passkey.name, "synced": passkey.backup_eligible}
    svc.record(
        account.tenant_id, kind, account=account.account_id, actor=actor,
        detail={"credential_id": passkey.credential_id, **detail},
    )  # fmt: skip
    notice = Notice(
        kind=kind, at=svc.now(), account_id=account.account_id, key=passkey.credential_id,
        detail=detail,
    )  # fmt: skip
    svc.signins.notify(account.tenant_id, user_key(account.username), notice, NOTICE_SECONDS)


# The hosted page's calls


def assertion_options(svc: Services, tenant_id: str) -> dict:
    """A fresh challenge and the publicKey options for navigator.credentials.get: for the
    page's button and for the username field's autofill (conditional mediation)."""
    from chalicelib.domain.passkey_checks import request_options  # deferred: see above

    tenant = _tenant(svc, tenant_id)
    challenge = Challenge.new(svc.rng, tenant_id, Purpose.SIGN_IN, svc.now())
    svc.credentials.put_challenge(challenge)
    options = request_options(relying_party(svc, tenant), challenge)
    return {
        "challenge_id": challenge.challenge_id,
        "publicKey": options,
        "expires_in": challenge.expires_at - svc.now(),
    }


def sign_in(svc: Services, tenant_id: str, request: PasskeyRequest, origin: Origin) -> dict:
    """Sign in with what navigator.credentials.get answered: approved at once when it
    verifies for an enabled account of this tenant, with the authorize request's fields."""
    from chalicelib.domain.passkey_checks import parse_assertion, verify_assertion  # deferred

    tenant = _tenant(svc, tenant_id)
    client = check_client(tenant, request.client_id, request.code_challenge, request.redirect_uri)
    assertion = parse_assertion(request.credential)
    now = svc.now()
    challenge = svc.credentials.take_challenge(
        tenant_id, request.challenge_id, Purpose.SIGN_IN, now
    )
    if challenge is None:
        raise InvalidPasskey(SPENT)
    if assertion.account_id is None:
        raise InvalidPasskey("The authenticator sent no user handle: not a passkey.")
    passkey = svc.credentials.get(tenant_id, assertion.account_id, assertion.credential_id)
    if passkey is None:
        raise InvalidPasskey("This passkey is not registered here (it may have been removed).")
    svc.meter.count(tenant_id, Billable.PASSKEY_CHECK)
    try:
        verified = verify_assertion(relying_party(svc, tenant), challenge, assertion, passkey)
        account = svc.accounts.get(tenant_id, passkey.username, consistent=True)
        if account is None or account.account_id != passkey.account_id or account.disabled:
            raise InvalidPasskey("This account cannot sign in.")
        if not svc.credentials.used(
            tenant_id, passkey.account_id, passkey.credential_id,
            sign_count=verified.sign_count, backup_state=verified.backup_state, now=now,
        ):  # fmt: skip
            raise InvalidPasskey("The signature counter did not increase: a cloned authenticator?")
    except InvalidPasskey as refused:
        svc.record(
            tenant_id, "passkey_refused", account=passkey.account_id,
            detail=_where(passkey, origin) | {"reason": refused.description},
        )  # fmt: skip
        raise
    svc.record(tenant_id, "passkey_signin", account=account.account_id,
               detail=_where(passkey, origin))  # fmt: skip
    signin, secret = open_signin(
        svc, tenant, user_key(account.username), origin, numbered=False, amr=passkey.amr,
        acr=tokens.ACR_PASSKEY, outcome=Outcome.APPROVED, decided_at=now,
        decided_by=passkey.credential_id,
        client_id=client.client_id, account_id=account.account_id, nonce=request.nonce,
        code_challenge=request.code_challenge, redirect_uri=request.redirect_uri,
        scope=request.scope,
    )  # fmt: skip
    return {
        "status": Status.APPROVED.value,
        "code": signins.authorization_code(secret, signin.signin_id),
        "method": "passkey",
        HANDOVER: signin,
    }


def _where(passkey: Passkey, origin: Origin) -> dict:
    return {
        "credential_id": passkey.credential_id,
        "synced": passkey.backup_eligible,
        "network": origin.network,
        "device": origin.device,
    }
