"""What several use cases share: reading JSON fields, and authenticating a phone."""

from __future__ import annotations

import functools
from typing import Literal, TypeVar, overload

from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain.devices import Device, public_key_from_jwk
from chalicelib.domain.proofs import (
    MAX_AGE_SECONDS,
    MAX_CLOCK_SKEW_SECONDS,
    Proof,
    verify_with_device,
)
from chalicelib.errors import InvalidDeviceProof, InvalidRequest
from chalicelib.service import Services
from chalicelib.usecases.tenant_directory import ActiveTenant

T = TypeVar("T")


@overload
def field(
    body: dict, name: str, kind: type[T], *, required: Literal[True] = True, max_len: int = 256
) -> T: ...
@overload
def field(
    body: dict, name: str, kind: type[T], *, required: bool, max_len: int = 256
) -> T | None: ...
def field(
    body: dict, name: str, kind: type[T], *, required: bool = True, max_len: int = 256
) -> T | None:
    """The named value, of type `kind` (a bool is not an int), a string 1-`max_len` long;
    None when it is missing and not `required`. InvalidRequest otherwise."""
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidRequest(f"{name} is required")
        return None
    if kind is int and isinstance(value, bool):
        raise InvalidRequest(f"{name} must be an integer")
    if not isinstance(value, kind):
        raise InvalidRequest(f"{name} must be of type {kind.__name__}")
    if isinstance(value, str) and not 0 < len(value) <= max_len:
        raise InvalidRequest(f"{name} must be 1-{max_len} characters")
    return value


def authenticate_device(
    svc: Services,
    tenant: ActiveTenant,
    token: object,
    typ: str,
    action: str | None = None,
) -> tuple[Device, Proof]:
    """Verify a device-signed proof; `action` pins what the proof may be used for."""
    found: dict[str, Device] = {}

    def lookup(device_id: str):
        device = svc.devices.get(tenant.tenant_id, device_id)
        if device is None:
            return None
        found["device"] = device
        return _public_key(tuple(sorted(device.public_jwk.items())))

    proof = verify_with_device(token, typ, lookup, tenant.issuer, svc.now())
    if action is not None and proof.claims.get("act") != action:
        raise InvalidDeviceProof(f"this proof is not for '{action}'")
    return found["device"], proof


@functools.lru_cache(maxsize=1024)
def _public_key(jwk: tuple[tuple[str, str], ...]) -> ec.EllipticCurvePublicKey:
    """A phone's key, loaded once per container: OpenSSL checks the point each time."""
    return public_key_from_jwk(dict(jwk))


def spend(svc: Services, tenant: ActiveTenant, device: Device, proof: Proof) -> None:
    """Use a proof up, once its request is known good: a replayed copy is then refused.
    Its jti is remembered as long as the proof could pass the freshness check."""
    keep_until = svc.now() + MAX_AGE_SECONDS + MAX_CLOCK_SKEW_SECONDS
    if not svc.limits.first_use(
        tenant.tenant_id, "jti", f"{device.device_id}#{proof.jti}", keep_until
    ):
        raise InvalidDeviceProof("this proof was already used")
