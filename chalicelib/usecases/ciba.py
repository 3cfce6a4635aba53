"""OpenID Connect CIBA, poll mode: an app asks for a sign-in without a browser.

The app authenticates as a confidential client, names the person (login_hint) and a short
binding message that both its own screen and the phone show. Like the page, it gets a number
to show (the tenant's number matching applies: the phone offers it among decoys, or asks for
it to be typed), so a CIBA token proves what a page sign-in proves. The app then polls the
token endpoint.
"""

from __future__ import annotations

import re

from chalicelib.domain import scopes, secret_codes, signals, signins
from chalicelib.domain.accounts import normalise_username, user_key
from chalicelib.domain.browsers import Source
from chalicelib.domain.metering import Billable
from chalicelib.domain.signins import Origin, Status
from chalicelib.domain.tenants import Client
from chalicelib.errors import (
    AccessDenied,
    AuthorizationPending,
    ExpiredToken,
    InvalidBindingMessage,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    PhoneSignInDisabled,
    SlowDown,
    UnauthorizedClient,
)
from chalicelib.service import Services
from chalicelib.usecases import fatigue
from chalicelib.usecases.client_auth import authenticate_client
from chalicelib.usecases.issuance import issue_tokens
from chalicelib.usecases.phone_signin import askable_account, open_signin, push_to_phones
from chalicelib.usecases.tenant_directory import ActiveTenant

GRANT_TYPE = "urn:openid:params:grant-type:ciba"
INTERVAL = 5  # seconds between polls (CIBA 7.3 default)
MAX_BINDING_MESSAGE = 64
# A number in a form: ASCII digits only (str.isdigit() also takes '²' and '٣', which int()
# then refuses or reads), and few enough of them that int() never sees a huge string.
_SECONDS = re.compile(r"^[0-9]{1,6}\Z")


def _seconds(value: str, name: str) -> int:
    if not _SECONDS.match(value) or int(value) < 1:
        raise InvalidRequest(f"{name} must be a whole number of seconds, 1 to 999999")
    return int(value)


def backchannel_authorize(
    svc: Services, tenant_id: str, form: dict[str, str], authorization: str | None, origin: Origin
) -> dict:
    tenant = svc.directory.get(tenant_id)
    client = authenticate_client(tenant, form, authorization)
    if client.public:
        raise UnauthorizedClient("CIBA needs a confidential client.")
    if "openid" not in form.get("scope", "").split():
        raise InvalidScope()
    if form.get("login_hint_token") or form.get("id_token_hint"):
        raise InvalidRequest("only login_hint is supported")
    if not form.get("login_hint"):
        raise InvalidRequest("login_hint is required")
    message = form.get("binding_message")
    if message is not None and not (
        0 < len(message) <= MAX_BINDING_MESSAGE and message.isprintable() and message.strip()
    ):
        raise InvalidBindingMessage()
    lifetime = tenant.tenant.policy.signin_seconds
    if form.get("requested_expiry"):
        lifetime = min(lifetime, _seconds(form["requested_expiry"], "requested_expiry"))
    if not tenant.tenant.policy.phone_signin:
        raise PhoneSignInDisabled()
    username = normalise_username(form["login_hint"])
    # The caller is the app's server: its place would mislead the person, so none.
    where = Origin.of(origin.ip, "backchannel", device=f"{client.name}, without a browser")
    source = Source(network=f"client-{client.client_id}")  # the app is one source
    # Counted for every login_hint, known or not, so a refusal does not tell them apart.
    fatigue.admit_start(svc, tenant, username, source, where)
    account = askable_account(svc, tenant_id, username)
    held = account is not None and not fatigue.may_push(svc, tenant, account, source, where)
    # Unknown people get a request that simply never completes, as on the page: no
    # unknown_user_id answer, so a client is not told who exists.
    signin, secret = open_signin(
        svc,
        tenant,
        user_key(username),
        where,
        held=held,
        client_id=client.client_id,
        account_id=account.account_id if account else None,
        resets_failures=bool(account and account.phone_failures),
        binding_message=message,
        scope=scopes.grant(form["scope"]),
        lifetime=lifetime,
    )
    svc.meter.count(tenant_id, Billable.SIGNIN_STARTED)
    signals.note(signals.SIGNIN_STARTED)
    if account is not None and not held:
        push_to_phones(svc, tenant, signin, account)
    return {
        "auth_req_id": f"{signin.signin_id}.{secret}",
        "expires_in": lifetime,
        "interval": INTERVAL,
        # Not in CIBA Core: the number the client shows beside the binding message, for the
        # person to pick or type on the phone; `held`: no push was sent, the person enters
        # the (six-digit) number in the app.
        "number": signin.number,
        "held": signin.held,
    }


def poll(svc: Services, tenant: ActiveTenant, client: Client, form: dict[str, str]) -> dict:
    """The token endpoint's CIBA grant: pending, slow down, expired, denied, or tokens."""
    if not form.get("auth_req_id"):
        raise InvalidRequest("auth_req_id is required")
    signin_id, _, secret = form["auth_req_id"].partition(".")
    try:
        signins.parse_signin_id(signin_id)
    except InvalidRequest as err:
        raise InvalidGrant("unknown auth_req_id") from err
    if not 0 < len(secret) <= 64:
        raise InvalidGrant("unknown auth_req_id")
    signin = svc.signins.get(tenant.tenant_id, signin_id)
    if (
        signin is None
        or signin.client_id != client.client_id
        or not secret_codes.same_secret(secret, signin.binding_hash)
    ):
        raise InvalidGrant("unknown auth_req_id")
    now = svc.now()
    status = signin.status(now)
    if status is Status.PENDING:
        if not svc.signins.throttle_poll(tenant.tenant_id, signin_id, INTERVAL, now):
            raise SlowDown()
        raise AuthorizationPending()
    if status is Status.EXPIRED:
        raise ExpiredToken()
    if status is Status.DENIED:
        raise AccessDenied()
    code = signins.authorization_code(secret, signin_id)
    redeemed = svc.signins.redeem(
        tenant.tenant_id,
        signin_id,
        client_id=client.client_id,
        code_hash=secret_codes.hash_secret(code),
        code_challenge=None,
        redirect_uri=None,
        now=now,
    )
    return issue_tokens(svc, tenant, redeemed, client, now)
