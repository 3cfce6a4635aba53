"""Usernames: one spelling per account, and the user key sign-ins are filed under."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain.accounts import MAX_USERNAME, normalise_username, user_key
from chalicelib.errors import InvalidRequest


def test_full_width_and_upper_case_letters_name_the_same_account():
    assert normalise_username("Ａlice@Example.COM") == "alice@example.com"
    assert normalise_username("alice@example.com") == "alice@example.com"


def test_casefold_treats_sharp_s_as_ss():
    assert normalise_username("STRASSE") == normalise_username("straße") == "strasse"


def test_surrounding_whitespace_is_ignored():
    assert normalise_username("  alice@example.com \t") == "alice@example.com"


def test_the_longest_username_is_accepted():
    assert normalise_username("a" * MAX_USERNAME) == "a" * MAX_USERNAME


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "a" * (MAX_USERNAME + 1),
        "ali\x00ce",
        "ali\tce",
        "ali\nce",
        "ali\u200bce",  # zero-width space (a format character)
        "ali\u2028ce",  # line separator
        "\x1b[31malice",
    ],
)
def test_unusable_usernames_are_refused(raw):
    with pytest.raises(InvalidRequest):
        normalise_username(raw)


@pytest.mark.parametrize("raw", [None, 42, b"alice", ["alice"]])
def test_non_strings_are_refused(raw):
    with pytest.raises(InvalidRequest):
        normalise_username(raw)


def test_user_key_is_16_hex_characters_and_deterministic():
    key = user_key("alice@example.com")
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    assert key == user_key("alice@example.com")
    assert key != user_key("bob@example.com")


def test_spellings_of_one_username_share_a_user_key():
    assert user_key(normalise_username("ALICE@example.com")) == user_key(
        normalise_username("alice@EXAMPLE.com")
    )
