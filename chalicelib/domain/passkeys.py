"""Passkeys (WebAuthn credentials): the stored credential, the relying party a tenant's page
is, the one-time challenges, and what a passkey sign-in proves (plain values, no I/O).

Every tenant's page is on the host of PUBLIC_BASE_URL, so that host is the RP ID of every
tenant and the origin (scheme://host[:port]) the only one a response may name: tenants are
kept apart by the store (a credential is filed under its tenant and account), not by the RP
ID. Browsers refuse an IP address as RP ID: a page on 127.0.0.1 cannot use passkeys, one on
localhost can. The verification itself is fido2's (passkey_checks.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from chalicelib.domain import secret_codes, useragent
from chalicelib.domain.secret_codes import RandomSource
from chalicelib.errors import InvalidRequest

# How long a challenge may be answered: WebAuthn's recommended ceiling for a ceremony that
# asks for user verification. The page asks for a new one before this runs out.
CHALLENGE_SECONDS = 300
CHALLENGE_BYTES = 32  # WebAuthn asks for at least 16 random bytes
MAX_NAME = 64
MAX_PASSKEYS = 20  # per person: excludeCredentials stays small, the page's list short
# RFC 8176: a key in hardware that cannot leave it (hwk), or one in software that the
# platform syncs between a person's devices (swk); user verification (PIN or biometrics) was
# required and given (user); and the key plus that verification are two factors (mfa).
DEVICE_BOUND_AMR = ("mfa", "hwk", "user")
SYNCED_AMR = ("mfa", "swk", "user")


class Purpose(StrEnum):
    REGISTER = "register"  # navigator.credentials.create on the security-info page
    SIGN_IN = "sign_in"  # navigator.credentials.get on the hosted page


@dataclass(frozen=True)
class RelyingParty:
    """Who a passkey is for: the RP ID, the one origin and the name shown."""

    id: str  # the RP ID: the host of PUBLIC_BASE_URL
    origin: str  # the only origin a client data may name
    name: str  # what the authenticator shows beside the account (the organisation)

    @classmethod
    def of(cls, public_base_url: str, name: str) -> RelyingParty:
        """The page's host and origin as a browser writes them: lower case, no default port."""
        parts = urlsplit(public_base_url)
        host = parts.hostname or ""
        default = {"https": 443, "http": 80}.get(parts.scheme)
        port = f":{parts.port}" if parts.port and parts.port != default else ""
        return cls(id=host, origin=f"{parts.scheme}://{host}{port}", name=name)


@dataclass(frozen=True)
class Passkey:
    """A registered passkey (WebAuthn credential) and what its assertions are checked against."""

    tenant_id: str
    account_id: str  # the user handle the authenticator returns (never the username)
    username: str
    credential_id: str  # base64url, as the browser spells rawId
    public_key: bytes  # COSE_Key, as the authenticator made it
    sign_count: int
    backup_eligible: bool  # BE: a synced (multi-device) passkey; fixed for its life
    backup_state: bool  # BS: backed up at its last use
    name: str
    created_at: int
    aaguid: str = ""  # the authenticator's model, when it says (attestation "none": often zeros)
    transports: tuple[str, ...] = ()
    last_used_at: int | None = None

    @property
    def amr(self) -> tuple[str, ...]:
        return SYNCED_AMR if self.backup_eligible else DEVICE_BOUND_AMR

    def listed(self) -> dict:
        """What the security-info page shows of it."""
        return {
            "credential_id": self.credential_id,
            "name": self.name,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "synced": self.backup_eligible,
        }


@dataclass(frozen=True)
class Challenge:
    """A WebAuthn challenge waiting for its one answer, filed under `challenge_id`."""

    tenant_id: str
    challenge_id: str
    challenge: bytes
    purpose: Purpose
    expires_at: int
    account_id: str | None = None  # a registration's: whose passkey it makes

    @classmethod
    def new(
        cls,
        rng: RandomSource,
        tenant_id: str,
        purpose: Purpose,
        now: int,
        account_id: str | None = None,
    ) -> Challenge:
        return cls(
            tenant_id=tenant_id,
            challenge_id=secret_codes.new_secret(rng, 16),
            challenge=rng.token_bytes(CHALLENGE_BYTES),
            purpose=purpose,
            expires_at=now + CHALLENGE_SECONDS,
            account_id=account_id,
        )


def validate_name(name: object) -> str:
    """A passkey's name as the person typed it: shown as sent, so cleaned of invisible and
    layout-changing characters, 1 to MAX_NAME characters."""
    if not isinstance(name, str):
        raise InvalidRequest("name must be a string")
    cleaned = useragent.clean(name).strip()
    if not 1 <= len(cleaned) <= MAX_NAME:
        raise InvalidRequest(f"name must be 1-{MAX_NAME} visible characters")
    return cleaned


def validate_challenge_id(challenge_id: object) -> str:
    """16 random bytes in canonical base64url, as Challenge.new spells them."""
    if isinstance(challenge_id, str) and len(challenge_id) == 22:
        try:
            secret_codes.b64url_decode(challenge_id)
            return challenge_id
        except ValueError:
            pass
    raise InvalidRequest("challenge_id is not one this service gave")
