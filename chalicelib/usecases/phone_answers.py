"""Phone sign-in, the phone's side: the sign-ins waiting for it, and its signed answer."""

from __future__ import annotations

from typing import NoReturn, TypedDict

from chalicelib.domain import proofs, signals, signins, useragent
from chalicelib.domain.accounts import user_key
from chalicelib.domain.devices import Device
from chalicelib.domain.metering import Billable
from chalicelib.domain.signins import Decision, DecisionRefused, Outcome, SignIn, Status
from chalicelib.errors import InvalidRequest, NotFound, SignInClosed, WrongNumber
from chalicelib.service import Services
from chalicelib.usecases import fatigue
from chalicelib.usecases.device_auth import authenticate_device
from chalicelib.usecases.tenant_directory import ActiveTenant


def pending(svc: Services, tenant_id: str, token: object) -> dict:
    """The polling path: a phone lists the sign-ins waiting for it, push or no push, and its
    person's notices. With a `number` (six digits its person read off a page), the held
    sign-in with that number is listed too: no push was sent for it."""
    tenant = svc.directory.get(tenant_id)
    device, proof = authenticate_device(svc, tenant, token, proofs.REQUEST_TYP, "pending")
    now = svc.now()
    who = user_key(device.username)
    waiting, notices = svc.signins.inbox(tenant_id, who, now)
    mine = [s for s in waiting if s.account_id == device.account_id]
    number = proof.claims.get("number")
    if number is not None:
        if not signins.valid_held_number(number):  # a typo, caught by the check digit
            raise InvalidRequest("number is not one a page showed: check the six digits")
        held_id = signins.held_signin_id(signins.held_key(tenant.data_key), who, number)
        held = svc.signins.get(tenant_id, held_id)
        if held and held.account_id == device.account_id and held.status(now) is Status.PENDING:
            mine.append(held)
    return {
        "signins": [_describe(tenant, device, s) for s in sorted(mine, key=lambda s: s.created_at)],
        "notices": [
            {"kind": n.kind, "at": n.at, **n.detail}
            for n in notices
            if n.account_id == device.account_id and n.key != device.device_id
        ],
    }


def _describe(tenant: ActiveTenant, device: Device, signin: SignIn) -> dict:
    """What the phone shows of one request: who asks (the organisation's display name and the
    app), for which account, from what browser and where, until when, and how to answer."""
    return {
        "signin_id": signin.signin_id,
        "organisation": useragent.clean(tenant.tenant.name),
        "account": device.username,
        "app": tenant.app_name(signin.client_id),
        "ip": signin.origin.ip,
        "device": signin.origin.device,
        "place": signin.origin.place,
        "expires_at": signin.expires_at,
        "number_match": signin.number_match,
        "choices": list(signin.choices),
        "binding_message": signin.binding_message,
        "held": signin.held,
    }


class Answerer(TypedDict):
    """Who answers and when: the arguments every SignInStore.decide of one answer shares."""

    account_id: str
    device_id: str
    response_id: str
    now: int


def respond(svc: Services, tenant_id: str, token: object) -> dict:
    """The phone's signed answer. Accepted once, before expiry, from a phone of the account,
    and for approval only with the page's number; a wrong number ends the sign-in."""
    tenant = svc.directory.get(tenant_id)
    device, proof = authenticate_device(svc, tenant, token, proofs.RESPONSE_TYP)
    claims = proof.claims
    signin_id = claims.get("sid", "")
    signins.parse_signin_id(signin_id)
    try:
        decision = Decision(claims.get("decision", ""))
    except ValueError as err:
        raise InvalidRequest("decision must be approve, deny or report_fraud") from err
    number = claims.get("number")
    if number is not None and not signins.valid_number(number):
        raise InvalidRequest("number must be the 2- or 6-digit number the page shows")
    outcome = {
        Decision.APPROVE: Outcome.APPROVED,
        Decision.DENY: Outcome.DENIED,
        Decision.REPORT_FRAUD: Outcome.FRAUD_REPORTED,
    }[decision]
    decide = Answerer(
        account_id=device.account_id,
        device_id=device.device_id,
        response_id=proof.jti,
        now=svc.now(),
    )
    try:
        decided = svc.signins.decide(
            tenant_id,
            signin_id,
            outcome=outcome,
            match_number=decision is Decision.APPROVE,
            number=number,
            **decide,
        )
    except DecisionRefused as refused:
        _explain_refusal(svc, tenant, device, signin_id, refused.current, decide)
    svc.meter.count(tenant_id, Billable.PHONE_ANSWER)
    signals.note(signals.answered(outcome.value))
    if outcome is not Outcome.APPROVED or decided.held:
        # An approval's record is the decided sign-in itself (kept as long as the audit log,
        # and the phone's "last used"), found by its time; a held one's id carries none, and
        # what went wrong is an audit event, as a lock's cause.
        svc.record(
            tenant_id, f"signin_{outcome.value}", account=device.account_id,
            device=device.device_id, actor=device.device_id, detail={"signin": signin_id},
        )  # fmt: skip
    if outcome is not Outcome.APPROVED:
        fatigue.failed_answer(svc, tenant, device, outcome, decide["now"], decided.origin)
    elif decided.resets_failures:
        svc.accounts.clear_phone_failures(tenant_id, device.username)
    return {"status": Status.APPROVED.value if outcome is Outcome.APPROVED else "denied"}


def _explain_refusal(
    svc: Services,
    tenant: ActiveTenant,
    device: Device,
    signin_id: str,
    current: SignIn | None,
    decide: Answerer,
) -> NoReturn:
    if current is None or current.account_id != device.account_id:
        raise NotFound("No such sign-in for this phone.")
    if current.status(decide["now"]) is not Status.PENDING:
        raise SignInClosed()
    # Pending, this account's, unexpired: the only condition left is the number.
    tenant_id = tenant.tenant_id
    try:
        svc.signins.decide(tenant_id, signin_id, outcome=Outcome.WRONG_NUMBER, **decide)
    except DecisionRefused as err:
        raise SignInClosed() from err
    signals.note(signals.WRONG_NUMBER)
    svc.record(
        tenant_id, "signin_wrong_number", account=device.account_id, device=device.device_id,
        actor=device.device_id, detail={"signin": signin_id},
    )  # fmt: skip
    fatigue.failed_answer(svc, tenant, device, Outcome.WRONG_NUMBER, decide["now"], current.origin)
    raise WrongNumber()
