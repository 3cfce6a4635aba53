"""The core's ports: what the use cases need from outside, as Protocols, so they depend on these
and not on boto3 or an adapter.

The adapters implement them (adapters/sns_push.py: Push, adapters/kms_vault.py: Vault,
adapters/http_logout.py: LogoutChannel);
service.build wires those in, and a test or tool may pass any stand-in with the same methods.
Randomness is secret_codes.RandomSource (the `secrets` module in production).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.push_messages import Challenge

# Seconds since the epoch, with a fraction: time.time in production.
Clock = Callable[[], float]


@dataclass(frozen=True)
class PlatformEndpoint:
    """A push endpoint for a push token. `existing`: the push service already had one for the
    token with other attributes (another registration's, or one nobody holds any more)."""

    arn: str
    existing: bool


class Push(Protocol):
    """Push endpoints per phone, and one push per phone and sign-in."""

    def supports(self, channel: str) -> bool: ...

    def endpoint_for(self, channel: str, token: str, device_id: str) -> PlatformEndpoint:
        """A new endpoint for the token, or the one already kept for it, left unchanged."""
        ...

    def enable_endpoint(self, endpoint_arn: str, device_id: str) -> None: ...

    def delete_endpoint(self, endpoint_arn: str) -> None: ...

    def publish(self, endpoint_arn: str, channel: str, challenge: Challenge, locale: str) -> bool:
        """True when the push service took the message; its text is in `locale` (one of
        language.available())."""
        ...


class Vault(Protocol):
    """Envelope keys: one data key per tenant, kept only wrapped."""

    def new_data_key(self, tenant_id: str) -> tuple[bytes, bytes]:
        """(plaintext, wrapped)."""
        ...

    def unwrap(self, sealed: bytes, tenant_id: str) -> bytes: ...


class LogoutChannel(Protocol):
    """HTTP to the apps: a logout token POSTed to an app's back-channel logout URI."""

    def post_form(self, uri: str, form: dict[str, str], timeout: float) -> int | None:
        """One attempt: the app's HTTP status, or None when no answer came in `timeout`
        seconds (or the connection failed). Never raises for the app's faults."""
        ...
