"""Number matching strength per tenant: type the two digits (the default), pick among three, or
strict (NIST SP 800-63B-4 out-of-band: a six-digit secret shown on the page, typed on the phone).

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import json
import secrets

import pytest

from chalicelib.domain import signins
from chalicelib.domain.tenants import NumberMatch, Policy
from tools.admin import flows as admin


class Recorder:
    """The service's random source, recording what it was asked for."""

    def __init__(self):
        self.asked: list[int] = []

    def randbelow(self, n: int) -> int:
        self.asked.append(n)
        return secrets.randbelow(n)


def push_data(endpoints, svc, phone) -> dict:
    arn = svc.devices.get("acme", phone.device_id).endpoint_arn
    (message,) = [json.loads(m) for m in endpoints[arn].messages.values()]
    return json.loads(message["APNS"])["signin"]


@pytest.fixture
def strict(svc, tenant):
    admin.set_policy(svc, "acme", Policy(number_match=NumberMatch.STRICT))


@pytest.fixture
def alice(enrolled):
    return enrolled(push_token="apns-token-alice")[0]


# --- The number itself ------------------------------------------------------------------------


def test_a_strict_number_is_six_digits_drawn_whole_from_the_csprng():
    """Needs strict numbers of six digits: a two-digit one (90 values) is guessable."""
    rng = Recorder()

    number = signins.new_number(rng, NumberMatch.STRICT)

    assert 100_000 <= number <= 999_999
    assert rng.asked == [900_000]  # one draw over every six-digit number, no modulo bias


def test_strict_numbers_cover_the_six_digit_range():
    """Needs the whole range used: a narrower one would be easier to guess."""
    drawn = {signins.new_number(secrets, NumberMatch.STRICT) for _ in range(2000)}

    assert all(100_000 <= n <= 999_999 for n in drawn)
    assert len(drawn) > 1990  # 2000 draws from 900,000 values rarely collide
    assert min(drawn) < 200_000 and max(drawn) > 900_000


@pytest.mark.parametrize("mode", [NumberMatch.TYPE, NumberMatch.STRICT])
def test_a_typed_number_comes_with_no_choices(mode):
    """Needs no choices where the number is typed: choices would give it away."""
    number = signins.new_number(secrets, mode)

    assert signins.number_choices(secrets, number, mode) == ()


# --- Through the service ----------------------------------------------------------------------


def test_strict_shows_six_digits_and_sends_no_choices_in_the_push_or_the_list(
    strict, alice, start, svc, endpoints
):
    """Needs the strict mode end to end: the page's number six digits, nothing in the push or
    the pending list that gives it away."""
    started = start()

    assert started["method"] == "phone"
    assert 100_000 <= started["number"] <= 999_999
    data = push_data(endpoints, svc, alice)
    assert data["choices"] == ""
    assert str(started["number"]) not in json.dumps(data)
    (listed,) = alice.pending()[1]["signins"]
    assert (listed["number_match"], listed["choices"]) == ("strict", [])
    assert str(started["number"]) not in json.dumps(listed)


def test_the_right_six_digits_approve(strict, alice, start, result):
    started = start()

    assert alice.respond(started["signin_id"], "approve", started["number"]) == (
        200,
        {"status": "approved"},
    )
    assert result(started)[1]["status"] == "approved"


@pytest.mark.parametrize("wrong", ["off-by-one", "two-digit"])
def test_a_wrong_number_fails_a_strict_signin_for_good(strict, alice, start, result, wrong):
    """Needs the stored number to decide: a six-digit guess (or a two-digit one, valid in
    another mode) ends the sign-in, and the right number cannot follow."""
    started = start()
    number = started["number"] + 1 if started["number"] < 999_999 else 100_000
    if wrong == "two-digit":
        number = 42

    status, body = alice.respond(started["signin_id"], "approve", number)

    assert (status, body["error"]) == (409, "wrong_number")
    status, body = alice.respond(started["signin_id"], "approve", started["number"])
    assert (status, body["error"]) == (409, "signin_closed")
    assert result(started)[1]["reason"] == "wrong_number"


def test_type_is_the_default_with_two_digits_and_no_choices(alice, start, svc, endpoints):
    """Needs TYPE as the default (tenants.py NumberMatch): with PICK, a person tapping at
    random under a push-bombing approves one attempt in three."""
    started = start()

    assert 10 <= started["number"] <= 99
    assert push_data(endpoints, svc, alice)["choices"] == ""
    (listed,) = alice.pending()[1]["signins"]
    assert (listed["number_match"], listed["choices"]) == ("type", [])


def test_pick_offers_three_choices(svc, tenant, alice, start, endpoints):
    admin.set_policy(svc, "acme", Policy(number_match=NumberMatch.PICK))

    started = start()

    choices = [int(n) for n in push_data(endpoints, svc, alice)["choices"].split(",")]
    assert len(choices) == 3 and started["number"] in choices
    (listed,) = alice.pending()[1]["signins"]
    assert (listed["number_match"], sorted(listed["choices"])) == ("pick", sorted(choices))


def test_a_policy_change_does_not_change_a_signin_already_waiting(alice, start, svc, result):
    """Needs the mode read from the stored sign-in: with the new policy's, the phone would be
    told to type six digits for a sign-in that shows two."""
    started = start()
    admin.set_policy(svc, "acme", Policy(number_match=NumberMatch.STRICT))

    (listed,) = alice.pending()[1]["signins"]

    assert listed["number_match"] == "type"
    assert alice.respond(started["signin_id"], "approve", started["number"])[0] == 200
    assert result(started)[1]["status"] == "approved"


# --- Bad numbers: a 400 and nothing written ---------------------------------------------------

BAD_NUMBERS = [
    ("five-digits", 99_999),
    ("seven-digits", 1_000_000),
    ("three-digits", 100),
    ("negative-six", -123_456),
    ("huge", 10**30),
    ("float", 123_456.0),
    ("string", "123456"),
    ("true", True),
    ("list", [123_456]),
    ("object", {"number": 123_456}),
]


@pytest.mark.parametrize(("case", "number"), BAD_NUMBERS, ids=[c for c, _ in BAD_NUMBERS])
def test_a_number_no_mode_could_show_is_refused_and_changes_nothing(
    strict, alice, start, result, snapshot, case, number
):
    """Needs the range and type check: without it, bad input would end the sign-in as a wrong
    number (a write), or reach DynamoDB as a type it cannot compare."""
    started = start()
    before = snapshot()

    status, body = alice.respond(started["signin_id"], "approve", number)

    assert (status, body["error"]) == (400, "invalid_request")
    assert snapshot() == before
    assert result(started)[1]["status"] == "pending"
