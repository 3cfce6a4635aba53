"""How the reference phone (authenticator/cli.py) chooses which waiting sign-in an answer is
for: the one named, the held one its number found, or the only one that can have the number;
never the newest on its own. And which language it says the phone speaks."""

from __future__ import annotations

import pytest

from authenticator.cli import PhoneError, WhichOne, _notice, choose, system_locale


def waiting(signin_id: str, mode: str = "type", choices=(), held: bool = False) -> dict:
    return {
        "signin_id": signin_id,
        "organisation": "Acme Corp",
        "account": "alice@acme.test",
        "app": "Acme Portal",
        "ip": "203.0.113.7",
        "device": "Chrome on Windows",
        "place": None,
        "expires_at": 2_000_000_000,
        "number_match": mode,
        "choices": list(choices),
        "held": held,
        "via": "poll",
    }


OLDER, NEWER = waiting("older"), waiting("newer")


def test_the_one_named_whatever_else_waits():
    assert choose([OLDER, NEWER], "older", 42) is OLDER
    with pytest.raises(PhoneError, match="no sign-in gone is waiting"):
        choose([OLDER, NEWER], "gone", 42)


def test_several_that_could_have_the_number_are_never_guessed_between():
    with pytest.raises(WhichOne) as asked:
        choose([OLDER, NEWER], None, 42)
    assert asked.value.candidates == [OLDER, NEWER]
    assert "[1] Approve sign-in? Acme Portal · Acme Corp" in str(asked.value)
    assert "[2] " in str(asked.value) and "--id" in str(asked.value)
    with pytest.raises(WhichOne):
        choose([OLDER, NEWER], None)  # deny: which one?


def test_the_only_one_that_can_have_the_number():
    pick = waiting("pick", "pick", (17, 42, 88))
    other = waiting("other", "pick", (10, 11, 12))
    strict = waiting("strict", "strict")
    assert choose([pick, other], None, 42) is pick
    assert choose([other, pick], None, 42) is pick
    assert choose([OLDER, strict], None, 482913) is strict  # six digits: not a typed one
    assert choose([OLDER, strict], None, 42) is OLDER
    assert choose([OLDER], None) is OLDER


def test_a_held_sign_in_its_number_found_comes_first():
    held = waiting("held", "strict", held=True)
    assert choose([OLDER, held, NEWER], None, 482918) is held


@pytest.mark.parametrize(
    ("pending", "number", "said"),
    [
        ([], 42, "no sign-in is waiting"),
        ([], None, "no sign-in is waiting"),
        ([OLDER], 482918, "no sign-in with that number is waiting"),
        ([waiting("pick", "pick", (17, 42, 88))], 43, "no waiting sign-in can have the number 43"),
    ],
)
def test_nothing_fits(pending, number, said):
    with pytest.raises(PhoneError, match=said):
        choose(pending, None, number)


@pytest.mark.parametrize(
    ("environ", "tag"),
    [
        ({"LANG": "nl_NL.UTF-8"}, "nl-NL"),
        ({"LANG": "de_DE.ISO-8859-15@euro"}, "de-DE"),
        ({"LANG": "en"}, "en"),
        ({"LANG": "zh_Hant_TW.UTF-8"}, "zh-Hant-TW"),
        ({"LC_ALL": "fr_FR.UTF-8", "LC_MESSAGES": "de_DE", "LANG": "nl_NL.UTF-8"}, "fr-FR"),
        ({"LC_MESSAGES": "de_DE.UTF-8", "LANG": "nl_NL.UTF-8"}, "de-DE"),
        ({"LC_ALL": "", "LANG": "nl_NL.UTF-8"}, "nl-NL"),  # empty is unset (POSIX)
        ({}, None),
        ({"LANG": "C"}, None),
        ({"LANG": "C.UTF-8"}, None),
        ({"LC_ALL": "POSIX", "LANG": "nl_NL.UTF-8"}, None),  # LC_ALL decides, and names none
        ({"LANG": "nl NL"}, None),  # not a language tag once spelled as one
        ({"LANG": "nl" + "_abcdefgh" * 4}, None),  # 38 characters: more than the service takes
    ],
)
def test_the_phones_language_is_the_systems_as_a_language_tag(environ, tag):
    """Needs system_locale's reading of the POSIX locale variables: LC_ALL, then LC_MESSAGES,
    then LANG; the encoding and modifier dropped and "_" made "-"; none for C and POSIX."""
    assert system_locale(environ) == tag


@pytest.mark.parametrize(
    "kind, says", [("passkey_added", "added to"), ("passkey_removed", "removed from")]
)
def test_the_phone_names_a_passkey_added_or_removed(kind, says):
    """Needs _notice to describe passkey notices: a passkey added by someone else must read as
    what it is on the person's phone, not as a bare event name."""
    line = _notice({"kind": kind, "at": 0, "name": "Work laptop", "synced": False})
    assert f"a passkey (Work laptop) was {says} this account" in line


def test_the_phone_says_where_a_recovery_code_signed_in_and_how_many_are_left():
    """Needs _notice to describe recovery-code notices: a code the person did not use must read
    as a warning with its network and device, not as the bare event name."""
    used = {"kind": "recovery_code_used", "at": 0, "remaining": 7, "network": "203.0.113.9"}
    line = _notice({**used, "device": "Firefox on Linux"})
    assert "203.0.113.9 (Firefox on Linux)" in line and "7 left" in line
    made = _notice({"kind": "recovery_codes_generated", "at": 0, "codes": 10})
    assert "recovery codes" in made and "recovery_codes_generated" not in made
