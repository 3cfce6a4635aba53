"""Stand-ins for the core's ports: only randomness here (time is passed in as plain ints)."""

from __future__ import annotations

import random


class SeededRandom:
    """A repeatable random source with the interface of the `secrets` module."""

    def __init__(self, seed: int = 0):
        self._random = random.Random(seed)  # noqa: S311 - deterministic on purpose, tests only

    def token_bytes(self, nbytes: int) -> bytes:
        return self._random.randbytes(nbytes)

    def randbelow(self, exclusive_upper_bound: int) -> int:
        return self._random.randrange(exclusive_upper_bound)


class ScriptedRandom:
    """Answers `randbelow` from a fixed list, to drive the core down one exact path."""

    def __init__(self, draws: list[int]):
        self._draws = list(draws)

    def token_bytes(self, nbytes: int) -> bytes:
        return bytes(nbytes)

    def randbelow(self, exclusive_upper_bound: int) -> int:
        draw = self._draws.pop(0)
        assert 0 <= draw < exclusive_upper_bound, "script asks for a value the core cannot get"
        return draw
