"""Back-Channel Logout 1.0: when sessions end, tell the apps that took part in them.

Every way a session ends comes here through usecases/sso.py `ended` (a logout, the account
disabled, the proving phone or passkey removed, the password reset, the browser signed in as
someone else). Each app of each session that registered a `backchannel_logout_uri` gets its
own logout token (domain/logout.py) by a form POST through the LogoutChannel port.

A logout never waits on an app for long, and never fails because of one: the deliveries run
in parallel threads, each attempt bounded by a timeout, at most DELIVERY_ATTEMPTS of them
(again only when no answer came or the app's server failed); a delivery that did not land
is in the audit log (`backchannel_logout_failed`, with the app, the session and the last
status) for the tenant's administrator, and the logout goes on.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from chalicelib.domain import logout, tokens
from chalicelib.domain.ports import LogoutChannel
from chalicelib.domain.sso import SsoSession
from chalicelib.errors import InvalidClient
from chalicelib.service import Services
from chalicelib.usecases.tenant_directory import ActiveTenant


@dataclass(frozen=True)
class Delivery:
    """One logout token for one app's backchannel_logout_uri."""

    client_id: str
    account_id: str
    session_id: str
    uri: str
    token: str


def notify(svc: Services, tenant_id: str, sessions: list[SsoSession]) -> None:
    """Send the logout tokens of these ended sessions, and audit the ones that failed."""
    if not any(session.clients for session in sessions):
        return
    tenant = svc.directory.get(tenant_id)
    deliveries = [
        delivery
        for session in sessions
        for client_id in session.clients
        if (delivery := _delivery(svc, tenant, session, client_id)) is not None
    ]
    for delivery, (status, attempts) in zip(
        deliveries, deliver_all(svc.logout_channel, deliveries), strict=True
    ):
        if not logout.delivered(status):
            svc.record(
                tenant_id, "backchannel_logout_failed", account=delivery.account_id,
                detail={"client_id": delivery.client_id, "sid": delivery.session_id,
                        "status": status or "no_answer", "attempts": attempts},
            )  # fmt: skip


def _delivery(
    svc: Services, tenant: ActiveTenant, session: SsoSession, client_id: str
) -> Delivery | None:
    """The app's logout token for the session, signed as its ID tokens are; None for an app
    that registered no back-channel logout URI, or that is no longer registered."""
    try:
        client = tenant.client(client_id)
    except InvalidClient:
        return None
    if client.backchannel_logout_uri is None:
        return None
    claims = logout.logout_token_claims(
        issuer=tenant.issuer, client_id=client_id, subject=session.account_id,
        session_id=session.session_id, now=svc.now(), rng=svc.rng,
    )  # fmt: skip
    signer = tenant.signer(client.id_token_signed_response_alg)
    token = tokens.sign(claims, signer.key, signer.kid, typ=logout.LOGOUT_TOKEN_TYPE)
    return Delivery(
        client_id, session.account_id, session.session_id, client.backchannel_logout_uri, token
    )


def deliver_all(channel: LogoutChannel, deliveries: list[Delivery]) -> list[tuple[int | None, int]]:
    """(last status, attempts) of each delivery, all at once: the whole takes about as long
    as the slowest one, at most DELIVERY_ATTEMPTS timeouts (MAX_PARALLEL_DELIVERIES at a
    time; a tenant's apps are far fewer)."""
    if len(deliveries) <= 1:
        return [_deliver(channel, d) for d in deliveries]
    workers = min(len(deliveries), logout.MAX_PARALLEL_DELIVERIES)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="logout") as pool:
        return list(pool.map(lambda d: _deliver(channel, d), deliveries))


def _deliver(channel: LogoutChannel, delivery: Delivery) -> tuple[int | None, int]:
    form = {"logout_token": delivery.token}
    status: int | None = None
    for attempt in range(1, logout.DELIVERY_ATTEMPTS + 1):
        status = channel.post_form(delivery.uri, form, logout.DELIVERY_TIMEOUT_SECONDS)
        if logout.delivered(status) or not logout.worth_retrying(status):
            return status, attempt
    return status, logout.DELIVERY_ATTEMPTS
