"""Password hashing: scrypt with a per-user salt, compared in constant time (no I/O).

Phone sign-in is the point of this service; passwords remain for the fallback ("use your
password instead") and for people who lose their phone.
"""

from __future__ import annotations

import hashlib
import hmac

from . import codes
from .codes import RandomSource
from .errors import InvalidRequest

N, R, P = 2**15, 8, 1  # ~32 MiB and tens of milliseconds per check: RFC 7914 interactive use
MIN_LENGTH = 8
MAX_LENGTH = 256


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=2**26, dklen=32
    )


def hash_password(password: str, rng: RandomSource) -> str:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidRequest(f"a password must have {MIN_LENGTH}-{MAX_LENGTH} characters")
    salt = rng.token_bytes(16)
    digest = _derive(password, salt, N, R, P)
    return f"scrypt${N}${R}${P}${codes.b64url(salt)}${codes.b64url(digest)}"


# Checked against when the account is unknown or has no password, so every answer costs the
# same time and an attacker cannot tell which usernames exist.
_DECOY = f"scrypt${N}${R}${P}${codes.b64url(bytes(16))}${codes.b64url(bytes(32))}"


def verify_password(password: str, stored: str | None) -> bool:
    scheme, n, r, p, salt, digest = (stored or _DECOY).split("$")
    if scheme != "scrypt" or len(password) > MAX_LENGTH:
        return False
    candidate = _derive(password, codes.b64url_decode(salt), int(n), int(r), int(p))
    return hmac.compare_digest(candidate, codes.b64url_decode(digest)) and stored is not None
