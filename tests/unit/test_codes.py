"""Activation codes and hashed secrets (chalicelib/domain/secret_codes.py)."""

from __future__ import annotations

import hmac
import re

import pytest

from chalicelib.domain import secret_codes
from tests.unit.fakes import SeededRandom

# Crockford base32: digits and letters without I, L, O, U.
CROCKFORD_CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")


def test_activation_code_is_four_groups_of_four_crockford_symbols():
    for seed in range(200):
        code = secret_codes.new_activation_code(SeededRandom(seed))
        assert CROCKFORD_CODE.fullmatch(code), code


def test_activation_codes_do_not_repeat(rng):
    assert len({secret_codes.new_activation_code(rng) for _ in range(500)}) == 500


def test_a_fresh_code_is_already_normal(rng):
    code = secret_codes.new_activation_code(rng)
    assert secret_codes.normalise_activation_code(code) == code


@pytest.mark.parametrize(
    "typed",
    [
        "7K3M-0Q1Z-AB2C-9XYZ",
        "7k3m-0q1z-ab2c-9xyz",
        "7K3M 0Q1Z AB2C 9XYZ",
        "7K3M0Q1ZAB2C9XYZ",
        "  7k3m-0q1z ab2c9xyz ",
        "7K3M-OQ1Z-AB2C-9XYZ",  # letter O for zero
        "7K3M-0QIZ-AB2C-9XYZ",  # letter I for one
        "7K3M-0QlZ-AB2C-9XYZ",  # lower-case l for one
        "7K3M-0QLZ-AB2C-9XYZ",  # upper-case L for one
    ],
)
def test_typed_codes_normalise_to_the_issued_code(typed):
    assert secret_codes.normalise_activation_code(typed) == "7K3M-0Q1Z-AB2C-9XYZ"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "----",
        "7K3M-0Q1Z-AB2C",  # too short
        "7K3M-0Q1Z-AB2C-9XY",
        "7K3M-0Q1Z-AB2C-9XYZ-1",  # too long
        "7K3M-0Q1Z-AB2C-9XYU",  # U is not a Crockford symbol
        "7K3M_0Q1Z_AB2C_9XYZ",
        "7K3M-0Q1Z-AB2C-9XY!",
        "７K3M-0Q1Z-AB2C-9XYZ",  # full-width digit
    ],
)
def test_text_that_cannot_be_a_code_is_refused(typed):
    assert secret_codes.normalise_activation_code(typed) is None


def test_a_secret_matches_its_own_hash_only():
    stored = secret_codes.hash_secret("correct horse")
    assert stored != "correct horse"
    assert secret_codes.same_secret("correct horse", stored)
    assert not secret_codes.same_secret("correct horsE", stored)
    assert not secret_codes.same_secret("", stored)


def test_hashing_is_deterministic_and_url_safe(rng):
    secret = secret_codes.new_secret(rng)
    assert secret_codes.hash_secret(secret) == secret_codes.hash_secret(secret)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret_codes.hash_secret(secret))


@pytest.mark.parametrize("stored", [None, ""])
def test_no_stored_hash_never_matches(stored):
    assert not secret_codes.same_secret("anything", stored)
    assert not secret_codes.same_secret("", stored)


def test_comparison_is_constant_time(monkeypatch):
    """Timing cannot be measured reliably here, so check the comparison is hmac's."""
    compared = []

    def compare_digest(a, b):
        compared.append((a, b))
        return a == b

    monkeypatch.setattr(hmac, "compare_digest", compare_digest)
    stored = secret_codes.hash_secret("s3cret")
    assert secret_codes.same_secret("s3cret", stored)
    assert compared == [(stored, stored)]


def test_new_secret_has_the_entropy_asked_for(rng):
    assert len(secret_codes.b64url_decode(secret_codes.new_secret(rng))) == 32
    assert len(secret_codes.b64url_decode(secret_codes.new_secret(rng, 16))) == 16
