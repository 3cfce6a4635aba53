"""Numbers to match, sign-in ids, authorization codes and the sign-in life cycle."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from chalicelib.domain import signins
from chalicelib.domain.accounts import user_key
from chalicelib.domain.signins import Origin, Outcome, SignIn, Status
from chalicelib.domain.tenants import NumberMatch
from chalicelib.errors import InvalidRequest
from tests.unit.fakes import ScriptedRandom, SeededRandom

NOW = 1_750_000_000


def test_numbers_are_two_digits_from_10_to_99(rng):
    drawn = [signins.new_number(rng) for _ in range(5000)]
    assert min(drawn) == 10
    assert max(drawn) == 99


def test_numbers_at_the_edges_of_the_random_range():
    assert signins.new_number(ScriptedRandom([0])) == 10
    assert signins.new_number(ScriptedRandom([89])) == 99


def test_pick_mode_offers_three_distinct_numbers_including_the_right_one():
    for seed in range(300):
        rng = SeededRandom(seed)
        number = signins.new_number(rng)
        choices = signins.number_choices(rng, number, NumberMatch.PICK)
        assert len(choices) == signins.CHOICES == 3
        assert len(set(choices)) == 3
        assert number in choices
        assert all(10 <= n <= 99 for n in choices)


def test_decoys_that_repeat_a_number_are_drawn_again():
    # Decoy draws: 32 -> 42 (the right number), 5 -> 15, 5 -> 15 again, 60 -> 70;
    # then the shuffle leaves everything in place (j = i).
    rng = ScriptedRandom([32, 5, 5, 60, 2, 1])
    assert signins.number_choices(rng, 42, NumberMatch.PICK) == (42, 15, 70)


def test_the_right_number_lands_in_every_position_about_equally():
    positions = Counter()
    for seed in range(300):
        rng = SeededRandom(seed)
        number = signins.new_number(rng)
        positions[signins.number_choices(rng, number, NumberMatch.PICK).index(number)] += 1
    assert set(positions) == {0, 1, 2}
    assert all(70 <= count <= 130 for count in positions.values()), positions


def test_type_mode_offers_no_choices(rng):
    assert signins.number_choices(rng, 42, NumberMatch.TYPE) == ()


def test_a_signin_id_is_filed_under_its_user_key(rng):
    key = user_key("alice@example.com")
    signin_id = signins.new_signin_id(key, rng, 1_800_000_000)
    assert signins.parse_signin_id(signin_id) == key


@pytest.mark.parametrize(
    "signin_id",
    [
        None,
        42,
        b"0123456789abcdefABCDEFGHIJKLMNOPQRSTUV",
        "",
        "0123456789abcdef",
        "0123456789abcdefABCDEFGHIJKLMNOPQRSTU",  # one short
        "0123456789abcdefABCDEFGHIJKLMNOPQRSTUVW",  # one long
        "0123456789ABCDEFABCDEFGHIJKLMNOPQRSTUV",  # user key is lower-case hex
        "0123456789abcdegABCDEFGHIJKLMNOPQRSTUV",
        "0123456789abcdefABCDEFGHIJKLMNOPQRST+/",  # standard base64, not url-safe
        "0123456789abcdefABCDEFGHIJKLMNOPQRST==",
        " 0123456789abcdefABCDEFGHIJKLMNOPQRSTUV",
        "0123456789abcdefABCDEFGHIJKLMNOPQRSTUV\n",
        "0123456789abcdef#ABCDEFGHIJKLMNOPQRSTU",
    ],
)
def test_malformed_signin_ids_are_refused(signin_id):
    with pytest.raises(InvalidRequest):
        signins.parse_signin_id(signin_id)


def test_the_authorization_code_depends_on_the_binding_secret(rng):
    signin_id = signins.new_signin_id(user_key("alice@example.com"), rng, 1_800_000_000)
    code = signins.authorization_code("secret-one", signin_id)
    assert code == signins.authorization_code("secret-one", signin_id)
    assert code != signins.authorization_code("secret-two", signin_id)
    assert signins.signin_id_of_code(code) == signin_id


def test_the_authorization_code_depends_on_the_signin(rng):
    key = user_key("alice@example.com")
    first, second = (
        signins.new_signin_id(key, rng, 1_800_000_000),
        signins.new_signin_id(key, rng, 1_800_000_000),
    )
    assert signins.authorization_code("s", first) != signins.authorization_code("s", second)


@pytest.mark.parametrize(
    "code", [None, 7, "", "no-dot", "not-a-signin-id.mac", "0123456789abcdef" + "A" * 22 + "." * 91]
)
def test_malformed_codes_are_refused(code):
    with pytest.raises(InvalidRequest):
        signins.signin_id_of_code(code)


def a_signin(**changes) -> SignIn:
    fields = dict(
        tenant_id="acme",
        signin_id="0123456789abcdef" + "A" * 22,
        client_id="acme-web",
        number=42,
        choices=(17, 42, 88),
        created_at=NOW,
        expires_at=NOW + 120,
        binding_hash="binding",
        code_hash="code",
        origin=Origin.of("203.0.113.7", "Firefox"),
        account_id="acct-1",
    )
    return SignIn(**{**fields, **changes})


def test_an_undecided_signin_is_pending_until_it_expires():
    signin = a_signin()
    assert signin.status(NOW) is Status.PENDING
    assert signin.status(NOW + 119) is Status.PENDING
    assert signin.status(NOW + 120) is Status.EXPIRED
    assert signin.status(NOW + 5000) is Status.EXPIRED


def test_an_approved_signin_stays_approved_after_expiry():
    signin = replace(a_signin(), outcome=Outcome.APPROVED, decided_at=NOW + 10)
    assert signin.status(NOW + 10) is Status.APPROVED
    assert signin.status(NOW + 500) is Status.APPROVED


@pytest.mark.parametrize("outcome", [Outcome.DENIED, Outcome.FRAUD_REPORTED, Outcome.WRONG_NUMBER])
def test_every_other_outcome_shows_as_denied(outcome):
    signin = replace(a_signin(), outcome=outcome, decided_at=NOW + 10)
    assert signin.status(NOW + 10) is Status.DENIED
    assert signin.status(NOW + 500) is Status.DENIED


def test_origin_is_cut_to_what_a_phone_can_show():
    origin = Origin.of("203.0.113.7", "x" * 1000)
    assert len(origin.user_agent) == signins.MAX_USER_AGENT
    assert Origin.of(None, None) == Origin(
        ip="unknown", user_agent="unknown", device="Unknown browser"
    )


def test_the_user_agent_is_stored_without_control_or_bidi_characters():
    """Needs useragent.clean in Origin.of: a user agent with an RTL override or a newline
    would otherwise reach the audit log and the admin's terminal as sent."""
    origin = Origin.of("203.0.113.7", "Mozilla/5.0 \u202eevil\u202c\r\nX-Injected: 1\x00")
    assert all(ch.isprintable() for ch in origin.user_agent)
    assert "\u202e" not in origin.user_agent and "\n" not in origin.user_agent


def test_the_phone_is_shown_a_readable_device_not_the_user_agent():
    chrome = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    )
    assert Origin.of("203.0.113.7", chrome).device == "Chrome on Windows"


@pytest.mark.parametrize("nonce", ["", "n" * 129, "line\nbreak", 12])
def test_bad_nonces_are_refused(nonce):
    with pytest.raises(InvalidRequest):
        signins.validate_nonce(nonce)


def test_nonce_is_optional():
    assert signins.validate_nonce(None) is None
    assert signins.validate_nonce("n-0S6_WzA2Mj") == "n-0S6_WzA2Mj"


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # the same subscriber
        ("unknown", "unknown"),
    ],
)
def test_limits_per_address_count_an_ipv6_slash_64_as_one_address(ip, network):
    assert Origin.of(ip, "Firefox").network == network
