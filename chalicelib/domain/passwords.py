"""Password hashing: Argon2id with a per-user salt, checked in constant time (no I/O).

Phone sign-in is the point of this service; passwords remain for the fallback ("use your
password instead") and for people who lose their phone. Argon2id at OWASP's minimum (19 MiB,
2 passes, 1 lane) rather than scrypt at OWASP's minimum (N=2^17, 128 MiB): the two defend
alike, and Argon2id's takes about 25 ms of a core where scrypt's takes 420 ms, 1.5 s on a
512 MB Lambda's share of one. argon2-cffi (the reference implementation's bindings) does the
hashing: a well-kept library for security-critical work earns its 41 KB of zip. The cost comes from
settings; hashes made with older parameters, or with the scrypt this service used before, are
made again at the next right password (`outdated`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass

from chalicelib import contract
from chalicelib.domain import secret_codes
from chalicelib.domain.secret_codes import RandomSource
from chalicelib.errors import InvalidRequest

OWASP_MEMORY_KIB, OWASP_TIME_COST, LANES = 19456, 2, 1  # OWASP Password Storage Cheat Sheet
SALT_BYTES, HASH_BYTES = 16, 32
MIN_LENGTH = 8
MAX_LENGTH = contract.schema("PasswordSignIn")["properties"]["password"]["maxLength"]
ARGON2ID = "$argon2id$"


@dataclass(frozen=True)
class PasswordHasher:
    """Argon2id at one cost: `memory_kib` and `time_cost` (passes), one lane."""

    memory_kib: int = OWASP_MEMORY_KIB
    time_cost: int = OWASP_TIME_COST

    def hash(self, password: str, rng: RandomSource) -> str:
        if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
            raise InvalidRequest(f"a password must have {MIN_LENGTH}-{MAX_LENGTH} characters")
        return self._argon2(password.encode("utf-8"), rng.token_bytes(SALT_BYTES))

    def verify(self, password: str, stored: str | None) -> bool:
        """Right for this stored hash; with none (an unknown account, or no password), the
        same work against a decoy, so every answer costs the same time and nobody can tell
        which usernames exist."""
        if len(password) > MAX_LENGTH:
            return False
        return self.check(password, stored or self.decoy) and stored is not None

    def check(self, password: str, encoded: str) -> bool:
        """The work of one check: Argon2id, or scrypt for a hash made before Argon2id."""
        secret = password.encode("utf-8")
        if encoded.startswith(ARGON2ID):
            from argon2 import Type, low_level  # deferred: only password checks load it
            from argon2.exceptions import InvalidHashError, VerificationError

            try:
                return low_level.verify_secret(encoded.encode("ascii"), secret, Type.ID)
            except (VerificationError, InvalidHashError):
                return False
        scheme, *cost, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        n, r, p = (int(part) for part in cost)
        derived = hashlib.scrypt(
            secret,
            salt=secret_codes.b64url_decode(salt),
            n=n,
            r=r,
            p=p,
            maxmem=256 * r * n,
            dklen=32,
        )
        return hmac.compare_digest(derived, secret_codes.b64url_decode(digest))

    def outdated(self, stored: str) -> bool:
        """Made by another scheme or with less work than today's cost: hash it again while the
        password is known."""
        if not stored.startswith(ARGON2ID):
            return True
        params = dict(
            part.split("=") for part in stored.split("$")[3].split(",")
        )  # "m=19456,t=2,p=1"
        return int(params["m"]) < self.memory_kib or int(params["t"]) < self.time_cost

    @functools.cached_property
    def decoy(self) -> str:
        """A hash of nothing at today's cost, made once per container."""
        return self._argon2(b"", bytes(SALT_BYTES))

    def _argon2(self, secret: bytes, salt: bytes) -> str:
        from argon2 import Type, low_level  # deferred: only password checks load it

        return low_level.hash_secret(
            secret,
            salt,
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=LANES,
            hash_len=HASH_BYTES,
            type=Type.ID,
        ).decode("ascii")
