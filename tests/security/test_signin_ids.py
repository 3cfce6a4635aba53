"""Guessing sign-in ids: the page's calls (result, cancel, the second step's code) and the
phone's answer, for ids nobody was given.

A sign-in id is the user key (16 hex), the creation time (8 hex) and 22 base64url characters
drawn from the CSPRNG (domain/signins.py). The first 24 characters can be worked out by
anyone who knows the username and the second, so the random part alone has to stand against
guessing, and the binding secret against someone who learns the id (a phone shows it).

Covered elsewhere, and not repeated here:
- tests/security/test_attacks.py: the result with no secret or a random one, after approval
  (test_the_result_needs_the_secret_bound_at_start); the result under another tenant
  (test_a_signin_cannot_be_read_under_another_tenant); a phone of another account answering
  Alice's sign-in (test_a_phone_of_another_account_can_neither_see_nor_approve_a_signin);
- tests/api/test_bad_input.py: malformed ids at the result, such as traversal, an encoded NUL
  and upper-case hex (test_collecting_a_result_refuses_invalid_signin_ids);
- tests/unit/test_signins.py: parse_signin_id on its own.

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import base64
import inspect
import json
import secrets

import pytest

from authenticator.device_api import sign
from chalicelib import service
from chalicelib.domain import signins
from chalicelib.domain.accounts import user_key
from chalicelib.domain.secret_codes import b64url
from chalicelib.domain.tenants import Policy
from tests.fixtures.core import BASE_URL
from tools.admin import flows as admin

ISSUER = f"{BASE_URL}/t/acme"
CSRF = {"Cookie": "psi_csrf=csrf-token-1", "X-CSRF-Token": "csrf-token-1"}
PAGE_CALLS = ("result", "cancel", "code")
NOT_FOUND = {"error": "not_found", "error_description": "No such sign-in."}
GUESSES = 200


def guessed_id(prefix: str | None = None) -> str:
    """A well-formed sign-in id nobody was given: a random user key and time (or the given
    24-character prefix), then 16 random bytes, as the service draws them."""
    if prefix is None:
        prefix = secrets.token_hex(8) + secrets.token_hex(4)
    return prefix + b64url(secrets.token_bytes(16))


@pytest.fixture
def page_call(api):
    """POST one of the page's calls on a sign-in id, as the page sends it (our Origin, the
    CSRF cookie echoed): (status, body, headers). `secret=None` leaves the secret out."""

    def send(call: str, signin_id: str, secret: str | None, tenant_id: str = "acme", **extra):
        body = {} if secret is None else {"secret": secret}
        if call == "code":
            body.update(username="alice@acme.test", code="123456")
        body.update(extra)
        response = api.http.post(
            f"/t/{tenant_id}/signin/{signin_id}/{call}",
            headers={"Content-Type": "application/json", "Origin": BASE_URL, **CSRF},
            body=json.dumps(body),
        )
        return response.status_code, json.loads(response.body or b"{}"), dict(response.headers)

    return send


@pytest.fixture
def globex(svc, tenant) -> str:
    """A second tenant (its clients do not matter here)."""
    admin.create_tenant(svc, "globex", "Globex Inc", Policy())
    return "globex"


@pytest.fixture
def alice(enrolled):
    """Alice's phone, with push."""
    return enrolled(push_token="apns-token-alice")[0]


def left_as_it_was(alice, started, result) -> None:
    """The sign-in was left as it was: still pending, and when the phone approves, the page
    that started it collects its code."""
    assert result(started)[1]["status"] == "pending"
    assert alice.respond(started["signin_id"], "approve", started["number"]) == (
        200,
        {"status": "approved"},
    )
    status, answer = result(started)
    assert (status, answer["status"]) == (200, "approved"), answer
    assert answer["code"].startswith(started["signin_id"] + ".")


# --- The random part ----------------------------------------------------------------------------


class Recorder:
    """The service's random source, recording every byte string it hands out."""

    def __init__(self):
        self.drawn: list[bytes] = []

    def token_bytes(self, n: int) -> bytes:
        self.drawn.append(secrets.token_bytes(n))
        return self.drawn[-1]

    def randbelow(self, n: int) -> int:
        return secrets.randbelow(n)


