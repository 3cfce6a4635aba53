"""The authorization endpoint (OIDC Core 3.1.2): check the request, then show the sign-in page.

Until the client and redirect URI are known good, errors are shown on our own page and
never redirected (RFC 9700 4.11: no open redirector); after that, they go back to the client
as RFC 6749 4.1.2.1 says.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from chalicelib import contract
from chalicelib.domain import scopes
from chalicelib.domain.signins import validate_nonce
from chalicelib.domain.tokens import validate_code_challenge
from chalicelib.errors import ServiceError
from chalicelib.service import Services
from chalicelib.usecases.tenant_directory import ActiveTenant


class AuthorizeError(ServiceError):
    """An error to send back to the client's redirect URI (set once the URI is known good)."""

    status = 302

    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code = code
        self.location: str | None = None


@dataclass(frozen=True)
class AuthorizeRequest:
    tenant: ActiveTenant
    client_id: str
    app_name: str
    redirect_uri: str
    state: str | None
    nonce: str | None
    code_challenge: str | None
    login_hint: str | None
    scope: str = scopes.OPENID  # as granted: the supported scopes asked for (scopes.grant)


def check(svc: Services, tenant_id: str, params: dict[str, str]) -> AuthorizeRequest:
    """Raise ServiceError (shown on our page) or AuthorizeError (sent to the client)."""
    tenant = svc.directory.get(tenant_id)
    client = tenant.client(params.get("client_id", ""))
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        raise ServiceError("redirect_uri is not registered for this client")
    try:
        return _check_rest(tenant, client, redirect_uri, params)
    except AuthorizeError as err:
        err.location = error_redirect(redirect_uri, err, params.get("state"), tenant.issuer)
        raise


def _check_rest(tenant, client, redirect_uri: str, params: dict[str, str]) -> AuthorizeRequest:
    if params.get("_repeated"):
        raise AuthorizeError("invalid_request", f"{params['_repeated']} appears more than once")
    if params.get("response_type") != "code":
        raise AuthorizeError("unsupported_response_type", "response_type must be code")
    if "openid" not in params.get("scope", "").split():
        raise AuthorizeError("invalid_scope", "scope must include openid")
    try:
        contract.check_query("get", "/t/{tenant_id}/authorize", params)
    except ServiceError as err:
        raise AuthorizeError("invalid_request", err.description) from err
    state = params.get("state")
    try:
        challenge = validate_code_challenge(
            params.get("code_challenge"), params.get("code_challenge_method")
        )
    except ServiceError as err:
        raise AuthorizeError("invalid_request", err.description) from err
    if client.public and challenge is None:
        raise AuthorizeError("invalid_request", "public clients must use PKCE (S256)")
    if params.get("prompt") == "none":
        # No sign-in session is kept between requests: every sign-in needs the person.
        raise AuthorizeError("login_required", "a sign-in needs the person")
    try:
        nonce = validate_nonce(params.get("nonce"))
    except ServiceError as err:
        raise AuthorizeError("invalid_request", err.description) from err
    return AuthorizeRequest(
        tenant=tenant,
        client_id=client.client_id,
        app_name=client.name,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        code_challenge=challenge,
        login_hint=params.get("login_hint"),
        scope=scopes.grant(params.get("scope")),
    )


def error_redirect(redirect_uri: str, err: AuthorizeError, state: str | None, issuer: str) -> str:
    query = {"error": err.code, "error_description": err.description, "iss": issuer}
    if state is not None:
        query["state"] = state
    return redirect_uri + ("&" if "?" in redirect_uri else "?") + urlencode(query)
