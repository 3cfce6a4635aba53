"""The WebAuthn ceremonies, checked by fido2 (Yubico's python-fido2): the options a browser
hands to navigator.credentials, and the verification of what it answers (no I/O).

fido2's Fido2Server checks each response as WebAuthn Level 3 says (7.1, 7.2): the type, the
origin (here: exactly the page's, not any subdomain), the challenge, the RP ID hash, user
presence, user verification (required, always) and, for an assertion, the signature by the
stored key. Attestation "none": no authenticator model is required or trusted. Around it,
what WebAuthn leaves to the relying party: the signature counter (a cloned authenticator),
the backup flags (BE fixed for a credential's life, BS only with BE), the user handle.

A body that is not a WebAuthn response at all is InvalidRequest (400); one that is, but does
not verify, is InvalidPasskey (401), with the reason for developers.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from fido2.server import Fido2Server
    from fido2.webauthn import AuthenticationResponse, RegistrationResponse

from chalicelib.domain.passkeys import CHALLENGE_SECONDS, Challenge, Passkey, RelyingParty
from chalicelib.domain.secret_codes import b64url, b64url_decode
from chalicelib.errors import InvalidPasskey, InvalidRequest

# fido2 (about 25 ms of a cold start, most of it fido2.webauthn's dataclasses) is imported by the
# first passkey call, not at import: most containers answer no passkey request.
TRANSPORTS = frozenset({"ble", "hybrid", "internal", "nfc", "smart-card", "usb"})
MAX_CREDENTIAL_ID = 1023  # bytes (WebAuthn 5.8.3)
# What fido2 raises on a response it parsed but cannot verify: a 4xx, never a 500.
_BAD = (ValueError, TypeError, KeyError, IndexError, struct.error)
T = TypeVar("T", "RegistrationResponse", "AuthenticationResponse")


@dataclass(frozen=True)
class Registered:
    """A new credential, verified: what the store keeps of it."""

    credential_id: str
    public_key: bytes
    sign_count: int
    backup_eligible: bool
    backup_state: bool
    aaguid: str
    transports: tuple[str, ...]


@dataclass(frozen=True)
class Assertion:
    """An assertion parsed, not yet verified: which credential and whose it claims to be."""

    response: AuthenticationResponse
    credential_id: str
    account_id: str | None  # the user handle: None when the authenticator sent none


@dataclass(frozen=True)
class Verified:
    """An assertion verified: the counter and backup state to store."""

    sign_count: int
    backup_state: bool


def _algorithms() -> tuple:
    """ES256 first (every platform authenticator has it), RS256 for Windows Hello's older keys."""
    from fido2.cose import ES256, RS256  # deferred: see above

    return (ES256, RS256)


def _server(rp: RelyingParty) -> Fido2Server:
    from fido2.server import Fido2Server  # deferred: see above
    from fido2.webauthn import (
        AttestationConveyancePreference,
        PublicKeyCredentialParameters,
        PublicKeyCredentialRpEntity,
        PublicKeyCredentialType,
    )

    server = Fido2Server(
        PublicKeyCredentialRpEntity(id=rp.id, name=rp.name),
        attestation=AttestationConveyancePreference.NONE,
        verify_origin=lambda origin: origin == rp.origin,
    )
    server.allowed_algorithms = [
        PublicKeyCredentialParameters(type=PublicKeyCredentialType.PUBLIC_KEY, alg=alg.ALGORITHM)
        for alg in _algorithms()
    ]
    server.timeout = CHALLENGE_SECONDS * 1000  # type: ignore[assignment]  # typed as None
    return server


def _state(challenge: Challenge) -> dict:
    """What fido2 keeps between begin and complete; here it comes from the stored challenge."""
    from fido2.webauthn import UserVerificationRequirement  # deferred: see above

    return {
        "challenge": b64url(challenge.challenge),
        "user_verification": UserVerificationRequirement.REQUIRED,
    }


