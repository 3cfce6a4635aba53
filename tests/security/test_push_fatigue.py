"""Push fatigue (the 2022 Uber push-bombing), as an attacker who knows a username tries it:
start sign-ins until the person approves one to make the notifications stop.

Past the push limits or while phone sign-in is locked, a start is *held*: nothing is pushed, no
phone lists it, and the page shows a six-digit number that the person enters in the app to
find it. The attacker's held requests never reach the person; the owner's own can always be
approved, because they hold the page with its number (usecases/fatigue.py).

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import json

import pytest

from chalicelib.adapters.dynamodb import limits
from chalicelib.domain import signins, totp
from chalicelib.domain.metering import day_of
from chalicelib.domain.tenants import Policy
from chalicelib.usecases import fatigue
from chalicelib.usecases.fatigue import DAY, FAILED_ANSWERS_PER_DAY
from tools.admin import flows as admin

BASE_URL = "https://signin.example.test"
CALLBACK = "https://app.acme.test/cb"
PASSWORD = "correct horse battery staple"
CSRF = {"Cookie": "psi_csrf=csrf-token-1", "X-CSRF-Token": "csrf-token-1"}
NEXT_MINUTE = 60


@pytest.fixture(autouse=True)
def morning(clock):
    """01:00 UTC: a test that moves the clock minutes ahead stays in one day's counters."""
    clock.now = float((int(clock()) // DAY + 1) * DAY + 3600)


@pytest.fixture
def alice(enrolled):
    """Alice's phone, with push."""
    return enrolled(push_token="apns-token-alice")[0]


@pytest.fixture
def cancel(post):
    """The page gives up on a sign-in (it stops waiting for the phone)."""

    def send(started: dict) -> None:
        path = f"/t/acme/signin/{started['signin_id']}/cancel"
        assert post(path, {"secret": started["secret"]})[0] == 200

    return send


def other_number(number: int) -> int:
    """A number of the same length that is not `number`."""
    return 10 + (number - 9) % 90 if number < 100 else 100_000 + (number - 99_999) % 900_000


def one_digit_off(number: int) -> int:
    """A typo: the last digit, and only it, different (the check digit catches every one;
    number + 1 may carry and change two digits, which it need not catch)."""
    return number - number % 10 + (number % 10 + 1) % 10


@pytest.fixture
def answered(alice, start, clock):
    """Start a sign-in, have Alice answer it, and let a minute pass (the per-minute limit is
    not what these tests are about): the phone's (status, body)."""

    def answer(decision: str, number: str = "right") -> tuple[int, dict]:
        started = start()
        assert (started["method"], started["held"]) == ("phone", False), started
        if decision == "approve":
            pick = started["number"] if number == "right" else other_number(started["number"])
            reply = alice.respond(started["signin_id"], "approve", pick)
        else:
            reply = alice.respond(started["signin_id"], decision)
        clock.advance(NEXT_MINUTE)
        return reply

    return answer


def audited(svc, clock, event: str) -> list[dict]:
    today = day_of(clock())
    events = admin.audit_log(svc, "acme", today, today)["events"]
    return [e.get("detail", {}) for e in events if e["event"] == event]


def limit_of(details: list[dict]) -> list[str]:
    return [d["limit"] for d in details]


def another_held_number(number: int) -> int:
    """A different number that a held sign-in could have (its check digit holds)."""
    return next(n for n in range(number + 1, 1_000_000) if signins.valid_held_number(n))


def find_held(phone, started: dict) -> dict | None:
    """What the phone lists when its person enters the number the page shows."""
    status, body = phone.api.pending(phone.key, started["number"])
    assert status == 200, body
    held = [s for s in body["signins"] if s["held"]]
    assert len(held) <= 1
    return held[0] if held else None


def assert_held(phone, started: dict, published: list, pushed: int) -> None:
    """Held: a six-digit number for the page, nothing pushed, not listed, found by number."""
    assert started.get("method", "phone") == "phone" and started["held"] is True, started
    assert 100_000 <= started["number"] <= 999_999
    assert len(published) == pushed
    listed = phone.pending()[1]["signins"]
    assert started["signin_id"] not in [s["signin_id"] for s in listed]
    found = find_held(phone, started)
    assert found is not None and found["signin_id"] == started["signin_id"]
    assert (found["number_match"], found["choices"]) == ("strict", [])
    assert str(started["number"]) not in json.dumps(found)


# --- Pushes per account: per minute, per day, waiting at once ---------------------------------


def test_past_the_pushes_per_minute_a_start_is_held_and_the_app_finds_it_by_its_number(
    alice, start, cancel, result, published, svc, clock
):
    """Needs the per-account push limit, and the held sign-in: without the limit the fourth
    start pushes again; without holding, the owner past the limit could not sign in at all."""
    for _ in range(3):
        started = start()
        assert started["held"] is False
        cancel(started)
    assert len(published) == 3

    held = start()

    assert_held(alice, held, published, 3)
    assert alice.respond(held["signin_id"], "approve", held["number"]) == (
        200,
        {"status": "approved"},
    )
    assert result(held)[1]["status"] == "approved"
    assert limit_of(audited(svc, clock, "push_held")) == ["pushes_per_minute"]
    # A held approval is audited: its id carries no time for the person's history to find.
    assert audited(svc, clock, "signin_approved") == [{"signin": held["signin_id"]}]

    clock.advance(NEXT_MINUTE)
    assert start()["held"] is False
    assert len(published) == 4


def test_a_held_signin_is_found_only_by_its_own_number_and_only_by_its_accounts_phone(
    alice, enrolled, start, cancel, published, svc
):
    """Needs the held id keyed by number and account (signins.held_signin_id), the account
    check when it is found, and the number's check digit: a typo, another number, or Bob's
    phone with Alice's number, must find nothing (a typo never names a stranger's)."""
    admin.set_policy(svc, "acme", Policy(pushes_per_minute=1))
    cancel(start())
    held = start()
    bob, _ = enrolled("bob@acme.test")

    typo = alice.api.pending(alice.key, one_digit_off(held["number"]))
    assert (typo[0], typo[1]["error"]) == (400, "invalid_request")  # the check digit
    assert find_held(alice, {"number": another_held_number(held["number"])}) is None
    assert find_held(bob, held) is None
    status, body = bob.respond(held["signin_id"], "approve", held["number"])
    assert (status, body["error"]) == (404, "not_found")
    assert find_held(alice, held)["signin_id"] == held["signin_id"]


def test_a_wrong_number_ends_a_held_signin_like_any_other(alice, start, cancel, result, svc):
    """Needs the number checked on a held sign-in too: it is a six-digit typed number."""
    admin.set_policy(svc, "acme", Policy(pushes_per_minute=1))
    cancel(start())
    held = start()

    status, body = alice.respond(held["signin_id"], "approve", other_number(held["number"]))

    assert (status, body["error"]) == (409, "wrong_number")
    assert result(held)[1]["reason"] == "wrong_number"


def test_a_flood_of_starts_pushes_three_times_holds_five_and_refuses_the_rest(
    alice, start, post, tenant, published, svc, clock
):
    """Needs the push limit counted atomically per account before anything is pushed, the
    per-source limit on held starts before anything is written, and each refusal recorded
    once per window: without them, every start pushes, or writes, or writes a line."""
    answers = []
    for _ in range(25):
        body = {"client_id": tenant["client_id"], "username": "alice@acme.test"}
        answers.append(post("/t/acme/signin", {**body, "redirect_uri": CALLBACK}))

    held = fatigue.STARTS_PER_SOURCE_PER_MINUTE
    assert [s for s, _ in answers] == [200] * (3 + held) + [429] * (22 - held)
    assert [b["held"] for _, b in answers[: 3 + held]] == [False] * 3 + [True] * held
    assert {b["error"] for _, b in answers[3 + held :]} == {"too_many_attempts"}
    assert len(published) == 3
    assert limit_of(audited(svc, clock, "push_held")) == ["pushes_per_minute"]
    (refused,) = audited(svc, clock, "start_refused")
    assert refused["limit"] == "starts_per_minute"
    assert refused["network"] == "127.0.0.1" and refused["recognised_browser"] is False


def test_the_limit_is_per_account_not_per_address_or_tenant(
    alice, enrolled, start, published, clock
):
    """Needs the counters keyed by account: a per-address or per-tenant counter would stop
    Bob too (same address, same tenant)."""
    enrolled("bob@acme.test", push_token="apns-token-bob")
    for _ in range(3):
        start()
    assert start()["held"] is True

    assert start("bob@acme.test")["held"] is False
    assert len(published) == 4


def test_past_the_pushes_per_day_starts_are_held_until_the_next_day(
    alice, start, cancel, published, svc, clock
):
    """Needs the per-day limit: without it, a start every minute would push all day."""
    admin.set_policy(svc, "acme", Policy(pushes_per_day=5))
    for _ in range(5):
        started = start()
        assert started["held"] is False
        cancel(started)
        clock.advance(NEXT_MINUTE)

    assert_held(alice, start(), published, 5)
    assert limit_of(audited(svc, clock, "push_held")) == ["pushes_per_day"]

    clock.advance(DAY)
    assert start()["held"] is False


def test_no_more_than_max_pending_signins_wait_on_the_phone(
    alice, start, cancel, published, svc, clock
):
    """Needs the max_pending check: without it, a fourth sign-in would wait on the phone."""
    admin.set_policy(svc, "acme", Policy(pushes_per_minute=10))
    waiting = [start() for _ in range(3)]

    assert_held(alice, start(), published, 3)
    assert len(alice.pending()[1]["signins"]) == 3
    assert limit_of(audited(svc, clock, "push_held")) == ["max_pending"]

    cancel(waiting[0])
    assert start()["held"] is False


def test_a_container_trusts_its_memory_of_a_full_account_for_half_a_minute_only(
    alice, start, svc, clock
):
    """Needs the memory capped at MEMORY_SECONDS: without the cap, this container would keep
    holding starts until the first waiting sign-in expired, though the phone answered."""
    admin.set_policy(svc, "acme", Policy(pushes_per_minute=10, max_pending=2))
    waiting = [start() for _ in range(2)]
    assert start()["held"] is True  # full: remembered here
    for started in waiting:
        assert alice.respond(started["signin_id"], "approve", started["number"])[0] == 200

    assert start()["held"] is True  # still trusted from memory
    clock.advance(limits.MEMORY_SECONDS)
    assert start()["held"] is False


# --- Denials lock phone sign-in's pushes for a while --------------------------------------------


def test_three_denials_in_a_row_hold_pushes_for_lock_seconds(
    alice, answered, start, published, svc, clock
):
    """Needs the lock after deny_lock_after denials: without it, the fourth start pushes."""
    for _ in range(3):
        assert answered("deny") == (200, {"status": "denied"})
    pushed = len(published)

    assert_held(alice, start(), published, pushed)
    (lock,) = audited(svc, clock, "phone_signin_locked")
    assert lock["reason"] == "deny_lock_after"
    assert lock["until"] == int(clock()) - NEXT_MINUTE + 900
    assert lock["network"] == "127.0.0.1"  # where the denied attempt came from

    clock.now = lock["until"] - 1
    assert start()["held"] is True
    clock.now = lock["until"]
    assert start()["held"] is False


def test_an_approval_ends_the_run_of_denials(alice, answered, start, svc, clock):
    """Needs the reset on approval: without it, deny, deny, approve, deny would lock."""
    assert answered("deny")[0] == 200
    assert answered("deny")[0] == 200
    assert answered("approve") == (200, {"status": "approved"})
    assert answered("deny")[0] == 200
    assert answered("deny")[0] == 200

    assert start()["held"] is False
    assert audited(svc, clock, "phone_signin_locked") == []
    clock.advance(NEXT_MINUTE)
    assert answered("deny")[0] == 200
    assert start()["held"] is True


def test_wrong_numbers_count_as_denials(alice, answered, start, svc, clock):
    """Needs wrong numbers counted in the run: without it, guessing never locks."""
    for _ in range(3):
        status, body = answered("approve", number="wrong")
        assert (status, body["error"]) == (409, "wrong_number")

    assert start()["held"] is True
    (lock,) = audited(svc, clock, "phone_signin_locked")
    assert lock["reason"] == "deny_lock_after"


def test_one_fraud_report_locks_at_once_and_ends_what_was_still_waiting(
    alice, start, result, published, svc, clock
):
    """Needs the lock on a fraud report, and the lock ending the account's waiting sign-ins:
    without the latter, the tired person could still approve one of the attacker's."""
    reported, other = start(), start()

    assert alice.respond(reported["signin_id"], "report_fraud") == (200, {"status": "denied"})

    assert result(other)[1] == {
        "status": "denied",
        "reason": "locked",
        "expires_at": other["expires_at"],
    }
    assert alice.pending()[1]["signins"] == []
    status, body = alice.respond(other["signin_id"], "approve", other["number"])
    assert (status, body["error"]) == (409, "signin_closed")
    clock.advance(NEXT_MINUTE)
    assert_held(alice, start(), published, 2)
    (lock,) = audited(svc, clock, "phone_signin_locked")
    assert lock["reason"] == "fraud_reported"


def test_a_hundred_failed_answers_a_day_lock_until_the_next_day_approvals_or_not(
    alice, answered, start, svc, clock
):
    """Needs the daily cap (NIST SP 800-63B: at most 100 failed attempts in a row): without
    it, denials between approvals would never lock when the run is set to 100."""
    admin.set_policy(svc, "acme", Policy(deny_lock_after=100))
    sub = svc.devices.get("acme", alice.device_id).account_id
    for _ in range(FAILED_ANSWERS_PER_DAY - 1):  # earlier today, approvals in between
        svc.limits.hit("acme", "phone-failures", sub, DAY, int(clock()))

    assert answered("deny")[0] == 200

    assert start()["held"] is True
    (lock,) = audited(svc, clock, "phone_signin_locked")
    assert (lock["reason"], lock["until"]) == (
        "failed_answers_per_day",
        (int(clock()) // DAY + 1) * DAY,
    )


def test_the_lock_is_recorded_once_however_many_reports_race_for_it(alice, svc, clock):
    """Needs the conditional lock write: a plain write would record every report as new."""
    now = int(clock())

    assert svc.accounts.lock_phone("acme", "alice@acme.test", now + 900, now) is True
    assert svc.accounts.lock_phone("acme", "alice@acme.test", now + 900, now) is False
    assert svc.accounts.lock_phone("acme", "alice@acme.test", now + 60, now) is False
    assert svc.accounts.get("acme", "alice@acme.test").phone_locked_until == now + 900


# --- The other ways in hold too ----------------------------------------------------------------


@pytest.fixture
def with_password(api, tenant):
    """A password sign-in (or its code) from the page."""

    def send(path: str = "/t/acme/password", **body) -> tuple[int, dict]:
        body = {"username": "alice@acme.test", **body}
        if path.endswith("/password"):
            body |= {"client_id": tenant["client_id"], "redirect_uri": CALLBACK}
        headers = {"Content-Type": "application/json", "Origin": BASE_URL, **CSRF}
        response = api.http.post(path, headers=headers, body=json.dumps(body))
        return response.status_code, json.loads(response.body)

    return send


def test_a_locked_second_step_pushes_nothing_and_is_found_by_its_number_or_done_by_a_code(
    alice, with_password, start, cancel, published, result, svc, clock
):
    """Needs the limits on the password's second step: without them, a stolen password would
    still push. Held, it is approved only by someone who sees its page (its number), or by a
    code from the app."""
    admin.set_policy(svc, "acme", Policy(require_two_step=True))
    admin.set_password(svc, "acme", "alice@acme.test", PASSWORD)
    status, before = with_password(password=PASSWORD)
    assert (status, before["status"], before["held"], len(published)) == (
        200,
        "second_step",
        False,
        1,
    )
    cancel(before)
    reported = start()
    assert alice.respond(reported["signin_id"], "report_fraud")[0] == 200
    clock.advance(NEXT_MINUTE)
    pushed = len(published)

    status, locked = with_password(password=PASSWORD)
    assert (status, locked["status"], locked["methods"]) == (200, "second_step", ["phone", "totp"])
    assert_held(alice, locked, published, pushed)
    code = totp.code_at(totp.from_base32(alice.enrolment["totp_secret"]), clock())
    path = f"/t/acme/signin/{locked['signin_id']}/code"
    status, body = with_password(path, secret=locked["secret"], code=code)
    assert (status, body["status"]) == (200, "approved")

    clock.advance(NEXT_MINUTE)
    status, again = with_password(password=PASSWORD)
    assert again["held"] is True
    assert alice.respond(again["signin_id"], "approve", again["number"])[0] == 200
    assert result(again)[1]["status"] == "approved"


def test_ciba_past_the_limit_is_held_too(alice, ask, published):
    """Needs the limits on CIBA: without them, a client could push as often as it likes."""
    for _ in range(3):
        assert ask()["number"] < 100
    assert len(published) == 3

    limited = ask()

    assert 100_000 <= limited["number"] <= 999_999 and limited["held"] is True
    assert len(published) == 3
    assert len(alice.pending()[1]["signins"]) == 3
    found = find_held(alice, limited)
    assert found["signin_id"] == limited["auth_req_id"].split(".")[0]
