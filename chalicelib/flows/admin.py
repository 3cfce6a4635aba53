"""What the admin CLI does: tenants, clients, accounts and activation codes."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urlsplit

from .. import codes, passwords
from ..accounts import Account, AccountKind, normalise_username
from ..errors import InvalidRequest, NotFound
from ..service import Services
from ..stores.activation_codes import ActivationCode
from ..tenancy import new_signing_key
from ..tenants import CLIENT_ID, Client, Policy, Tenant, validate_tenant_id

ACTIVATION_CODE_SECONDS = 24 * 3600
MAX_APP_NAME = 64  # it is in every push, and APNs allows 4 KB


def create_tenant(svc: Services, tenant_id: str, name: str, policy: Policy) -> dict:
    """The tenant's policy; its keys are made when the service first loads it."""
    validate_tenant_id(tenant_id)
    svc.tenants.create(Tenant(tenant_id=tenant_id, name=name, policy=policy))
    svc.directory.forget(tenant_id)
    tenant = svc.directory.get(tenant_id)
    return {"tenant_id": tenant_id, "issuer": tenant.issuer, "kid": tenant.kid}


def rotate_signing_key(svc: Services, tenant_id: str) -> dict:
    """A new active key; the old ones stay published until their tokens have expired, and
    keys retired longer ago than that are deleted."""
    tenant = svc.directory.get(tenant_id)
    now = svc.now()
    key = new_signing_key(tenant_id, tenant.data_key, now, svc.rng)
    svc.tenants.put_signing_key(tenant_id, key)
    for old in tenant.tenant.signing_keys:
        if old.active:
            svc.tenants.retire_signing_key(tenant_id, old.kid, now)
        elif not old.published(now):
            svc.tenants.delete_signing_key(tenant_id, old.kid)
    svc.directory.forget(tenant_id)
    return {
        "tenant_id": tenant_id,
        "kid": key.kid,
        "retired": [k.kid for k in tenant.tenant.signing_keys if k.active],
    }


def set_password(svc: Services, tenant_id: str, username: str, password: str) -> dict:
    svc.directory.get(tenant_id)
    username = normalise_username(username)
    svc.accounts.set_password(tenant_id, username, passwords.hash_password(password, svc.rng))
    return {"username": username, "password": "set"}


def set_policy(svc: Services, tenant_id: str, policy: Policy) -> dict:
    svc.directory.get(tenant_id)
    svc.tenants.set_policy(tenant_id, policy)
    svc.directory.forget(tenant_id)
    return show_tenant(svc, tenant_id)


def show_tenant(svc: Services, tenant_id: str) -> dict:
    tenant = svc.directory.get(tenant_id)
    return {
        "tenant_id": tenant_id,
        "name": tenant.tenant.name,
        "issuer": tenant.issuer,
        "policy": asdict(tenant.tenant.policy),
        "clients": {
            c.client_id: {
                "name": c.name,
                "redirect_uris": list(c.redirect_uris),
                "public": c.public,
            }
            for c in tenant.tenant.clients.values()
        },
        "published_keys": [k.kid for k in tenant.tenant.signing_keys if k.published(svc.now())],
        "active_key": tenant.kid,
    }


def add_client(
    svc: Services,
    tenant_id: str,
    client_id: str,
    name: str,
    redirect_uris: list[str],
    public: bool = False,
) -> dict:
    """Register a relying party. A confidential client's secret is shown here, once."""
    svc.directory.get(tenant_id)
    if not 0 < len(name) <= MAX_APP_NAME:
        raise InvalidRequest(f"the app name must be 1-{MAX_APP_NAME} characters (phones show it)")
    if not CLIENT_ID.match(client_id):
        raise InvalidRequest("client_id must be 3-64 characters of A-Z a-z 0-9 . _ -")
    for uri in redirect_uris:
        _check_redirect_uri(uri)
    secret = None if public else codes.new_secret(svc.rng)
    svc.tenants.put_client(
        tenant_id,
        Client(
            client_id=client_id,
            name=name,
            redirect_uris=tuple(redirect_uris),
            secret_hash=None if secret is None else codes.hash_secret(secret),
        ),
    )
    svc.directory.forget(tenant_id)
    return {"client_id": client_id, "client_secret": secret, "redirect_uris": redirect_uris}


def _check_redirect_uri(uri: str) -> None:
    """Absolute, no fragment; https except on loopback (RFC 9700 2.1, RFC 8252 7.3)."""
    parts = urlsplit(uri)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.fragment or not parts.hostname or parts.scheme not in ("https", "http"):
        raise InvalidRequest(f"redirect URI {uri!r} must be absolute, without a fragment")
    if parts.scheme == "http" and not loopback:
        raise InvalidRequest(f"redirect URI {uri!r} must use https")


def create_account(svc: Services, tenant_id: str, username: str, kind: AccountKind) -> dict:
    svc.directory.get(tenant_id)
    account = Account(
        tenant_id=tenant_id,
        username=normalise_username(username),
        account_id=codes.new_secret(svc.rng, 16),
        kind=kind,
        created_at=svc.now(),
    )
    svc.accounts.create(account)
    return {"username": account.username, "sub": account.account_id, "kind": kind.value}


def issue_activation_code(
    svc: Services, tenant_id: str, username: str, valid_seconds: int = ACTIVATION_CODE_SECONDS
) -> dict:
    """A one-time code to enrol a phone: shown here once, stored only as a hash."""
    tenant = svc.directory.get(tenant_id)
    username = normalise_username(username)
    if svc.accounts.get(tenant_id, username, consistent=True) is None:
        raise NotFound("No such account.")
    code = codes.new_activation_code(svc.rng)
    expires_at = svc.now() + valid_seconds
    svc.activation_codes.create(
        ActivationCode(
            tenant_id=tenant_id,
            code_hash=codes.hash_secret(code),
            username=username,
            expires_at=expires_at,
        )
    )
    return {
        "activation_code": code,
        "expires_at": expires_at,
        "issuer": tenant.issuer,
        "username": username,
    }