def test_the_random_part_of_a_signin_id_is_128_bits_drawn_whole_from_the_csprng(
    alice, start, svc, clock, monkeypatch
):
    """Needs 16 random bytes, unaltered, after the guessable prefix: fewer bytes, or a part
    derived from the time or the username, would leave less than 128 bits to guess."""
    recorder = Recorder()
    monkeypatch.setattr(svc, "rng", recorder)

    signin_id = start("alice@acme.test")["signin_id"]

    prefix, random_part = signin_id[:24], signin_id[24:]
    assert prefix == user_key("alice@acme.test") + f"{int(clock()):08x}"  # anyone can work it out
    drawn = [raw for raw in recorder.drawn if b64url(raw) == random_part]
    assert len(drawn) == 1, "the random part must be one draw from the service's random source"
    assert len(drawn[0]) * 8 >= 128
    assert len(random_part) == 22 and len(random_part) * 6 >= 128  # 132 bits of room
    assert base64.urlsafe_b64decode(random_part + "==") == drawn[0]
    # The random source is the CSPRNG, in the deployed service as in these tests.
    assert inspect.signature(service.build).parameters["rng"].default is secrets


# --- The page's calls on an id nobody was given ------------------------------------------------


def test_guessed_ids_are_not_found_by_any_of_the_pages_calls_all_alike(
    alice, start, page_call, snapshot, result
):
    """Needs every page call to look the id up before anything else it does with it: a call
    that acted on an id without finding it first would answer otherwise, fail with a 5xx, or
    write (a cancel creating an item for the id). 200 ids, each at result, cancel and code."""
    started = start()
    before = snapshot()

    answers = {
        (call, signin_id): page_call(call, signin_id, secrets.token_urlsafe(32))
        for signin_id in (guessed_id() for _ in range(GUESSES))
        for call in PAGE_CALLS
    }

    distinct = {
        (status, json.dumps(body), json.dumps(headers))
        for status, body, headers in answers.values()
    }
    assert len(distinct) == 1, distinct  # one answer, whatever the call and the id
    status, body, headers = next(iter(answers.values()))
    assert (status, body) == (404, NOT_FOUND)
    assert "Set-Cookie" not in headers
    assert snapshot() == before
    left_as_it_was(alice, started, result)


def test_a_real_prefix_with_a_guessed_random_part_is_not_found(
    alice, start, page_call, snapshot, result
):
    """Needs the whole id as the key, compared exactly: a lookup by the prefix anyone can work
    out (user key and time), or one that ignored case or the last character, would find
    Alice's sign-in and answer `invalid_binding` or worse."""
    started = start()
    real = started["signin_id"]
    prefix, random_part = real[:24], real[24:]
    near_misses = [
        *(guessed_id(prefix) for _ in range(20)),
        real[:-1] + ("A" if real[-1] != "A" else "B"),  # one character off
        prefix + random_part.swapcase(),
        prefix + random_part[::-1],
    ]
    before = snapshot()

    for signin_id in near_misses:
        assert signins.parse_signin_id(signin_id) == prefix[:16]
        for call in PAGE_CALLS:
            status, body, _ = page_call(call, signin_id, started["secret"])
            assert (status, body) == (404, NOT_FOUND), (call, signin_id)

    assert snapshot() == before
    left_as_it_was(alice, started, result)


# --- The real id without its binding secret -----------------------------------------------------


def test_the_real_id_without_its_secret_gives_nothing_and_changes_nothing(
    alice, start, page_call, snapshot, result
):
    """Needs the binding secret checked on every page call (phone_signin._followed, and
    password_signin.second_step_code): without it, whoever learns the id (it is on the phone's
    screen and in its push) could follow the sign-in, end it, or collect its code. The
    secret tried includes a real one, of another sign-in the guesser started for Alice."""
    started = start()
    own = start()  # the guesser's own sign-in for Alice: a secret that is valid elsewhere
    real = started["signin_id"]
    wrong_secrets = {
        "random": secrets.token_urlsafe(32),
        "another sign-in's": own["secret"],
        "one character off": started["secret"][:-1]
        + ("A" if started["secret"][-1] != "A" else "B"),
        "a prefix of it": started["secret"][:16],
    }
    before = snapshot()

    for call in PAGE_CALLS:
        for case, secret in wrong_secrets.items():
            status, body, _ = page_call(call, real, secret)
            assert (status, body["error"]) == (403, "invalid_binding"), (call, case, body)
            assert set(body) == {"error", "error_description"}, (call, case, body)
        status, body, _ = page_call(call, real, None)  # no secret at all
        assert (status, body["error"]) == (400, "invalid_request"), (call, body)

    assert snapshot() == before
    left_as_it_was(alice, started, result)


