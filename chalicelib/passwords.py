"""Password hashing: scrypt with a per-user salt, compared in constant time (no I/O).

Phone sign-in is the point of this service; passwords remain for the fallback ("use your
password instead") and for people who lose their phone. The cost comes from settings
(SCRYPT_N), at least OWASP's floor in production: N=2^17, r=8, p=1 (128 MiB, about a quarter
of a second). A hash made with older, cheaper parameters is made again at the next right
password (`outdated`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from . import codes
from .codes import RandomSource
from .errors import InvalidRequest

OWASP_N, R, P = 2**17, 8, 1  # OWASP Password Storage Cheat Sheet: scrypt's minimum
MIN_LENGTH = 8
MAX_LENGTH = 256


@dataclass(frozen=True)
class Scrypt:
    """scrypt at one cost: `n` is the CPU/memory cost (a power of two), r and p fixed."""

    n: int = OWASP_N

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError("scrypt's N must be a power of two")

    def derive(self, password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        """The one place a password is stretched (128 * r * n bytes of memory)."""
        return hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n, dklen=32
        )

    def hash(self, password: str, rng: RandomSource) -> str:
        if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
            raise InvalidRequest(f"a password must have {MIN_LENGTH}-{MAX_LENGTH} characters")
        salt = rng.token_bytes(16)
        digest = self.derive(password, salt, self.n, R, P)
        return f"scrypt${self.n}${R}${P}${codes.b64url(salt)}${codes.b64url(digest)}"

    @property
    def _decoy(self) -> str:
        """Checked against when the account is unknown or has no password, at today's cost,
        so every answer costs the same time and nobody can tell which usernames exist."""
        return f"scrypt${self.n}${R}${P}${codes.b64url(bytes(16))}${codes.b64url(bytes(32))}"

    def verify(self, password: str, stored: str | None) -> bool:
        scheme, n, r, p, salt, digest = (stored or self._decoy).split("$")
        if scheme != "scrypt" or len(password) > MAX_LENGTH:
            return False
        candidate = self.derive(password, codes.b64url_decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(candidate, codes.b64url_decode(digest)) and stored is not None

    def outdated(self, stored: str) -> bool:
        """Made with less work than today's cost: hash it again while the password is known."""
        scheme, n, r, p, *_ = stored.split("$")
        return scheme != "scrypt" or int(n) * int(r) * int(p) < self.n * R * P