def creation_options(
    rp: RelyingParty, challenge: Challenge, username: str, existing: list[Passkey]
) -> dict:
    """publicKey for navigator.credentials.create, JSON-ready (binary members base64url): a
    discoverable credential (the hosted page finds it without a username) with user
    verification, for the account's random id, none of the person's existing ones again."""
    from fido2.webauthn import (  # deferred: see above
        AuthenticatorTransport,
        PublicKeyCredentialDescriptor,
        PublicKeyCredentialType,
        PublicKeyCredentialUserEntity,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    if challenge.account_id is None:
        raise ValueError("a registration challenge names its account")
    options, _ = _server(rp).register_begin(
        PublicKeyCredentialUserEntity(
            id=challenge.account_id.encode(), name=username, display_name=username
        ),
        credentials=[
            PublicKeyCredentialDescriptor(
                type=PublicKeyCredentialType.PUBLIC_KEY,
                id=b64url_decode(p.credential_id),
                transports=[AuthenticatorTransport(t) for t in p.transports] or None,
            )
            for p in existing
        ],
        resident_key_requirement=ResidentKeyRequirement.REQUIRED,
        user_verification=UserVerificationRequirement.REQUIRED,
        challenge=challenge.challenge,
    )
    return _json(options)["publicKey"]


def request_options(rp: RelyingParty, challenge: Challenge) -> dict:
    """publicKey for navigator.credentials.get: no allowCredentials, so the browser offers
    every passkey it has for the RP ID (a button, or the username field's autofill)."""
    from fido2.webauthn import UserVerificationRequirement  # deferred: see above

    options, _ = _server(rp).authenticate_begin(
        credentials=[],
        user_verification=UserVerificationRequirement.REQUIRED,
        challenge=challenge.challenge,
    )
    return _json(options)["publicKey"]


def _json(options: Any) -> Any:
    """fido2's options as plain JSON values (nested mappings to dicts, bytes to base64url)."""
    if hasattr(options, "keys"):
        return {key: _json(options[key]) for key in options}
    if isinstance(options, list | tuple):
        return [_json(value) for value in options]
    return options


def _parsed(kind: type[T], credential: object, binary: tuple[str, ...]) -> T:
    """fido2's parse of a PublicKeyCredential's JSON, after the checks it does not make: it
    turns a number where bytes belong into that many zero bytes, and a list where a mapping
    belongs fails with errors of any kind. Whatever it then refuses, in whatever way (deeply
    nested client data, truncated CBOR), is a bad request."""
    response = credential.get("response") if isinstance(credential, dict) else None
    if (
        not isinstance(credential, dict)
        or not isinstance(response, dict)
        or not isinstance(credential.get("rawId"), str)
        or not isinstance(credential.get("id", ""), str)
        or credential.get("type", "public-key") != "public-key"
        or not isinstance(credential.get("authenticatorAttachment") or "", str)
        or not isinstance(credential.get("clientExtensionResults") or {}, dict)
        or not all(isinstance(response.get(name) or "", str) for name in binary)
    ):
        raise InvalidRequest(f"credential is not a WebAuthn {kind.__name__}")
    try:
        return kind.from_dict(credential)
    except Exception as err:  # untrusted input: any failure to parse it is a 400
        raise InvalidRequest(f"credential is not a WebAuthn {kind.__name__}") from err


def verify_registration(rp: RelyingParty, challenge: Challenge, credential: dict) -> Registered:
    from fido2 import cbor  # deferred: see above
    from fido2.webauthn import RegistrationResponse

    response = _parsed(RegistrationResponse, credential, ("clientDataJSON", "attestationObject"))
    try:
        auth_data = _server(rp).register_complete(_state(challenge), response)
    except _BAD as err:
        raise InvalidPasskey(f"The passkey could not be registered: {err}") from err
    attested = auth_data.credential_data
    if attested is None or attested.credential_id != response.raw_id:
        raise InvalidPasskey("The credential id is not the one the authenticator made.")
    if len(attested.credential_id) > MAX_CREDENTIAL_ID:
        raise InvalidPasskey("The credential id is too long.")
    if not isinstance(attested.public_key, _algorithms()):
        raise InvalidPasskey("The passkey's algorithm is not one offered (ES256, RS256).")
    _check_backup_flags(auth_data.is_backup_eligible(), auth_data.is_backed_up())
    return Registered(
        credential_id=b64url(attested.credential_id),
        public_key=cbor.encode(attested.public_key),
        sign_count=auth_data.counter,
        backup_eligible=auth_data.is_backup_eligible(),
        backup_state=auth_data.is_backed_up(),
        aaguid=str(attested.aaguid),
        transports=transports_of(credential),
    )


def transports_of(credential: dict) -> tuple[str, ...]:
    """The transports the browser reports (response.transports), known ones only: handed
    back in excludeCredentials, so a browser knows where to look."""
    sent = (credential.get("response") or {}).get("transports") or []
    return tuple(sorted({t for t in sent if isinstance(t, str) and t in TRANSPORTS}))


def parse_assertion(credential: dict) -> Assertion:
    from fido2.webauthn import AuthenticationResponse  # deferred: see above

    binary = ("clientDataJSON", "authenticatorData", "signature", "userHandle")
    response = _parsed(AuthenticationResponse, credential, binary)
    handle = response.response.user_handle
    try:
        account_id = None if not handle else handle.decode("ascii")
    except UnicodeDecodeError as err:
        raise InvalidRequest("userHandle is not an account id of this service") from err
    return Assertion(response, b64url(response.raw_id), account_id)


def verify_assertion(
    rp: RelyingParty, challenge: Challenge, assertion: Assertion, passkey: Passkey
) -> Verified:
    """The assertion verifies with the stored key, and its flags and counter fit the stored
    credential: BE as registered, and a counter that went up (unless the authenticator keeps
    none: 0 then and 0 now)."""
    from fido2 import cbor  # deferred: see above
    from fido2.cose import CoseKey
    from fido2.webauthn import Aaguid, AttestedCredentialData

    try:
        key = CoseKey.parse(cast(dict, cbor.decode(passkey.public_key)))
        stored = AttestedCredentialData.create(
            Aaguid.NONE, b64url_decode(passkey.credential_id), key
        )
        _server(rp).authenticate_complete(_state(challenge), [stored], assertion.response)
    except _BAD as err:
        raise InvalidPasskey(f"The passkey did not verify: {err}") from err
    data = assertion.response.response.authenticator_data
    if data.is_backup_eligible() != passkey.backup_eligible:
        raise InvalidPasskey("The backup eligibility flag changed since registration.")
    _check_backup_flags(data.is_backup_eligible(), data.is_backed_up())
    if (data.counter or passkey.sign_count) and data.counter <= passkey.sign_count:
        raise InvalidPasskey("The signature counter did not increase: a cloned authenticator?")
    return Verified(sign_count=data.counter, backup_state=data.is_backed_up())


def _check_backup_flags(eligible: bool, backed_up: bool) -> None:
    if backed_up and not eligible:
        raise InvalidPasskey("Backed up (BS) but not backup eligible (BE).")
