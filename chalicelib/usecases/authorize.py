"""The authorization endpoint (OIDC Core 3.1.2): check the request, then show the sign-in page.

Until the client and redirect URI are known good, errors are shown on our own page and
never redirected (RFC 9700 4.11: no open redirector); after that, they go back to the client
as RFC 6749 4.1.2.1 says.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from chalicelib import contract
from chalicelib.domain import logout, scopes
from chalicelib.domain.signins import validate_nonce
from chalicelib.domain.tokens import validate_code_challenge
from chalicelib.errors import ServiceError
from chalicelib.service import Services
from chalicelib.usecases.tenant_directory import ActiveTenant

RESPONSE_MODES = ("query", "form_post")
PROMPTS = frozenset({"none", "login", "select_account", "consent"})
# Core 3.1.2.6: a request object, by value or by reference, or a registration, is refused with
# its own error (discovery says request_parameter_supported and the like are false).
NOT_SUPPORTED = {
    "request": "request_not_supported",
    "request_uri": "request_uri_not_supported",
    "registration": "registration_not_supported",
}


class AuthorizeError(ServiceError):
    """An error to send back to the client's redirect URI (set once the URI is known good)."""

    status = 302

    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code = code
        self.reply: ClientReply | None = None


@dataclass(frozen=True)
class ClientReply:
    """What goes back to the app: `params` (a code or an error, with state and iss) to its
    redirect URI, in the query of a redirect or as a form the browser POSTs (form_post)."""

    redirect_uri: str
    response_mode: str
    params: dict[str, str]

    @property
    def location(self) -> str:
        uri = self.redirect_uri
        return uri + ("&" if "?" in uri else "?") + urlencode(self.params)


@dataclass(frozen=True)
class AuthorizeRequest:
    """An authorization request, checked: what the hosted page signs in for."""

    tenant: ActiveTenant
    client_id: str
    app_name: str
    redirect_uri: str
    state: str | None
    nonce: str | None
    code_challenge: str | None
    login_hint: str | None
    scope: str = scopes.OPENID  # as granted: the supported scopes asked for (scopes.grant)
    response_mode: str = "query"
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    acr_values: str | None = None
    hinted_subject: str | None = None  # the person a verified id_token_hint names

    def reply(self, **params: str) -> ClientReply:
        """The answer for the app (Core 3.1.2.5 and 3.1.2.6), with its state and our issuer
        (RFC 9207)."""
        return client_reply(
            self.redirect_uri, self.response_mode, params, self.state, self.tenant.issuer
        )


def check(svc: Services, tenant_id: str, params: dict[str, str]) -> AuthorizeRequest:
    """Raise ServiceError (shown on our page) or AuthorizeError (sent to the client)."""
    tenant = svc.directory.get(tenant_id)
    client = tenant.client(params.get("client_id", ""))
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        raise ServiceError("redirect_uri is not registered for this client")
    mode = params.get("response_mode")
    mode = mode if mode in RESPONSE_MODES else "query"  # an unknown one is refused below
    try:
        return _check_rest(tenant, client, redirect_uri, params, svc.now())
    except AuthorizeError as err:
        found = {"error": err.code, "error_description": err.description}
        err.reply = client_reply(redirect_uri, mode, found, params.get("state"), tenant.issuer)
        raise


def _check_rest(
    tenant, client, redirect_uri: str, params: dict[str, str], now: int
) -> AuthorizeRequest:
    if params.get("_repeated"):
        raise AuthorizeError("invalid_request", f"{params['_repeated']} appears more than once")
    for name, code in NOT_SUPPORTED.items():
        if params.get(name):
            raise AuthorizeError(code, f"{name} is not supported here")
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
    prompt = _prompt(params.get("prompt"))
    try:
        nonce = validate_nonce(params.get("nonce"))
    except ServiceError as err:
        raise AuthorizeError("invalid_request", err.description) from err
    max_age = params.get("max_age")
    hint = _hint(tenant, client.client_id, params.get("id_token_hint"), now)
    return AuthorizeRequest(
        tenant=tenant,
        client_id=client.client_id,
        app_name=client.name,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        code_challenge=challenge,
        login_hint=params.get("login_hint") or None,
        scope=scopes.grant(params.get("scope")),
        response_mode=params.get("response_mode") or "query",
        prompt=prompt,
        max_age=int(max_age) if max_age else None,  # digits only: openapi.json
        acr_values=params.get("acr_values") or None,
        hinted_subject=None if hint is None else hint.subject,
    )


def _hint(tenant, client_id: str, hint: str | None, now: int) -> logout.Hint | None:
    """Core 3.1.2.1: an id_token_hint must be an ID token this tenant issued to this client
    (domain/logout.py verify_hint; an expired one is still a hint); a session of another
    person is then not used (sso.why_not_silent). One that is not is invalid_request."""
    if not hint:
        return None
    try:
        return logout.verify_hint(tenant.tenant, tenant.issuer, hint, now, client_id)
    except logout.InvalidHint as err:
        raise AuthorizeError("invalid_request", err.description) from err


def _prompt(value: str | None) -> frozenset[str]:
    """Core 3.1.2.1: space-separated; `none` stands alone. `consent` is refused honestly: no
    consent screen is shown, as a tenant's administrator approves its apps."""
    prompt = frozenset((value or "").split())
    if not prompt <= PROMPTS:
        raise AuthorizeError("invalid_request", "prompt must be none, login or select_account")
    if "none" in prompt and len(prompt) > 1:
        raise AuthorizeError("invalid_request", "prompt=none cannot be combined")
    if "consent" in prompt:
        raise AuthorizeError(
            "invalid_request", "prompt=consent is not supported: an administrator approves apps"
        )
    return prompt


def client_reply(
    redirect_uri: str, mode: str, params: dict[str, str], state: str | None, issuer: str
) -> ClientReply:
    found = {**params, "iss": issuer}
    if state is not None:
        found["state"] = state
    return ClientReply(redirect_uri, mode, found)
