"""The token endpoint: authenticate the client, then hand the request to its grant.

Grants are looked up in one registry, as Authlib and node-oidc-provider do: a new grant is one
entry here and one module, and no grant module knows about another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.domain.tenants import ACCOUNT_CLIENT_ID, Client
from chalicelib.errors import InvalidRequest, UnauthorizedClient, UnsupportedGrantType
from chalicelib.service import Services
from chalicelib.usecases import ciba, code_grant
from chalicelib.usecases.client_auth import authenticate_client
from chalicelib.usecases.tenant_directory import ActiveTenant

Handler = Callable[[Services, ActiveTenant, Client, dict[str, str]], dict]


@dataclass(frozen=True)
class Grant:
    """A grant type the token endpoint answers: its handler, and which clients may use it."""

    handle: Handler
    confidential_only: bool = False  # CIBA 4: only confidential clients


GRANTS: dict[str, Grant] = {
    "authorization_code": Grant(code_grant.exchange_code),
    ciba.GRANT_TYPE: Grant(ciba.poll, confidential_only=True),
}


def token(svc: Services, tenant_id: str, form: dict[str, str], authorization: str | None) -> dict:
    tenant = svc.directory.get(tenant_id)
    name = form.get("grant_type")
    if not name:
        raise InvalidRequest("grant_type is required")
    grant = GRANTS.get(name)
    if grant is None:
        raise UnsupportedGrantType()
    client = authenticate_client(tenant, form, authorization)
    if grant.confidential_only and client.public:
        raise UnauthorizedClient("CIBA needs a confidential client.")
    if client.client_id == ACCOUNT_CLIENT_ID:
        # Its codes are redeemed by the security-info page itself, in-process: nobody else
        # gets tokens for it.
        raise UnauthorizedClient("This client's codes are the service's own.")
    return grant.handle(svc, tenant, client, form)
