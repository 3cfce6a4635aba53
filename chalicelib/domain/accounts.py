"""Accounts and usernames (plain values, no I/O)."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib.errors import InvalidRequest

MAX_USERNAME = 254


class AccountKind(StrEnum):
    WORK = "work"  # work or school: one per phone, follows the tenant's policy
    PERSONAL = "personal"


def normalise_username(raw: object) -> str:
    """NFKC then casefold, so 'Ａlice@Example.com' and 'alice@example.com' are one account."""
    if not isinstance(raw, str):
        raise InvalidRequest("username must be a string")
    name = unicodedata.normalize("NFKC", raw).casefold().strip()
    if not name or len(name) > MAX_USERNAME:
        raise InvalidRequest(f"username must be 1-{MAX_USERNAME} characters")
    if any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in name):
        raise InvalidRequest("username contains control or separator characters")
    return name


def user_key(username: str) -> str:
    """A short, fixed-length partition key for a username, known or not.

    Sign-ins are filed under it, so a phone can list its own pending sign-ins with one query,
    while unknown usernames look exactly like known ones.
    """
    return hashlib.sha256(username.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class DeviceSummary:
    """What a sign-in needs of each phone: where to push (None: this phone polls), and the
    language tag the phone asked for (None: none, the default language)."""

    channel: str | None = None
    endpoint_arn: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class Account:
    """A person's account at a tenant."""

    tenant_id: str
    username: str
    account_id: str
    kind: AccountKind
    created_at: int
    devices: dict[str, DeviceSummary] = field(default_factory=dict)
    password_hash: str | None = None
    disabled: bool = False  # an administrator turned the account off: no sign-in at all
    phone_failures: int = 0  # denials and wrong numbers since the last approval or lock
    phone_locked_until: int = 0  # push fatigue: no phone sign-in before this time

    def phone_locked(self, now: int) -> bool:
        return now < self.phone_locked_until
