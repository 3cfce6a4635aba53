"""RP-Initiated Logout 1.0, the use cases: an app sends the browser to `{issuer}/logout`.

With a valid `id_token_hint` (domain/logout.py) the app is known and the person named: the
browser's session ends if it is that person's, and the browser goes back to the app's
`post_logout_redirect_uri` if the app registered it. Without one, anyone could send a browser
here (a nuisance logout, or a bounce through us): the person confirms first, by a form whose
CSRF token and Origin the web layer checks, and the browser goes back to the app only where
the app named itself (client_id) and registered the URI. A hint or client_id that does not
hold is not used (spec section 4): the person is asked, and nobody is redirected.

The session's end goes through usecases/sso.py `ended`, so the apps that took part in it hear
of it by back-channel logout. `logout_hint` is accepted and not used: a browser holds one
session per tenant, whoever it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from chalicelib import contract
from chalicelib.domain import logout
from chalicelib.domain.sso import SsoSession
from chalicelib.domain.tenants import Client
from chalicelib.errors import InvalidClient, InvalidRequest
from chalicelib.service import Services
from chalicelib.usecases import sso
from chalicelib.usecases.tenant_directory import ActiveTenant

ROUTE = "/t/{tenant_id}/logout"


@dataclass(frozen=True)
class LogoutRequest:
    """An RP-initiated logout request, checked: the tenant, the hint believed, the app."""

    tenant: ActiveTenant
    hint: logout.Hint | None  # verified; None without one, or for one not believed
    client: Client | None  # the app, known from the hint or from client_id
    target: str | None  # the app's registered post_logout_redirect_uri, if it asked for it
    state: str | None
    refused: str | None = None  # why a hint or client_id was not used (for the app's developers)

    def confirm_fields(self) -> dict[str, str]:
        """What the confirmation form carries back: only what was found good here."""
        fields = {"client_id": self.client.client_id} if self.client else {}
        if self.target is not None:
            fields["post_logout_redirect_uri"] = self.target
            if self.state is not None:
                fields["state"] = self.state
        return fields


@dataclass(frozen=True)
class LogoutAnswer:
    """`location`: where the browser goes (None: the signed-out page); `clear_cookie`: the
    browser's session cookie is deleted."""

    location: str | None
    clear_cookie: bool


def check(svc: Services, tenant_id: str, params: dict[str, str]) -> LogoutRequest:
    """The request's parts that hold; InvalidRequest only for malformed parameters."""
    tenant = svc.directory.get(tenant_id)
    if params.get("_repeated"):
        raise InvalidRequest(f"{params['_repeated']} appears more than once")
    contract.check_query("get", ROUTE, params)
    client_id = params.get("client_id") or None
    hint, refused = None, None
    if params.get("id_token_hint"):
        try:
            hint = logout.verify_hint(
                tenant.tenant, tenant.issuer, params["id_token_hint"], svc.now(), client_id
            )
        except logout.InvalidHint as err:
            return LogoutRequest(tenant, None, None, None, None, err.description)
    client = _client(tenant, hint.client_id if hint else client_id)
    if client is None and client_id is not None:
        refused = "client_id is not a client of this tenant"
    uri = params.get("post_logout_redirect_uri")
    target = logout.post_logout_target(client, uri)
    if uri and target is None and refused is None:
        refused = "post_logout_redirect_uri is not registered for this client"
    return LogoutRequest(tenant, hint, client, target, params.get("state"), refused)


def _client(tenant: ActiveTenant, client_id: str | None) -> Client | None:
    try:
        return tenant.client(client_id) if client_id else None
    except InvalidClient:
        return None


def end_hinted(svc: Services, request: LogoutRequest, cookie: str | None) -> LogoutAnswer:
    """A valid hint: end the browser's session if it is the hinted person's (another
    person's is left alone), and go back to the app if it registered where."""
    assert request.hint is not None
    tenant_id = request.tenant.tenant_id
    session = sso.current(svc, tenant_id, cookie)
    ours = session is None or session.account_id == request.hint.subject
    if session is not None and ours:
        _end(svc, tenant_id, session)
    return LogoutAnswer(_location(request.target, request.state), clear_cookie=ours)


def end_confirmed(
    svc: Services, tenant_id: str, form: dict[str, str], cookie: str | None
) -> LogoutAnswer:
    """The person confirmed on our page (the web layer checked CSRF and Origin): end the
    browser's session, whoever's, and go back to the app only if the form's client_id
    registered the form's URI (checked again: the form came through the browser)."""
    request = check(svc, tenant_id, {k: v for k, v in form.items() if k != "csrf"})
    session = sso.current(svc, tenant_id, cookie)
    if session is not None:
        _end(svc, tenant_id, session)
    return LogoutAnswer(_location(request.target, request.state), clear_cookie=True)


def _end(svc: Services, tenant_id: str, session: SsoSession) -> None:
    gone = svc.sessions.end(tenant_id, session.account_id, session.session_id)
    if gone is not None:  # of two logouts at once, one tells the apps
        sso.ended(svc, tenant_id, [gone], "logout")


def _location(target: str | None, state: str | None) -> str | None:
    if target is None or state is None:
        return target
    return target + ("&" if "?" in target else "?") + urlencode({"state": state})
