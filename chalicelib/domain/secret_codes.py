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
    return _normalise(text, 4 * ACTIVATION_CODE_GROUPS, 4)


def _normalise(text: str, length: int, group: int) -> str | None:
    cleaned = text.upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(cleaned) != length or any(c not in _CODE_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i : i + group] for i in range(0, len(cleaned), group))


# Recovery codes: ten per set, each 10 symbols (50 bits) shown as ABCDE-FGHJK. Against online
# guessing that is plenty: failures back off per username like passwords (at most a few
# hundred guesses a year), each with a 10 in 2**50 chance. Offline, 50 bits are not: a plain
# SHA-256 of every code fits in a day of GPU time, so they are kept as an HMAC under a key
# derived from the tenant's data key (KMS-wrapped), with the username as context.
RECOVERY_CODES = 10
RECOVERY_CODE_SYMBOLS = 10


def new_recovery_codes(rng: RandomSource) -> list[str]:
    """A fresh set: RECOVERY_CODES distinct codes."""
    codes: list[str] = []
    while len(codes) < RECOVERY_CODES:
        symbols = "".join(_CODE_ALPHABET[rng.randbelow(32)] for _ in range(RECOVERY_CODE_SYMBOLS))
        code = f"{symbols[:5]}-{symbols[5:]}"
        if code not in codes:
            codes.append(code)
    return codes


def normalise_recovery_code(text: str) -> str | None:
    """As typed from paper: lower case, spaces, look-alikes; None when it cannot be one."""
    return _normalise(text, RECOVERY_CODE_SYMBOLS, 5)


def recovery_key(data_key: bytes) -> bytes:
    """The tenant's key for recovery code hashes, derived so it serves nothing else."""
    return hmac.new(data_key, b"recovery-code", hashlib.sha256).digest()


def recovery_code_hash(key: bytes, username: str, code: str) -> str:
    """What is stored of a (normalised) recovery code: only the holder of the tenant's data
    key can test a guess against it."""
    return b64url(hmac.new(key, f"{username}\n{code}".encode(), hashlib.sha256).digest())