def test_a_real_id_with_its_secret_is_not_found_under_another_tenant(
    alice, globex, start, page_call, snapshot, result
):
    """Needs the tenant in the sign-in's key: without it, globex's endpoints would find (and
    cancel, with the secret) a sign-in of acme's. The result under globex is in
    test_attacks.py; this covers cancel and the second step's code."""
    started = start()
    before = snapshot()

    for call in ("cancel", "code"):
        status, body, _ = page_call(call, started["signin_id"], started["secret"], globex)
        assert (status, body) == (404, NOT_FOUND), call

    assert snapshot() == before
    left_as_it_was(alice, started, result)


# --- Malformed ids --------------------------------------------------------------------------


def malformed(real: str) -> dict[str, str]:
    """Ids one step from a real one (so only the malformation keeps them from their sign-in).
    Sent as is: the test client hands the path segment to the view undecoded."""
    return {
        "one short": real[:-1],
        "one long": real + "A",
        "over DynamoDB's key size": real + "A" * 2000,
        "standard base64 '+'": real[:-1] + "+",
        "padding '='": real[:-1] + "=",
        "dot": real[:-1] + ".",
        "tilde": real[:-1] + "~",
        "backslash": real[:-1] + "\\",
        "space": real[:-1] + " ",
        "NUL": real[:-1] + "\x00",
        "percent-encoded": real[:-3] + "%41",
        "accented letter": real[:-1] + "é",
        "Cyrillic look-alike": real[:-1] + "а",
        "emoji, same length": real[:-1] + "😀",
        "zero-width joiner": real[:-1] + "\u200d",
        "full-width digit in the user key": "０" + real[1:],
        "Arabic-Indic digit in the time": real[:16] + "٠" + real[17:],
        "upper-case hex time": real[:16] + "ABCDEF01" + real[24:],
    }


@pytest.mark.parametrize("call", PAGE_CALLS)
def test_malformed_ids_are_refused_by_the_pages_calls_before_any_lookup(
    call, alice, start, page_call, snapshot, result
):
    """Needs signins.parse_signin_id (an exact pattern, ASCII only, anchored at the end) on
    each call: without it, these ids would be looked up (a 404, or a 500 for a key too long
    for DynamoDB) instead of refused as malformed."""
    started = start()
    before = snapshot()

    refused = {
        case: page_call(call, signin_id, started["secret"])[:2]
        for case, signin_id in malformed(started["signin_id"]).items()
    }

    assert refused == dict.fromkeys(
        refused, (400, {"error": "invalid_request", "error_description": "malformed sign-in id"})
    )
    assert snapshot() == before
    left_as_it_was(alice, started, result)


# --- The phone's answer -----------------------------------------------------------------------


def answer(alice, clock, sid: str, decision: str, number: int | None = None) -> dict:
    claims = {"sid": sid, "decision": decision}
    if number is not None:
        claims["number"] = number
    return {
        "proof": sign(alice.key, "signin-response+jwt", claims, audience=ISSUER, now=int(clock()))
    }


def test_a_phone_cannot_answer_a_signin_id_it_guessed(alice, start, post, clock, snapshot, result):
    """Needs the answer's conditional write to require the sign-in to exist (and be this
    account's): without it, an approval or a fraud report for a guessed id would create a
    sign-in, count a failure, or lock Alice's phone sign-in. A phone of another account
    answering a real id is test_attacks.py's."""
    started = start()
    guesses = [guessed_id() for _ in range(10)]
    guesses += [guessed_id(started["signin_id"][:24]) for _ in range(10)]  # Alice's prefix
    before = snapshot()

    for sid in guesses:
        for decision, number in (
            ("approve", started["number"]),
            ("deny", None),
            ("report_fraud", None),
        ):
            status, body = post(
                "/t/acme/device/respond", answer(alice, clock, sid, decision, number)
            )
            assert (status, body) == (
                404,
                {"error": "not_found", "error_description": "No such sign-in for this phone."},
            ), (sid, decision)

    assert snapshot() == before
    left_as_it_was(alice, started, result)


def test_a_phone_answer_with_a_malformed_id_is_refused_and_changes_nothing(
    alice, start, post, clock, snapshot, result
):
    """Needs the id checked in the answer too: without it, these would be looked up. The JSON
    claim carries exactly what is sent, so a trailing newline is tried here (a pattern
    anchored with '$' would accept it)."""
    started = start()
    real = started["signin_id"]
    cases = {**malformed(real), "trailing newline": real + "\n", "not a string": 12345}
    before = snapshot()

    refused = {
        case: post(
            "/t/acme/device/respond", answer(alice, clock, sid, "approve", started["number"])
        )
        for case, sid in cases.items()
    }

    assert refused == dict.fromkeys(
        refused, (400, {"error": "invalid_request", "error_description": "malformed sign-in id"})
    )
    assert snapshot() == before
    left_as_it_was(alice, started, result)
