"""Tenants as a request sees them: policy, clients and unwrapped keys, cached per container.

Loading a tenant costs one query and one KMS decrypt; after that, starting a sign-in or
signing a token touches neither until the cache entry ages out (policy changes take effect
within `tenant_cache_seconds`). A client added since the tenant was cached works at once: a
request naming a client_id the cached tenant lacks reads the tenant again (ActiveTenant.client),
at most once per tenant every CLIENT_RELOAD_SECONDS, so made-up client ids cannot make every
request a read.

A tenant written by Terraform or the admin CLI has only its policy and clients: the first
load gives it a data key (KMS) and its signing keys (one of each of SIGNING_ALGS: RS256 and
ES256), so key material never passes through Terraform state. A tenant made before RS256
existed gets its RSA key the same way, on its next load.

Anyone can ask for any well-formed tenant id, so the cache is bounded: ids that name no
tenant are remembered (a repeated one costs no query) in an LRU of their own, MAX_UNKNOWN
long, and loaded tenants in another, MAX_KNOWN long. A flood of made-up ids therefore
neither grows the container nor pushes a real tenant out.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.domain import envelope
from chalicelib.domain.envelope import SigningPrivateKey
from chalicelib.domain.ports import Clock, Vault
from chalicelib.domain.secret_codes import RandomSource
from chalicelib.domain.tenants import (
    ACCOUNT_APP_NAME,
    ACCOUNT_CLIENT_ID,
    SIGNING_ALGS,
    TENANT_ID,
    Client,
    SigningKey,
    Tenant,
    account_client,
)
from chalicelib.errors import UnknownTenant

MAX_KNOWN = 1000  # tenants with their keys: a few kilobytes each
MAX_UNKNOWN = 1000  # ids that name no tenant: just the time each was looked up
# A tenant cached this recently is not read again for a client it lacks: a flood of made-up
# client ids costs at most one query per tenant in this time.
CLIENT_RELOAD_SECONDS = 2


@dataclass(frozen=True)
class Signer:
    """An active signing key, unsealed: what signs tokens with its algorithm."""

    kid: str
    key: SigningPrivateKey


@dataclass(frozen=True)
class ActiveTenant:
    """A tenant as a request uses it: its policy and clients, issuer, data key and signers."""

    tenant: Tenant
    issuer: str
    data_key: bytes
    signers: dict[str, Signer]  # by algorithm: one of each of SIGNING_ALGS
    # The directory's reload for a client this copy lacks (TenantDirectory._reload_for_client).
    reload: Callable[[str], ActiveTenant] | None = field(default=None, compare=False, repr=False)

    @property
    def tenant_id(self) -> str:
        return self.tenant.tenant_id

    def signer(self, alg: str) -> Signer:
        """The active key for `alg` (every tenant has one of each of SIGNING_ALGS)."""
        return self.signers[alg]

    def client(self, client_id: str) -> Client:
        """The client, or InvalidClient (Tenant.client). One added after this copy was cached
        (add-client, Terraform) is found by reading the tenant again, within the bound. The
        security-info page's built-in client is every tenant's, and no stored one shadows it."""
        if client_id == ACCOUNT_CLIENT_ID:
            return account_client(self.issuer)
        if isinstance(client_id, str) and client_id not in self.tenant.clients and self.reload:
            return self.reload(self.tenant_id).tenant.client(client_id)
        return self.tenant.client(client_id)

    def app_name(self, client_id: str) -> str:
        """The name a phone shows for a sign-in's client (its id, for a client removed since)."""
        if client_id == ACCOUNT_CLIENT_ID:
            return ACCOUNT_APP_NAME
        client = self.tenant.clients.get(client_id)
        return client.name if client else client_id


def signing_key_context(tenant_id: str, kid: str) -> str:
    return f"signing-key:{tenant_id}:{kid}"


def totp_context(tenant_id: str, device_id: str) -> str:
    return f"totp:{tenant_id}:{device_id}"


class TenantRecords(Protocol):
    """What the directory reads and completes in the tenants table (TenantStore)."""

    def load(self, tenant_id: str) -> Tenant | None: ...

    def set_data_key(self, tenant_id: str, sealed: bytes) -> bool: ...

    def put_signing_key(self, tenant_id: str, key: SigningKey) -> None: ...


