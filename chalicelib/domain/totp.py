"""RFC 6238 time-based one-time passwords: 6 digits, 30-second steps, HMAC-SHA1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from urllib.parse import quote

from chalicelib.domain.secret_codes import RandomSource

DIGITS = 6
STEP_SECONDS = 30
SECRET_BYTES = 20  # RFC 4226 recommends 160 bits for HMAC-SHA1


def new_secret(rng: RandomSource) -> bytes:
    return rng.token_bytes(SECRET_BYTES)


def code_at(secret: bytes, unix_time: float, digits: int = DIGITS) -> str:
    counter = int(unix_time // STEP_SECONDS)
    digest = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def verify(secret: bytes, code: str, unix_time: float, window: int = 1) -> bool:
    """Accept the current step and `window` steps either side (clock drift)."""
    if not (isinstance(code, str) and code.isascii() and code.isdigit() and len(code) == DIGITS):
        return False
    return any(
        hmac.compare_digest(code_at(secret, unix_time + step * STEP_SECONDS), code)
        for step in range(-window, window + 1)
    )


def matching_step(secret: bytes, code: str, unix_time: float, window: int = 1) -> int | None:
    """The time step the code belongs to (so it can be used once), or None."""
    if not (isinstance(code, str) and code.isascii() and code.isdigit() and len(code) == DIGITS):
        return None
    now_step = int(unix_time // STEP_SECONDS)
    for step in range(now_step - window, now_step + window + 1):
        if hmac.compare_digest(code_at(secret, step * STEP_SECONDS), code):
            return step
    return None


def base32(secret: bytes) -> str:
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def from_base32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def otpauth_uri(secret: bytes, issuer: str, account: str) -> str:
    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?secret={base32(secret)}&issuer={quote(issuer)}&digits={DIGITS}&period={STEP_SECONDS}"
