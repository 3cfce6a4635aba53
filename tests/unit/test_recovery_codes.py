"""Recovery codes' format, normalisation and keyed hash (domain/secret_codes.py), and what a
sign-in with one claims (domain/tokens.py)."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain import secret_codes, signins, tokens
from tests.unit.fakes import ScriptedRandom, SeededRandom

# Two groups of five Crockford base32 symbols: digits and letters without I, L, O, U.
RECOVERY_CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")
KEY = secret_codes.recovery_key(b"\x01" * 32)


def test_a_set_is_ten_distinct_codes_of_two_groups_of_five_crockford_symbols():
    """Needs new_recovery_codes to draw 10 symbols of 5 bits from the CSPRNG per code (50
    bits, far beyond what the backoff lets anyone guess online)."""
    for seed in range(100):
        codes = secret_codes.new_recovery_codes(SeededRandom(seed))
        assert len(codes) == len(set(codes)) == secret_codes.RECOVERY_CODES == 10
        assert all(RECOVERY_CODE.fullmatch(code) for code in codes), codes


def test_a_code_drawn_twice_is_drawn_again():
    """Needs the set's codes distinct: without it, a set could hold fewer than ten uses."""
    draws = [0] * 20 + [d for i in range(1, 10) for d in [i] * 10]  # the first code twice
    codes = secret_codes.new_recovery_codes(ScriptedRandom(draws))
    assert codes[0] == "00000-00000" and codes[1] == "11111-11111"
    assert len(set(codes)) == 10


@pytest.mark.parametrize(
    "typed",
    [
        "7K3M0-Q1ZAB",
        "7k3m0-q1zab",
        "7K3M0 Q1ZAB",
        "7K3M0Q1ZAB",
        "  7k3m0 q1zab ",
        "7K3MO-Q1ZAB",  # letter O for zero
        "7K3M0-QIZAB",  # letter I for one
        "7K3M0-QlZAB",  # lower-case l for one
        "7K3M0-QLZAB",  # upper-case L for one
        "7K-3M0-Q1-ZAB",
    ],
)
def test_codes_typed_from_paper_normalise_to_the_issued_code(typed):
    assert secret_codes.normalise_recovery_code(typed) == "7K3M0-Q1ZAB"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "-----",
        "7K3M0-Q1ZA",  # too short
        "7K3M0-Q1ZAB1",  # too long
        "7K3M0-Q1ZAU",  # U is not a Crockford symbol
        "7K3M0_Q1ZAB",
        "7K3M0-Q1ZA!",
        "７K3M0-Q1ZAB",  # full-width digit
        "7K3M-0Q1Z-AB2C-9XYZ",  # an activation code
    ],
)
def test_text_that_cannot_be_a_recovery_code_is_refused(typed):
    assert secret_codes.normalise_recovery_code(typed) is None


def test_a_fresh_code_is_already_normal():
    for code in secret_codes.new_recovery_codes(SeededRandom(7)):
        assert secret_codes.normalise_recovery_code(code) == code


def test_the_stored_hash_needs_the_tenants_key_and_is_bound_to_the_username():
    """Needs a keyed hash (HMAC under recovery_key): a bare SHA-256 of a 50-bit code can be
    searched through offline by whoever reads the table."""
    code = "7K3M0-Q1ZAB"
    stored = secret_codes.recovery_code_hash(KEY, "alice@acme.test", code)

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", stored)
    assert stored == secret_codes.recovery_code_hash(KEY, "alice@acme.test", code)
    assert stored != secret_codes.hash_secret(code)
    assert stored != secret_codes.recovery_code_hash(KEY, "bob@acme.test", code)
    other_tenant = secret_codes.recovery_key(b"\x02" * 32)
    assert stored != secret_codes.recovery_code_hash(other_tenant, "alice@acme.test", code)
    assert KEY not in (b"\x01" * 32, secret_codes.recovery_key(b"\x02" * 32))


@pytest.mark.parametrize(
    ("amr", "acr"),
    [
        (tokens.RECOVERY_AMR, tokens.ACR_RECOVERY),
        (signins.PASSWORD_AMR, tokens.ACR_PASSWORD),
        (signins.PHONE_AMR, tokens.ACR_TWO_STEP),
        (signins.PASSWORD_AND_TOTP_AMR, tokens.ACR_TWO_STEP),
        (signins.PASSWORD_AND_PHONE_AMR, tokens.ACR_TWO_STEP),
    ],
)
def test_a_recovery_sign_in_has_its_own_acr_and_claims_no_second_step(amr, acr):
    """Needs acr_of to tell a recovery code (one factor, "otp") from the others: without
    it, it would pass as a password, or as two steps."""
    assert tokens.acr_of(amr) == acr
    assert tokens.RECOVERY_AMR == ("otp",)
    assert "mfa" not in tokens.RECOVERY_AMR and "pwd" not in tokens.RECOVERY_AMR
