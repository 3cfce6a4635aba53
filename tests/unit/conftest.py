from __future__ import annotations

import pytest

from tests.unit.fakes import SeededRandom


@pytest.fixture
def rng() -> SeededRandom:
    return SeededRandom(2024)
