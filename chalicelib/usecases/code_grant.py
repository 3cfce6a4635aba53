"""The authorization code grant (RFC 6749 4.1.3, with PKCE: RFC 7636 4.6)."""

from __future__ import annotations

from chalicelib.domain import secret_codes, signins, tokens
from chalicelib.domain.signins import SignIn
from chalicelib.domain.tenants import Client
from chalicelib.errors import InvalidRequest
from chalicelib.service import Services
from chalicelib.usecases.issuance import issue_tokens
from chalicelib.usecases.tenant_directory import ActiveTenant


def exchange_code(svc: Services, tenant: ActiveTenant, client: Client, form: dict) -> dict:
    """One use, by its client, with its redirect URI and PKCE verifier (RFC 6749 4.1.3)."""
    now = svc.now()
    signin = redeem_code(svc, tenant, client, form, now)
    return issue_tokens(svc, tenant, signin, client, now)


def redeem_code(
    svc: Services, tenant: ActiveTenant, client: Client, form: dict, now: int
) -> SignIn:
    """Spend a code (the conditional redeem): the sign-in it stands for. The token endpoint
    turns that into tokens; the security-info page, its own client, into its session."""
    code = form.get("code")
    if not code:
        raise InvalidRequest("code is required")
    if not form.get("redirect_uri"):  # RFC 6749 4.1.3: every authorization request had one
        raise InvalidRequest("redirect_uri is required")
    signin_id = signins.signin_id_of_code(code)
    return svc.signins.redeem(
        tenant.tenant_id,
        signin_id,
        client_id=client.client_id,
        code_hash=secret_codes.hash_secret(code),
        code_challenge=tokens.challenge_of(form.get("code_verifier")),
        redirect_uri=form.get("redirect_uri"),
        now=now,
    )
