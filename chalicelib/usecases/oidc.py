"""The OpenID Connect surface an app reads: discovery, the JWKS and userinfo."""

from __future__ import annotations

from chalicelib.domain import jose, scopes, tokens
from chalicelib.domain.devices import public_key_from_jwk
from chalicelib.errors import InvalidRequest, InvalidToken
from chalicelib.service import Services


def discovery(svc: Services, tenant_id: str) -> dict:
    return tokens.discovery(svc.directory.get(tenant_id).issuer)


def jwks(svc: Services, tenant_id: str) -> dict:
    tenant = svc.directory.get(tenant_id)
    return tokens.jwks(tenant.tenant.signing_keys, svc.now())


def userinfo(svc: Services, tenant_id: str, authorization: str | None) -> dict:
    """OIDC Core 5.3: the access token (RFC 9068, this tenant's key and issuer) names the sub,
    and its `scope` which claims about the person it releases (OIDC Core 5.4)."""
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
    scope = claims.get("scope")
    if not isinstance(scope, str):
        scope = scopes.OPENID  # tokens issued before the scope was theirs
    answer = {"sub": claims["sub"]}
    if scopes.wants_identity(scope):  # the username, by the sub: one GetItem
        username = svc.accounts.username_of(tenant.tenant_id, claims["sub"])
        answer |= scopes.identity_claims(username, scope)
    return answer
