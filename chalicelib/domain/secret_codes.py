"""Random secrets and how they are kept: shown once, stored as a hash, compared in constant time.

`rng` is anything with `token_bytes(n)` and `randbelow(n)`: the `secrets` module in
production, a seeded stand-in in tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Protocol


class RandomSource(Protocol):
    def token_bytes(self, nbytes: int) -> bytes: ...
    def randbelow(self, exclusive_upper_bound: int) -> int: ...


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Unpadded base64url in its one canonical spelling (RFC 7515 2, RFC 4648 3.5): the
    unused low bits of the last character must be zero, and nothing but the alphabet is
    read. Any other spelling of the same bytes is refused (ValueError), so a signature or a
    key coordinate cannot be re-spelled into a different string that still verifies."""
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url(raw) != text:
        raise ValueError("not canonical unpadded base64url")
    return raw


def new_secret(rng: RandomSource, nbytes: int = 32) -> str:
    return b64url(rng.token_bytes(nbytes))


def hash_secret(secret: str) -> str:
    """SHA-256 is enough for secrets with 128+ bits of entropy (not for passwords)."""
    return b64url(hashlib.sha256(secret.encode("utf-8")).digest())


def same_secret(secret: str, stored_hash: str | None) -> bool:
    if not stored_hash:
        return False
    return hmac.compare_digest(hash_secret(secret), stored_hash)


# Activation codes are typed or scanned: Crockford base32 without look-alikes, in groups of 4.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ACTIVATION_CODE_GROUPS = 4


def new_activation_code(rng: RandomSource) -> str:
    """16 symbols of 5 bits each: 80 bits, enough against guessing within a code's lifetime."""
    symbols = "".join(_CODE_ALPHABET[rng.randbelow(32)] for _ in range(4 * ACTIVATION_CODE_GROUPS))
    return "-".join(symbols[i : i + 4] for i in range(0, len(symbols), 4))


def normalise_activation_code(text: str) -> str | None:
    """Accept lower case, spaces and the usual look-alikes; None when it cannot be a code."""
    cleaned = text.upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(cleaned) != 4 * ACTIVATION_CODE_GROUPS or any(c not in _CODE_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))
