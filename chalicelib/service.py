"""Wiring: the stores, adapters, clock and randomness a use case needs, built once per container."""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb.accounts import AccountStore
from chalicelib.adapters.dynamodb.activation_codes import ActivationCodeStore
from chalicelib.adapters.dynamodb.audit import AuditEvent, AuditStore
from chalicelib.adapters.dynamodb.base import Write, table_names, transact
from chalicelib.adapters.dynamodb.credentials import CredentialStore
from chalicelib.adapters.dynamodb.devices import DeviceStore
from chalicelib.adapters.dynamodb.installations import InstallationStore
from chalicelib.adapters.dynamodb.limits import LimitStore
from chalicelib.adapters.dynamodb.recovery_codes import RecoveryCodeStore
from chalicelib.adapters.dynamodb.signins import SignInStore
from chalicelib.adapters.dynamodb.sso_sessions import SsoSessionStore
from chalicelib.adapters.dynamodb.tenants import TenantStore
from chalicelib.adapters.dynamodb.usage import UsageStore
from chalicelib.adapters.http_logout import HttpLogoutChannel
from chalicelib.adapters.kms_vault import KmsVault
from chalicelib.adapters.sns_push import SnsPush
from chalicelib.domain import secret_codes
from chalicelib.domain.metering import SHARDS, Meter
from chalicelib.domain.passwords import PasswordHasher
from chalicelib.domain.ports import Clock, LogoutChannel, Push, Vault
from chalicelib.domain.secret_codes import RandomSource
from chalicelib.settings import Settings
from chalicelib.usecases.tenant_directory import TenantDirectory


@dataclass
class Services:
    """What a use case is handed: the stores, adapters, clock and randomness of this container."""

    settings: Settings
    tenants: TenantStore
    accounts: AccountStore
    recovery_codes: RecoveryCodeStore  # on the accounts table's items
    devices: DeviceStore
    credentials: CredentialStore  # passkeys and their challenges
    signins: SignInStore
    sessions: SsoSessionStore  # single sign-on: a browser's session with a tenant
    activation_codes: ActivationCodeStore
    installations: InstallationStore
    limits: LimitStore
    audit: AuditStore
    usage: UsageStore
    meter: Meter
    directory: TenantDirectory
    push: Push
    logout_channel: LogoutChannel  # back-channel logout: a form POST to an app
    vault: Vault
    passwords: PasswordHasher
    clock: Clock
    rng: RandomSource
    dynamodb: Any  # a boto3 DynamoDB client, for transactions across stores

    def now(self) -> int:
        return int(self.clock())

    def transact(self, writes: list[Write]) -> None:
        transact(self.dynamodb, writes)

    def record(self, tenant_id: str, event: str, **fields) -> None:
        """Write a security event to the audit log."""
        self.audit.record(
            AuditEvent(tenant_id=tenant_id, at=self.now(), event=event, **fields),
            nonce=secret_codes.new_secret(self.rng, 6),
        )


def build(
    settings: Settings,
    dynamodb: Any,
    sns: Any,
    kms: Any,
    clock: Clock = time.time,
    rng: RandomSource = secrets,
) -> Services:
    names = table_names(settings.table_prefix)
    tenants = TenantStore(dynamodb, names["tenants"])
    usage = UsageStore(dynamodb, names["usage"])

    def shard() -> int:
        return rng.randbelow(SHARDS)

    vault = KmsVault(kms, settings.kms_key_id)
    return Services(
        settings=settings,
        tenants=tenants,
        accounts=AccountStore(dynamodb, names["accounts"]),
        recovery_codes=RecoveryCodeStore(dynamodb, names["accounts"]),
        devices=DeviceStore(dynamodb, names["devices"]),
        credentials=CredentialStore(dynamodb, names["credentials"]),
        signins=SignInStore(dynamodb, names["signins"]),
        sessions=SsoSessionStore(dynamodb, names["sessions"]),
        activation_codes=ActivationCodeStore(dynamodb, names["activation_codes"]),
        installations=InstallationStore(dynamodb, names["installations"]),
        limits=LimitStore(dynamodb, names["limits"]),
        audit=AuditStore(dynamodb, names["audit"], shard),
        usage=usage,
        meter=Meter(usage, clock, shard),
        directory=TenantDirectory(
            tenants, vault, settings.issuer, clock, settings.tenant_cache_seconds, rng
        ),
        push=SnsPush(sns, settings.push_apps),
        logout_channel=HttpLogoutChannel(),
        vault=vault,
        passwords=PasswordHasher(settings.argon2_memory_kib, settings.argon2_time_cost),
        clock=clock,
        rng=rng,
        dynamodb=dynamodb,
    )


@functools.cache
def get() -> Services:
    """The container's services, on first use: clients are made lazily in aws.py."""
    return build(Settings.from_env(), aws.lazy("dynamodb"), aws.lazy("sns"), aws.lazy("kms"))