class TenantDirectory:
    def __init__(
        self,
        store: TenantRecords,
        vault: Vault,
        issuer: Callable[[str], str],
        clock: Clock,
        cache_seconds: int,
        rng: RandomSource,
    ):
        self._rng = rng
        self._store = store
        self._vault = vault
        self._issuer = issuer
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._known: OrderedDict[str, tuple[float, ActiveTenant]] = OrderedDict()
        self._unknown: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        """How many tenant ids the container remembers, known or not."""
        return len(self._known) + len(self._unknown)

    def get(self, tenant_id: str) -> ActiveTenant:
        if not isinstance(tenant_id, str) or not TENANT_ID.match(tenant_id):
            raise UnknownTenant()
        now = self._clock()
        known = self._known.get(tenant_id)
        if known is not None and known[0] + self._cache_seconds > now:
            self._known.move_to_end(tenant_id)
            return known[1]
        missed = self._unknown.get(tenant_id)
        if missed is not None and missed + self._cache_seconds > now:
            self._unknown.move_to_end(tenant_id)
            raise UnknownTenant()
        self.forget(tenant_id)
        loaded = self._load(tenant_id)
        if loaded is None:
            _remember(self._unknown, tenant_id, now, MAX_UNKNOWN)
            raise UnknownTenant()
        _remember(self._known, tenant_id, (now, loaded), MAX_KNOWN)
        return loaded

    def forget(self, tenant_id: str) -> None:
        self._known.pop(tenant_id, None)
        self._unknown.pop(tenant_id, None)

    def _reload_for_client(self, tenant_id: str) -> ActiveTenant:
        """The tenant read again, unless the cached copy is younger than CLIENT_RELOAD_SECONDS."""
        known = self._known.get(tenant_id)
        if known is not None and known[0] + CLIENT_RELOAD_SECONDS > self._clock():
            return known[1]
        self.forget(tenant_id)
        return self.get(tenant_id)

    def _load(self, tenant_id: str) -> ActiveTenant | None:
        tenant = self._store.load(tenant_id)
        if tenant is not None and tenant.sealed_data_key is None:
            self._store.set_data_key(tenant_id, self._vault.new_data_key(tenant_id)[1])
            tenant = self._store.load(tenant_id)  # ours, or the one a racing container set
        if tenant is None or tenant.sealed_data_key is None:
            return None  # no such tenant, or one removed while it was being loaded
        data_key = self._vault.unwrap(tenant.sealed_data_key, tenant_id)
        missing = [alg for alg in SIGNING_ALGS if alg not in tenant.active_keys]
        if missing:  # a new tenant, or one made before RS256: its keys, made once
            now = int(self._clock())
            for alg in missing:
                self._store.put_signing_key(
                    tenant_id, new_signing_key(tenant_id, data_key, now, self._rng, alg)
                )
            tenant = self._store.load(tenant_id)
            if tenant is None:
                return None
        signers = {
            alg: Signer(key.kid, _unseal(tenant_id, data_key, key))
            for alg, key in tenant.active_keys.items()
        }
        return ActiveTenant(
            tenant=tenant,
            issuer=self._issuer(tenant_id),
            data_key=data_key,
            signers=signers,
            reload=self._reload_for_client,
        )


def _unseal(tenant_id: str, data_key: bytes, key: SigningKey) -> SigningPrivateKey:
    der = envelope.unseal(data_key, key.sealed_private_key, signing_key_context(tenant_id, key.kid))
    return envelope.load_private_key(der)


def _remember(cache: OrderedDict, key: str, value: object, bound: int) -> None:
    """Add as the most recently used entry, dropping the least recently used past `bound`."""
    cache[key] = value
    while len(cache) > bound:
        cache.popitem(last=False)


def new_signing_key(
    tenant_id: str, data_key: bytes, now: int, rng: RandomSource, alg: str
) -> SigningKey:
    """A new active key for `alg`, sealed under the tenant's data key."""
    der, jwk = envelope.new_signing_key(alg)
    return SigningKey(
        kid=jwk["kid"],
        public_jwk=jwk,
        sealed_private_key=envelope.seal(
            data_key, der, signing_key_context(tenant_id, jwk["kid"]), rng
        ),
        created_at=now,
    )
