"""The OpenID Connect surface: discovery, JWKS, the token endpoint and userinfo."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from chalicelib.domain import jose, secret_codes, signins, tokens
from chalicelib.domain.devices import public_key_from_jwk
from chalicelib.domain.metering import Billable
from chalicelib.domain.signins import SignIn
from chalicelib.domain.tenants import Client
from chalicelib.errors import (
    InvalidClient,
    InvalidRequest,
    InvalidToken,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from chalicelib.service import Services
from chalicelib.usecases.tenant_directory import ActiveTenant

CIBA_GRANT = "urn:openid:params:grant-type:ciba"


def discovery(svc: Services, tenant_id: str) -> dict:
    return tokens.discovery(svc.directory.get(tenant_id).issuer)


def jwks(svc: Services, tenant_id: str) -> dict:
    tenant = svc.directory.get(tenant_id)
    return tokens.jwks(tenant.tenant.signing_keys, svc.now())


def authenticate_client(
    tenant: ActiveTenant, form: dict[str, str], authorization: str | None
) -> Client:
    """client_secret_basic (RFC 6749 2.3.1, form-encoded id and secret), _post, or none."""
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
        client = tenant.tenant.client(client_id)
        client.authenticate(secret)
    except InvalidClient as err:
        # One answer for an unknown client, a wrong or missing secret and a secret sent by a
        # public client: the token and CIBA endpoints do not tell which client ids exist.
        raise InvalidClient() from err
    return client


def token(svc: Services, tenant_id: str, form: dict[str, str], authorization: str | None) -> dict:
    """The token endpoint: authorization_code, and CIBA's poll-mode grant."""
    from chalicelib.usecases import ciba

    tenant = svc.directory.get(tenant_id)
    grant = form.get("grant_type")
    if not grant:
        raise InvalidRequest("grant_type is required")
    if grant not in ("authorization_code", CIBA_GRANT):
        raise UnsupportedGrantType()
    client = authenticate_client(tenant, form, authorization)
    if grant == CIBA_GRANT:
        if client.public:
            raise UnauthorizedClient("CIBA needs a confidential client.")
        return ciba.poll(svc, tenant, client, form)
    return exchange_code(svc, tenant, client, form)


def exchange_code(svc: Services, tenant: ActiveTenant, client: Client, form: dict) -> dict:
    """One use, by its client, with its redirect URI and PKCE verifier (RFC 6749 4.1.3)."""
    code = form.get("code")
    if not code:
        raise InvalidRequest("code is required")
    if not form.get("redirect_uri"):  # RFC 6749 4.1.3: every authorization request had one
        raise InvalidRequest("redirect_uri is required")
    signin_id = signins.signin_id_of_code(code)
    now = svc.now()
    signin = svc.signins.redeem(
        tenant.tenant_id,
        signin_id,
        client_id=client.client_id,
        code_hash=secret_codes.hash_secret(code),
        code_challenge=tokens.challenge_of(form.get("code_verifier")),
        redirect_uri=form.get("redirect_uri"),
        now=now,
    )
    return issue_tokens(svc, tenant, signin, client.client_id, now)


def issue_tokens(
    svc: Services, tenant: ActiveTenant, signin: SignIn, client_id: str, now: int
) -> dict:
    id_token = tokens.id_token_claims(
        issuer=tenant.issuer,
        subject=signin.account_id,
        audience=client_id,
        auth_time=signin.decided_at,
        now=now,
        nonce=signin.nonce,
        amr=signin.amr,
    )
    access = tokens.access_token_claims(
        issuer=tenant.issuer, subject=signin.account_id, client_id=client_id, now=now, rng=svc.rng
    )
    svc.meter.count(tenant.tenant_id, Billable.TOKEN_ISSUED)
    return {
        "token_type": "Bearer",
        "expires_in": tokens.ACCESS_TOKEN_SECONDS,
        "id_token": tokens.sign(id_token, tenant.signing_key, tenant.kid),
        "access_token": tokens.sign(access, tenant.signing_key, tenant.kid, typ="at+jwt"),
        "scope": "openid",
    }


def userinfo(svc: Services, tenant_id: str, authorization: str | None) -> dict:
    """OIDC Core 5.3: the access token (RFC 9068, this tenant's key and issuer) names the sub."""
    tenant = svc.directory.get(tenant_id)
    scheme, _, access_token = (authorization or "").partition(" ")
    if not authorization:
        raise InvalidToken(InvalidToken.no_token)
    if scheme.lower() != "bearer" or not access_token:
        raise InvalidToken()
    keys = {k.kid: k.public_jwk for k in tenant.tenant.signing_keys}
    try:
        header = jose.header(access_token)
        if header.get("typ") != "at+jwt" or header.get("kid") not in keys:
            raise InvalidToken()
        claims = jose.verify(access_token, public_key_from_jwk(keys[header["kid"]]))
    except (jose.JoseError, InvalidRequest) as err:
        raise InvalidToken() from err
    if claims.get("iss") != tenant.issuer or claims.get("aud") != tenant.issuer:
        raise InvalidToken()
    if not isinstance(claims.get("sub"), str):
        raise InvalidToken()
    iat, exp = claims.get("iat"), claims.get("exp")
    if not (isinstance(iat, int) and isinstance(exp, int) and iat <= svc.now() < exp):
        raise InvalidToken()
    return {"sub": claims["sub"]}
