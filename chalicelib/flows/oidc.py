"""The OpenID Connect surface: discovery, JWKS and the token endpoint."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from .. import codes, signins, tokens
from ..errors import InvalidClient, InvalidGrant, InvalidRequest, UnsupportedGrantType
from ..service import Services


def discovery(svc: Services, tenant_id: str) -> dict:
    return tokens.discovery(svc.directory.get(tenant_id).issuer)


def jwks(svc: Services, tenant_id: str) -> dict:
    return tokens.jwks(svc.directory.get(tenant_id).tenant.signing_keys)


def client_credentials(form: dict[str, str], authorization: str | None) -> tuple[str, str | None]:
    """client_secret_basic (RFC 6749 2.3.1, form-encoded id and secret) or _post or none."""
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
        return unquote(client_id), unquote(secret)
    client_id = form.get("client_id")
    if not client_id:
        raise InvalidClient("client_id is required.")
    return client_id, form.get("client_secret")


def exchange_code(
    svc: Services, tenant_id: str, form: dict[str, str], authorization: str | None
) -> dict:
    """authorization_code grant: one use, by its client, with its PKCE verifier."""
    tenant = svc.directory.get(tenant_id)
    if form.get("grant_type") != "authorization_code":
        if not form.get("grant_type"):
            raise InvalidRequest("grant_type is required")
        raise UnsupportedGrantType()
    client_id, secret = client_credentials(form, authorization)
    client = tenant.tenant.client(client_id)
    client.authenticate(secret)
    code = form.get("code")
    if not code:
        raise InvalidRequest("code is required")
    signin_id = signins.signin_id_of_code(code)
    now = svc.now()
    signin = svc.signins.redeem(tenant_id, signin_id, client_id, codes.hash_secret(code), now)
    tokens.check_code_verifier(form.get("code_verifier"), signin.code_challenge)
    if signin.redirect_uri is not None and form.get("redirect_uri") != signin.redirect_uri:
        raise InvalidGrant("redirect_uri does not match the authorization request")
    id_token = tokens.id_token_claims(
        issuer=tenant.issuer,
        subject=signin.account_id,
        audience=client_id,
        auth_time=signin.decided_at,
        now=now,
        nonce=signin.nonce,
        amr=tokens.PHONE_AMR,
    )
    access = tokens.access_token_claims(
        issuer=tenant.issuer, subject=signin.account_id, client_id=client_id, now=now, rng=svc.rng
    )
    return {
        "token_type": "Bearer",
        "expires_in": tokens.ACCESS_TOKEN_SECONDS,
        "id_token": tokens.sign(id_token, tenant.signing_key, tenant.kid),
        "access_token": tokens.sign(access, tenant.signing_key, tenant.kid, typ="at+jwt"),
        "scope": "openid",
    }
