"""Phone sign-in, the page's side: start, push, and the page collecting the result.

The phone's side (its list and its answer) is phone_answers.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import contract
from chalicelib.domain import language, scopes, secret_codes, signals, signins, sso, useragent
from chalicelib.domain.accounts import Account, normalise_username, user_key
from chalicelib.domain.metering import Billable
from chalicelib.domain.push_messages import Challenge
from chalicelib.domain.signins import Origin, SignIn, Status
from chalicelib.domain.tokens import validate_code_challenge
from chalicelib.errors import (
    InvalidBinding,
    InvalidRequest,
    NotFound,
    PhoneSignInDisabled,
    TemporarilyUnavailable,
)
from chalicelib.service import Services
from chalicelib.usecases import fatigue
from chalicelib.usecases.tenant_directory import ActiveTenant

MAX_SECRET = contract.schema("Secret")["maxLength"]
HELD_DRAWS = 8  # numbers tried for a held sign-in before giving up (each taken: ~1e-6)


def authorize_fields(body: dict) -> dict:
    """What every page call that signs in carries of the authorization request (client,
    redirect URI, scope as granted, nonce, PKCE challenge), parsed once for all of them from a
    body already checked against its schema."""
    return {
        "client_id": body["client_id"],
        "redirect_uri": body["redirect_uri"],
        "scope": scopes.grant(body.get("scope")),
        "nonce": signins.validate_nonce(body.get("nonce")),
        "code_challenge": validate_code_challenge(
            body.get("code_challenge"), body.get("code_challenge_method")
        ),
    }


@dataclass(frozen=True)
class StartRequest:
    """A phone sign-in started from the hosted page, with the authorize request's fields."""

    client_id: str
    username: str
    redirect_uri: str
    nonce: str | None = None
    code_challenge: str | None = None
    scope: str = scopes.OPENID  # the authorization request's, as granted (scopes.grant)

    @classmethod
    def parse(cls, body: dict) -> StartRequest:
        """From a body checked against openapi.json's StartSignIn (types, sizes, required)."""
        return cls(
            username=normalise_username(body["username"]),
            **authorize_fields(body),
        )


def start(svc: Services, tenant_id: str, request: StartRequest, origin: Origin) -> dict:
    """Start a phone sign-in: push it to the account's phones, or hold it (fatigue.py).

    An unknown username, an account without a phone and a disabled one are answered alike,
    `method: password`, and nothing is stored for them (the page then asks for the password):
    the answer never tells whether an account exists, and a flood of them costs one read.
    """
    tenant = svc.directory.get(tenant_id)
    client = check_client(tenant, request.client_id, request.code_challenge, request.redirect_uri)
    if not tenant.tenant.policy.phone_signin:
        raise PhoneSignInDisabled()
    account = askable_account(svc, tenant_id, request.username)
    if account is None:
        return {"method": "password"}
    now = svc.now()
    source = fatigue.source_of(tenant, origin, account.username, now)
    held = not fatigue.may_push(svc, tenant, account, source, origin)
    if held:  # what is pushed is bounded by the push allowance; what is held, per source
        fatigue.admit_start(svc, tenant, account.username, source, origin, account.account_id)
    signin, secret = open_signin(
        svc,
        tenant,
        user_key(request.username),
        origin,
        held=held,
        client_id=client.client_id,
        account_id=account.account_id,
        resets_failures=account.phone_failures > 0,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        redirect_uri=request.redirect_uri,
        scope=request.scope,
    )
    svc.meter.count(tenant_id, Billable.SIGNIN_STARTED)
    signals.note(signals.SIGNIN_STARTED)
    if not held:
        push_to_phones(svc, tenant, signin, account)
    return {**page_view(signin, secret, now), "method": "phone"}


def askable_account(svc: Services, tenant_id: str, username: str) -> Account | None:
    """The account, if it has phones and is enabled."""
    account = svc.accounts.get(tenant_id, username)
    if account is None or not account.devices or account.disabled:
        return None
    return account


def check_client(
    tenant: ActiveTenant, client_id: str, challenge: str | None, redirect_uri: str | None
):
    """The client exists, a public one uses PKCE, and the redirect URI is one it registered."""
    client = tenant.client(client_id)
    if client.public and challenge is None:
        raise InvalidRequest("public clients must send a PKCE code_challenge (S256)")
    if redirect_uri is not None and redirect_uri not in client.redirect_uris:
        raise InvalidRequest("redirect_uri is not registered for this client")
    return client


def open_signin(
    svc: Services,
    tenant: ActiveTenant,
    who: str,
    origin: Origin,
    *,
    numbered: bool = True,
    held: bool = False,
    **fields,
) -> tuple[SignIn, str]:
    """Store a new sign-in for the person with user key `who` and return it with its binding
    secret, which only the caller learns. A held one gets a six-digit number its id is
    derived from; should a live held sign-in of this person have that number, another is
    drawn."""
    now = svc.now()
    policy = tenant.tenant.policy
    expires_at = now + fields.pop("lifetime", policy.signin_seconds)
    for _ in range(HELD_DRAWS if held else 1):
        number, signin_id = _number_and_id(svc, tenant, who, now, numbered, held)
        secret = secret_codes.new_secret(svc.rng)
        signin = SignIn(
            tenant_id=tenant.tenant_id,
            signin_id=signin_id,
            number=number,
            choices=(
                signins.number_choices(svc.rng, number, policy.number_match)
                if number is not None and not held
                else ()
            ),
            created_at=now,
            expires_at=expires_at,
            binding_hash=secret_codes.hash_secret(secret),
            code_hash=secret_codes.hash_secret(signins.authorization_code(secret, signin_id)),
            origin=origin,
            **fields,
        )
        if not held:
            svc.signins.create(signin)
            return signin, secret
        if svc.signins.create_held(signin, now):
            return signin, secret
    raise TemporarilyUnavailable()  # HELD_DRAWS numbers all taken: not in this universe


