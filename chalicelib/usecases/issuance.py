"""Tokens for a decided sign-in: the ID token and an access token, signed with the tenant's keys.

Every grant ends here, so what a token says about a sign-in is decided in one place. The ID
token is signed with the algorithm its client registered (RS256 unless it asked for ES256);
the access token always with ES256, as only the service's own userinfo reads it.
"""

from __future__ import annotations

from chalicelib.domain import scopes, tokens
from chalicelib.domain.metering import Billable
from chalicelib.domain.signins import Outcome, SignIn
from chalicelib.domain.sso import session_id_of
from chalicelib.domain.tenants import ACCESS_TOKEN_ALG, Client
from chalicelib.errors import InvalidGrant
from chalicelib.service import Services
from chalicelib.usecases.tenant_directory import ActiveTenant


def issue_tokens(
    svc: Services, tenant: ActiveTenant, signin: SignIn, client: Client, now: int
) -> dict:
    """The token response for `client`, whose registration names its ID token's alg."""
    client_id = client.client_id
    # A sign-in through a single sign-on session says when the person really signed in.
    subject, auth_time = signin.account_id, signin.auth_time or signin.decided_at
    if signin.outcome is not Outcome.APPROVED or subject is None or auth_time is None:
        raise InvalidGrant()  # only a sign-in approved for an account has tokens to give
    identity: dict = {}
    if scopes.wants_identity(signin.scope):  # one GetItem, only when a claim needs it
        username = svc.accounts.username_of(tenant.tenant_id, subject)
        identity = scopes.identity_claims(username, signin.scope)
    id_token = tokens.id_token_claims(
        issuer=tenant.issuer,
        subject=subject,
        audience=client_id,
        auth_time=auth_time,
        now=now,
        nonce=signin.nonce,
        amr=signin.amr,
        acr=signin.acr,
        identity=identity,
        sid=session_id_of(signin),
    )
    access = tokens.access_token_claims(
        issuer=tenant.issuer,
        subject=subject,
        client_id=client_id,
        now=now,
        rng=svc.rng,
        scope=signin.scope,
    )
    id_signer = tenant.signer(client.id_token_signed_response_alg)
    access_signer = tenant.signer(ACCESS_TOKEN_ALG)
    svc.meter.count(tenant.tenant_id, Billable.TOKEN_ISSUED)
    return {
        "token_type": "Bearer",
        "expires_in": tokens.ACCESS_TOKEN_SECONDS,
        "id_token": tokens.sign(id_token, id_signer.key, id_signer.kid),
        "access_token": tokens.sign(access, access_signer.key, access_signer.kid, typ="at+jwt"),
        "scope": signin.scope,
    }
