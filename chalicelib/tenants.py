"""Tenants: their policy, their OIDC clients and their signing keys (plain values, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from . import codes
from .errors import InvalidClient, InvalidRequest

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]\Z")
CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{3,64}\Z")
DEFAULT_SIGNIN_SECONDS = 120
MAX_SIGNIN_SECONDS = 600  # OWASP ASVS 5.0: out-of-band requests live at most 10 minutes
MIN_SIGNIN_SECONDS = 30
# Token lifetime (300 s) + the tenant cache (60 s) + margin: how long a retired key stays published.
KEY_OVERLAP_SECONDS = 3600


class NumberMatch(StrEnum):
    """How the person proves the phone and the page belong together."""

    PICK = "pick"  # tap the page's number among three (the source's behaviour)
    TYPE = "type"  # type the page's number on the phone


@dataclass(frozen=True)
class Policy:
    phone_signin: bool = True
    signin_seconds: int = DEFAULT_SIGNIN_SECONDS
    number_match: NumberMatch = NumberMatch.PICK
    require_two_step: bool = False  # password sign-ins also need the phone or a TOTP code

    def __post_init__(self) -> None:
        if not MIN_SIGNIN_SECONDS <= self.signin_seconds <= MAX_SIGNIN_SECONDS:
            raise InvalidRequest(
                f"signin_seconds must be between {MIN_SIGNIN_SECONDS} and {MAX_SIGNIN_SECONDS}"
            )


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    secret_hash: str | None = None  # None: a public client (PKCE required)

    @property
    def public(self) -> bool:
        return self.secret_hash is None

    def authenticate(self, secret: str | None) -> None:
        if self.public:
            if secret:
                raise InvalidClient("This is a public client; it has no secret.")
            return
        if not secret or not codes.same_secret(secret, self.secret_hash):
            raise InvalidClient()


@dataclass(frozen=True)
class SigningKey:
    kid: str
    public_jwk: dict
    sealed_private_key: bytes
    created_at: int
    active: bool = True
    retired_at: int | None = None

    def published(self, now: int) -> bool:
        """A retired key stays in the JWKS while tokens it signed may still be presented,
        and while containers that cached it may still sign with it."""
        return self.active or (self.retired_at or 0) + KEY_OVERLAP_SECONDS > now


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    policy: Policy
    sealed_data_key: bytes | None = None  # None until the service first loads the tenant
    clients: dict[str, Client] = field(default_factory=dict)
    signing_keys: tuple[SigningKey, ...] = ()

    def client(self, client_id: str) -> Client:
        client = self.clients.get(client_id)
        if client is None:
            raise InvalidClient("Unknown client_id.")
        return client

    @property
    def active_key(self) -> SigningKey:
        return max((k for k in self.signing_keys if k.active), key=lambda k: k.created_at)


def validate_tenant_id(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not TENANT_ID.match(tenant_id):
        raise InvalidRequest("tenant id must be 3-32 characters of a-z, 0-9 and '-'")
    return tenant_id