def _number_and_id(
    svc: Services, tenant: ActiveTenant, who: str, now: int, numbered: bool, held: bool
) -> tuple[int | None, str]:
    """The number to match and the sign-in's id. A held one's id derives from its number; one
    approved by the password alone has no number and no place in the phone's list."""
    if held:
        number = signins.new_held_number(svc.rng)
        return number, signins.held_signin_id(signins.held_key(tenant.data_key), who, number)
    if not numbered:
        return None, signins.unlisted_signin_id(who, svc.rng)
    number = signins.new_number(svc.rng, tenant.tenant.policy.number_match)
    return number, signins.new_signin_id(who, svc.rng, now)


def page_view(signin: SignIn, secret: str, now: int) -> dict:
    """What the page (or client) that opened a sign-in needs to follow it. `held`: nothing
    was pushed; the person opens the app and enters the number."""
    return {
        "signin_id": signin.signin_id,
        "secret": secret,
        "number": signin.number,
        "held": signin.held,
        "expires_at": signin.expires_at,
        "now": now,
        "interval": signins.POLL_SECONDS,
    }


def push_to_phones(svc: Services, tenant: ActiveTenant, signin: SignIn, account: Account) -> None:
    """One publish per phone with a push endpoint, in the language that phone asked for. A
    failure is recorded and skipped: the phone can still fetch the sign-in by polling."""
    now = svc.now()
    challenge = Challenge(
        tenant_id=tenant.tenant_id,
        signin_id=signin.signin_id,
        app_name=tenant.app_name(signin.client_id),
        ip=signin.origin.ip,
        device=signin.origin.device,
        place=signin.origin.place,
        expires_at=signin.expires_at,
        choices=signin.choices,
        ttl_seconds=max(1, signin.expires_at - now),
        binding_message=signin.binding_message,
        organisation=useragent.clean(tenant.tenant.name),
    )
    for device_id, summary in account.devices.items():
        if not (summary.endpoint_arn and summary.channel):
            continue  # this phone polls
        locale = language.negotiate(None, summary.locale)  # the phone's, if offered
        if svc.push.publish(summary.endpoint_arn, summary.channel, challenge, locale):
            svc.meter.count(tenant.tenant_id, Billable.PUSH_SENT)
        else:
            svc.devices.record_push_failure(tenant.tenant_id, device_id, now)
            signals.note(signals.PUSH_FAILED)


def _followed(
    svc: Services, tenant_id: str, signin_id: str, secret: str, consistent: bool = True
) -> SignIn:
    """The sign-in, for the one who opened it (who alone holds its binding secret)."""
    signins.parse_signin_id(signin_id)
    if not isinstance(secret, str) or not 0 < len(secret) <= MAX_SECRET or not secret.isascii():
        raise InvalidRequest("secret is required")
    svc.directory.get(tenant_id)
    signin = svc.signins.get(tenant_id, signin_id, consistent)
    if signin is None and not consistent:  # too new for an eventual read to have seen it
        signin = svc.signins.get(tenant_id, signin_id)
    if signin is None or signin.redirect_uri is None:  # CIBA's are its client's, at /token
        raise NotFound("No such sign-in.")
    if not secret_codes.same_secret(secret, signin.binding_hash):
        raise InvalidBinding()
    return signin


def result(svc: Services, tenant_id: str, signin_id: str, secret: str) -> dict:
    """What the page that started the sign-in may learn: its status, and on approval a code.
    An eventual read, half the units: a moment-old "pending" only means one more poll."""
    signin = _followed(svc, tenant_id, signin_id, secret, consistent=False)
    status = signin.status(svc.now())
    answer: dict = {"status": status.value, "expires_at": signin.expires_at}
    if status is Status.APPROVED:
        answer["code"] = signins.authorization_code(secret, signin.signin_id)
        answer["method"] = "password" if "pwd" in signin.amr else "phone"
        answer[sso.HANDOVER] = signin
    elif status is Status.DENIED and signin.outcome is not None:
        answer["reason"] = signin.outcome.value
    return answer


def cancel(svc: Services, tenant_id: str, signin_id: str, secret: str) -> dict:
    """The page gave up on this sign-in (the person chose the password, or left): end it, so
    no phone keeps offering a request nobody is waiting for."""
    signin = _followed(svc, tenant_id, signin_id, secret)
    cancelled = svc.signins.cancel(tenant_id, signin.signin_id, svc.now())
    if cancelled and signin.account_id:
        fatigue.freed(svc, tenant_id, signin.account_id)
    return {"status": "cancelled" if cancelled else signin.status(svc.now()).value}
