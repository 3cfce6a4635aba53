"""The phone's secrets at rest, locked by a PIN: scrypt derives the key, AES-GCM seals.

On a real phone this is the Secure Enclave or Android Keystore with a biometric or PIN
gate; here the PIN plays the screen lock. Without the PIN the file signs nothing.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1


class WrongPin(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(pin.encode("utf-8"))


@dataclass
class Secrets:
    private_key: ec.EllipticCurvePrivateKey
    totp_secret: str | None = None  # base32, as the service issued it


def lock(secrets: Secrets, pin: str, n: int = SCRYPT_N) -> dict:
    salt, nonce = os.urandom(16), os.urandom(12)
    der = secrets.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    plaintext = json.dumps({"private_key": _b64(der), "totp_secret": secrets.totp_secret}).encode()
    sealed = AESGCM(_derive(pin, salt, n, SCRYPT_R, SCRYPT_P)).encrypt(nonce, plaintext, b"phone")
    return {
        "kdf": "scrypt",
        "n": n,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": _b64(salt),
        "nonce": _b64(nonce),
        "ciphertext": _b64(sealed),
    }


def unlock(locked: dict, pin: str) -> Secrets:
    key = _derive(pin, _unb64(locked["salt"]), locked["n"], locked["r"], locked["p"])
    try:
        plaintext = AESGCM(key).decrypt(
            _unb64(locked["nonce"]), _unb64(locked["ciphertext"]), b"phone"
        )
    except InvalidTag as err:
        raise WrongPin("wrong PIN") from err
    data = json.loads(plaintext)
    private = serialization.load_der_private_key(_unb64(data["private_key"]), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return Secrets(private_key=private, totp_secret=data.get("totp_secret"))
