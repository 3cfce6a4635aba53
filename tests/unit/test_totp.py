"""RFC 6238 one-time passwords."""

from __future__ import annotations

import pytest

from chalicelib.domain import totp

RFC_SECRET = b"12345678901234567890"  # RFC 6238 Appendix B, HMAC-SHA1


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_appendix_b_sha1_vectors(unix_time, code):
    assert totp.code_at(RFC_SECRET, unix_time, digits=8) == code


def test_six_digit_codes_are_the_low_digits_of_the_same_value():
    assert totp.code_at(RFC_SECRET, 59) == "287082"
    assert totp.code_at(RFC_SECRET, 1111111109) == "081804"  # leading zero kept


MID_STEP = 1111111095  # 15 s into a 30 s step


def test_the_current_step_and_one_either_side_are_accepted():
    for offset in (-30, 0, 30):
        assert totp.verify(RFC_SECRET, totp.code_at(RFC_SECRET, MID_STEP + offset), MID_STEP)


def test_codes_two_steps_away_are_refused():
    for offset in (-60, 60):
        assert not totp.verify(RFC_SECRET, totp.code_at(RFC_SECRET, MID_STEP + offset), MID_STEP)


def test_window_zero_accepts_only_the_current_step():
    assert totp.verify(RFC_SECRET, totp.code_at(RFC_SECRET, MID_STEP), MID_STEP, window=0)
    previous = totp.code_at(RFC_SECRET, MID_STEP - 30)
    assert not totp.verify(RFC_SECRET, previous, MID_STEP, window=0)


def test_a_code_from_another_secret_is_refused():
    code = totp.code_at(b"another secret of twenty", MID_STEP)
    assert code != totp.code_at(RFC_SECRET, MID_STEP)
    assert not totp.verify(RFC_SECRET, code, MID_STEP)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "28708",
        "2870820",
        "94287082",  # the 8-digit form
        "28708a",
        " 87082",
        "-87082",
        "٢٨٧٠٨٢",  # Arabic-Indic digits: isdigit() but not ASCII
        "²⁸⁷⁰⁸²",
        287082,
        None,
    ],
)
def test_malformed_codes_are_refused_not_raised(code):
    assert totp.verify(RFC_SECRET, code, 59) is False


def test_matching_step_names_the_step_a_code_belongs_to():
    step = MID_STEP // totp.STEP_SECONDS
    for offset in (-1, 0, 1):
        code = totp.code_at(RFC_SECRET, MID_STEP + offset * totp.STEP_SECONDS)
        assert totp.matching_step(RFC_SECRET, code, MID_STEP) == step + offset
    too_old = totp.code_at(RFC_SECRET, MID_STEP - 2 * totp.STEP_SECONDS)
    assert totp.matching_step(RFC_SECRET, too_old, MID_STEP) is None


@pytest.mark.parametrize("code", ["", "28708", "28708a", "٢٨٧٠٨٢", "²⁸⁷⁰⁸²", 287082, None])
def test_matching_step_refuses_malformed_codes_without_raising(code):
    assert totp.matching_step(RFC_SECRET, code, 59) is None


def test_base32_round_trip_without_padding(rng):
    secret = totp.new_secret(rng)
    assert len(secret) == totp.SECRET_BYTES
    text = totp.base32(secret)
    assert "=" not in text
    assert totp.from_base32(text) == secret


def test_otpauth_uri_names_issuer_account_and_parameters():
    uri = totp.otpauth_uri(RFC_SECRET, "Acme Corp", "alice@acme.test")
    assert uri.startswith("otpauth://totp/Acme%20Corp%3Aalice%40acme.test?")
    assert f"secret={totp.base32(RFC_SECRET)}" in uri
    assert "issuer=Acme%20Corp" in uri
    assert "digits=6" in uri
    assert "period=30" in uri
