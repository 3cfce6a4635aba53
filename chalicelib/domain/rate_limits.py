"""What a rate limit answers: an attempt let through, or a window that is full."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """One attempt let through: `failures` counts it already (counted before it is checked)."""

    pk: str
    failures: int


@dataclass(frozen=True)
class Refused:
    """A rate refused: which window ("minute" or "day") was full, and when it opens."""

    window: str
    until: int
    first: bool  # the first refusal in this window here: worth one audit line, not a flood's
