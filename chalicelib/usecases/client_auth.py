"""Client authentication at the token and CIBA endpoints (RFC 6749 2.3.1)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from chalicelib.domain.tenants import Client
from chalicelib.errors import InvalidClient
from chalicelib.usecases.tenant_directory import ActiveTenant


def authenticate_client(
    tenant: ActiveTenant, form: dict[str, str], authorization: str | None
) -> Client:
    """client_secret_basic (RFC 6749 2.3.1, form-encoded id and secret), _post, or none."""
    client_id: str | None
    secret: str | None  # None: a public client's request, or a missing secret
    if authorization:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            raise InvalidClient("Unsupported authorization scheme.")
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as err:
            raise InvalidClient("Malformed basic credentials.") from err
        client_id, sep, secret = decoded.partition(":")
        if not sep or "client_secret" in form:
            raise InvalidClient("Use one client authentication method.")
        client_id, secret = unquote(client_id), unquote(secret)
        if form.get("client_id") not in (None, client_id):
            raise InvalidClient("client_id does not match the credentials.")
    else:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if not client_id:
            raise InvalidClient("client_id is required.")
    try:
        client = tenant.client(client_id)
        client.authenticate(secret)
    except InvalidClient as err:
        # One answer for an unknown client, a wrong or missing secret and a secret sent by a
        # public client: the token and CIBA endpoints do not tell which client ids exist.
        raise InvalidClient() from err
    return client
