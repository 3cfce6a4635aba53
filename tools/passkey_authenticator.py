"""A software passkey: a minimal WebAuthn authenticator and the browser around it, for the API
tests and `make smoke` (a development tool, outside the Lambda zip).

It answers what a page would hand to navigator.credentials.create and .get (the `publicKey`
options as the service sends them, JSON) with what the browser's PublicKeyCredential.toJSON()
gives back: a P-256 (ES256) key made on `create`, attestation "none", the user-presence and
user-verification flags set, a signature counter that goes up by one per assertion (or stays 0,
as synced passkeys keep none), and the backup flags (BE, BS) of a synced or a device-bound one.

Hand-written on purpose. A real browser and authenticator never send a wrong origin, another
RP ID, a response without user verification or a counter that goes back; the tests of each of
the service's checks must send exactly those, one at a time, so every part of the response can
be forged here (`forge`). fido2 has a client for hardware authenticators, not this, and Chrome's
virtual authenticator (the browser tests) cannot be made to lie. fido2's CBOR and COSE encoders
are used for the bytes, since they are the formats and not the behaviour under test.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor
from fido2.cose import ES256

from chalicelib.domain.secret_codes import b64url, b64url_decode

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


@dataclass
class SoftwarePasskey:
    """One credential on one authenticator, for the page at `origin` (RP ID: its host)."""

    origin: str
    rp_id: str
    synced: bool = False  # BE and BS: a passkey the platform syncs (iCloud, Google)
    counts: bool = True  # a signature counter (device-bound keys); synced ones send 0
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    user_handle: bytes = b""  # set by create: the service's user.id
    counter: int = 0

    def _flags(self, forge: dict) -> int:
        flags = UP if forge.get("user_present", True) else 0
        flags |= UV if forge.get("user_verified", True) else 0
        if forge.get("backup_eligible", self.synced):
            flags |= BE
        if forge.get("backup_state", self.synced):
            flags |= BS
        return flags

    def _client_data(self, kind: str, options: dict, forge: dict) -> bytes:
        return json.dumps(
            {
                "type": forge.get("type", kind),
                "challenge": forge.get("challenge", options["challenge"]),
                "origin": forge.get("origin", self.origin),
                "crossOrigin": False,
            },
            separators=(",", ":"),
        ).encode()

    def _rp_id_hash(self, forge: dict) -> bytes:
        return hashlib.sha256(forge.get("rp_id", self.rp_id).encode()).digest()

    def create(self, options: dict, **forge) -> dict:
        """navigator.credentials.create({publicKey: options}), as JSON. `forge` may set
        origin, rp_id, challenge, type, user_present, user_verified, backup_eligible and
        backup_state to other values than a real authenticator's."""
        self.user_handle = b64url_decode(options["user"]["id"])
        public_key = ES256.from_cryptography_key(self.key.public_key())
        attested = (
            bytes(16)  # AAGUID: none given, as attestation "none" allows
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + cbor.encode(public_key)
        )
        auth_data = (
            self._rp_id_hash(forge) + struct.pack(">BI", self._flags(forge) | AT, 0) + attested
        )
        attestation = cbor.encode({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options, forge)
        return self._credential(
            {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            }
        )

    def get(self, options: dict, **forge) -> dict:
        """navigator.credentials.get({publicKey: options}), as JSON. Besides create's, `forge`
        may set counter, user_handle (bytes, or None for none) and credential_id (bytes)."""
        if self.counts:
            self.counter += 1
        counter = forge.get("counter", self.counter if self.counts else 0)
        auth_data = self._rp_id_hash(forge) + struct.pack(">BI", self._flags(forge), counter)
        client_data = self._client_data("webauthn.get", options, forge)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        handle = forge.get("user_handle", self.user_handle)
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        if handle is not None:
            response["userHandle"] = b64url(handle)
        return self._credential(response, forge.get("credential_id", self.credential_id))

    def _credential(self, response: dict, credential_id: bytes | None = None) -> dict:
        raw_id = b64url(credential_id or self.credential_id)
        return {
            "id": raw_id,
            "rawId": raw_id,
            "type": "public-key",
            "response": response,
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }
