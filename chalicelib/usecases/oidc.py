"""The OpenID Connect surface an app reads: discovery, the JWKS and userinfo."""

from __future__ import annotations

from chalicelib.domain import jose, language, scopes, tokens
from chalicelib.domain.devices import public_key_from_jwk
from chalicelib.domain.tenants import ACCESS_TOKEN_ALG
from chalicelib.errors import InvalidBearerRequest, InvalidRequest, InvalidToken
from chalicelib.service import Services

# Public documents, which browsers, relying parties and a CDN in front (CloudFront caches what
# the origin's Cache-Control allows) may keep. Discovery changes only with a deployment. The
# JWKS changes when a tenant's keys rotate: a relying party that meets an unknown kid fetches
# it again, and a minute here, plus a container's TENANT_CACHE_SECONDS, is how long the new key
# may take to appear (docs/operations.md, "Key rotation").
DISCOVERY_CACHING = {"Cache-Control": "public, max-age=3600"}
JWKS_CACHING = {"Cache-Control": "public, max-age=60"}


def discovery(svc: Services, tenant_id: str) -> dict:
    return tokens.discovery(svc.directory.get(tenant_id).issuer, language.available())


def jwks(svc: Services, tenant_id: str) -> dict:
    tenant = svc.directory.get(tenant_id)
    return tokens.jwks(tenant.tenant.signing_keys, svc.now())


def presented_token(authorization: str | None, form: dict[str, str] | None) -> str:
    """The access token of a request: in the Authorization header (RFC 6750 2.1) or, on a
    POST, as the form's access_token (2.2); never both (3.1: invalid_request). A request
    with neither, or with another scheme, is answered without an error code (3.1)."""
    scheme, _, in_header = (authorization or "").partition(" ")
    bearer = scheme.lower() == "bearer"
    if bearer and form is not None and "access_token" in form:
        raise InvalidBearerRequest("Send the access token once: in the header or in the form.")
    if form is not None and "access_token" in form:
        in_header, bearer = form["access_token"], True
    if not bearer:
        raise InvalidToken(InvalidToken.no_token)
    if not in_header:
        raise InvalidToken()
    return in_header


def userinfo(
    svc: Services, tenant_id: str, authorization: str | None, form: dict[str, str] | None = None
) -> dict:
    """OIDC Core 5.3: the access token (RFC 9068, this tenant's ES256 key and issuer) names
    the sub, and its `scope` which claims about the person it releases (OIDC Core 5.4).
    `form`: a POST's form body (None for a GET, which has no body)."""
    tenant = svc.directory.get(tenant_id)
    access_token = presented_token(authorization, form)
    # Only the service reads access tokens, and it signs them with ES256 alone: a token
    # naming the RS256 key (which signs ID tokens) is no access token.
    keys = {k.kid: k.public_jwk for k in tenant.tenant.signing_keys if k.alg == ACCESS_TOKEN_ALG}
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
