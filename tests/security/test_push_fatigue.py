"""Push fatigue (the 2022 Uber push-bombing), as an attacker who knows a username tries it:
start sign-ins until the person approves one to make the notifications stop.

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

import pytest

from chalicelib import passwords, totp
from chalicelib.flows import admin
from chalicelib.flows.fatigue import DAY, FAILED_ANSWERS_PER_DAY
from chalicelib.metering import day_of
from chalicelib.stores import limits
from chalicelib.tenants import Policy

BASE_URL = "https://signin.example.test"
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


@pytest.fixture
def answered(alice, start, clock):
    """Start a sign-in, have Alice answer it, and let a minute pass (the per-minute limit is
    not what these tests are about): the phone's (status, body)."""

    def answer(decision: str, number: str = "right") -> tuple[int, dict]:
        started = start()
        assert started["method"] == "phone", started
        if decision == "approve":
            (listed,) = alice.pending()[1]["signins"]
            pick = started["number"]
            if number == "wrong":
                pick = next(n for n in listed["choices"] if n != started["number"])
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


def shape(answer: dict) -> dict:
    """What a requester can compare between two answers: the fields, their types, the method
    and how many digits the number has."""
    return {
        **{name: type(value).__name__ for name, value in answer.items()},
        "method": answer["method"],
        "digits": len(str(answer["number"])),
    }


# --- Pushes per account: per minute, per day, waiting at once ---------------------------------


def test_past_the_pushes_per_minute_a_start_is_answered_as_for_an_account_without_a_phone(
    alice, new_account, start, cancel, published, svc, clock
):
    """Needs the per-account push limit: without it, the fourth start pushes again."""
    new_account("carol@acme.test")  # no phone
    for _ in range(3):
        started = start()
        assert started["method"] == "phone"
        cancel(started)
    assert len(published) == 3

    limited = start()

    assert shape(limited) == shape(start("carol@acme.test"))
    assert limited["method"] == "password"
    assert len(published) == 3  # nothing pushed
    assert alice.pending() == (200, {"signins": []})
    status, body = alice.respond(limited["signin_id"], "approve", limited["number"])
    assert (status, body["error"]) == (404, "not_found")  # and nothing a phone can approve
    assert audited(svc, clock, "push_rate_limited") == [{"limit": "pushes_per_minute"}]

    clock.advance(NEXT_MINUTE)
    assert start()["method"] == "phone"
    assert len(published) == 4


def test_a_flood_of_starts_pushes_three_times_and_is_recorded_once(
    alice, start, published, svc, clock
):
    """Needs the limit counted atomically per account before anything is pushed, and the
    refusal recorded once per window: without them, every start pushes (or writes a line)."""
    answers = [start() for _ in range(25)]

    assert [a["method"] for a in answers] == ["phone"] * 3 + ["password"] * 22
    assert len(published) == 3
    assert audited(svc, clock, "push_rate_limited") == [{"limit": "pushes_per_minute"}]


def test_the_limit_is_per_account_not_per_address_or_tenant(
    alice, enrolled, start, published, clock
):
    """Needs the counters keyed by account: a per-address or per-tenant counter would stop
    Bob too (same address, same tenant)."""
    enrolled("bob@acme.test", push_token="apns-token-bob")
    for _ in range(4):
        start()
    assert start()["method"] == "password"

    assert start("bob@acme.test")["method"] == "phone"
    assert len(published) == 4


def test_past_the_pushes_per_day_a_start_pushes_nothing_until_the_next_day(
    alice, start, cancel, published, svc, clock
):
    """Needs the per-day limit: without it, a start every minute would push all day."""
    admin.set_policy(svc, "acme", Policy(pushes_per_day=5))
    for _ in range(5):
        started = start()
        assert started["method"] == "phone"
        cancel(started)
        clock.advance(NEXT_MINUTE)

    assert start()["method"] == "password"
    assert len(published) == 5
    assert audited(svc, clock, "push_rate_limited") == [{"limit": "pushes_per_day"}]

    clock.advance(DAY)
    assert start()["method"] == "phone"


def test_no_more_than_max_pending_signins_wait_for_the_phone(
    alice, start, cancel, published, svc, clock
):
    """Needs the max_pending check: without it, a fourth sign-in would wait on the phone."""
    admin.set_policy(svc, "acme", Policy(pushes_per_minute=10))
    waiting = [start() for _ in range(3)]

    assert start()["method"] == "password"
    assert len(published) == 3
    assert len(alice.pending()[1]["signins"]) == 3
    assert audited(svc, clock, "push_rate_limited") == [{"limit": "max_pending"}]

    cancel(waiting[0])
    assert start()["method"] == "phone"


def test_a_container_trusts_its_memory_of_a_full_account_for_half_a_minute_only(
    alice, start, svc, clock
):
    """Needs the memory capped at MEMORY_SECONDS: without the cap, this container would keep
    answering `password` until the first waiting sign-in expired, though the phone answered."""
    admin.set_policy(svc, "acme", Policy(pushes_per_minute=10))
    waiting = [start() for _ in range(3)]
    assert start()["method"] == "password"  # full: remembered here
    for started in waiting:
        assert alice.respond(started["signin_id"], "approve", started["number"])[0] == 200

    assert start()["method"] == "password"  # still trusted from memory
    clock.advance(limits.MEMORY_SECONDS)
    assert start()["method"] == "phone"


# --- Denials lock phone sign-in for a while ---------------------------------------------------


def test_three_denials_in_a_row_lock_phone_signin_for_lock_seconds(
    alice, answered, start, published, svc, clock
):
    """Needs the lock after deny_lock_after denials: without it, the fourth start pushes."""
    for _ in range(3):
        assert answered("deny") == (200, {"status": "denied"})
    pushed = len(published)

    locked = start()

    assert locked["method"] == "password"
    assert len(published) == pushed
    (lock,) = audited(svc, clock, "phone_signin_locked")
    assert lock["reason"] == "deny_lock_after"
    assert lock["until"] == int(clock()) - NEXT_MINUTE + 900

    clock.now = lock["until"] - 1
    assert start()["method"] == "password"
    clock.now = lock["until"]
    assert start()["method"] == "phone"


def test_an_approval_ends_the_run_of_denials(alice, answered, start, svc, clock):
    """Needs the reset on approval: without it, deny, deny, approve, deny would lock."""
    assert answered("deny")[0] == 200
    assert answered("deny")[0] == 200
    assert answered("approve") == (200, {"status": "approved"})
    assert answered("deny")[0] == 200
    assert answered("deny")[0] == 200

    assert start()["method"] == "phone"
    assert audited(svc, clock, "phone_signin_locked") == []
    clock.advance(NEXT_MINUTE)
    assert answered("deny")[0] == 200
    assert start()["method"] == "password"


def test_wrong_numbers_count_as_denials(alice, answered, start, svc, clock):
    """Needs wrong numbers counted in the run: without it, guessing never locks."""
    for _ in range(3):
        status, body = answered("approve", number="wrong")
        assert (status, body["error"]) == (409, "wrong_number")

    assert start()["method"] == "password"
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
    assert alice.pending() == (200, {"signins": []})
    status, body = alice.respond(other["signin_id"], "approve", other["number"])
    assert (status, body["error"]) == (409, "signin_closed")
    clock.advance(NEXT_MINUTE)
    assert start()["method"] == "password"
    assert len(published) == 2
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

    assert start()["method"] == "password"
    (lock,) = audited(svc, clock, "phone_signin_locked")
    assert lock == {"reason": "failed_answers_per_day", "until": (int(clock()) // DAY + 1) * DAY}


def test_the_lock_is_recorded_once_however_many_reports_race_for_it(alice, svc, clock):
    """Needs the conditional lock write: a plain write would record every report as new."""
    now = int(clock())

    assert svc.accounts.lock_phone("acme", "alice@acme.test", now + 900, now) is True
    assert svc.accounts.lock_phone("acme", "alice@acme.test", now + 900, now) is False
    assert svc.accounts.lock_phone("acme", "alice@acme.test", now + 60, now) is False
    assert svc.accounts.get("acme", "alice@acme.test").phone_locked_until == now + 900


# --- The other ways in push too ---------------------------------------------------------------


@pytest.fixture
def with_password(api, tenant, monkeypatch):
    """A password sign-in from the page; scrypt made cheap (the limits do not depend on it)."""
    derive = passwords._derive
    monkeypatch.setattr(passwords, "_derive", lambda pw, salt, n, r, p: derive(pw, salt, 2, 1, 1))

    def send(path: str = "/t/acme/password", **body) -> tuple[int, dict]:
        body = {"username": "alice@acme.test", **body}
        if path.endswith("/password"):
            body["client_id"] = tenant["client_id"]
        headers = {"Content-Type": "application/json", "Origin": BASE_URL, **CSRF}
        response = api.http.post(path, headers=headers, body=json.dumps(body))
        return response.status_code, json.loads(response.body)

    return send


def test_a_locked_second_step_pushes_nothing_and_no_phone_may_answer_it_but_a_code_may(
    alice, with_password, start, cancel, published, svc, clock
):
    """Needs the limits on the password's second step, and its sign-in kept from phones:
    without them, a stolen password would still push (or could be approved by polling)."""
    admin.set_policy(svc, "acme", Policy(require_two_step=True))
    admin.set_password(svc, "acme", "alice@acme.test", PASSWORD)
    status, before = with_password(password=PASSWORD)
    assert (status, before["status"], len(published)) == (200, "second_step", 1)
    cancel(before)
    reported = start()
    assert alice.respond(reported["signin_id"], "report_fraud")[0] == 200
    clock.advance(NEXT_MINUTE)
    pushed = len(published)

    status, locked = with_password(password=PASSWORD)

    assert status == 200
    assert {k: type(v) for k, v in locked.items()} == {k: type(v) for k, v in before.items()}
    assert (locked["status"], locked["methods"]) == (before["status"], before["methods"])
    assert len(published) == pushed
    assert alice.pending() == (200, {"signins": []})
    status, body = alice.respond(locked["signin_id"], "approve", locked["number"])
    assert (status, body["error"]) == (404, "not_found")
    code = totp.code_at(totp.from_base32(alice.enrolment["totp_secret"]), clock())
    path = f"/t/acme/signin/{locked['signin_id']}/code"
    status, body = with_password(path, secret=locked["secret"], code=code)
    assert (status, body["status"]) == (200, "approved")


def test_ciba_past_the_limit_is_answered_as_for_an_unknown_person(alice, api, tenant, published):
    """Needs the limits on CIBA: without them, a client could push as often as it likes."""

    def backchannel(login_hint: str) -> dict:
        pair = f"{quote(tenant['client_id'], safe='')}:{quote(tenant['client_secret'], safe='')}"
        response = api.http.post(
            "/t/acme/bc-authorize",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
            },
            body=urlencode({"scope": "openid", "login_hint": login_hint}),
        )
        assert response.status_code == 200, response.body
        return response.json_body

    for _ in range(3):
        backchannel("alice@acme.test")
    assert len(published) == 3

    limited = backchannel("alice@acme.test")
    unknown = backchannel("nobody@acme.test")

    assert {k: type(v) for k, v in limited.items()} == {k: type(v) for k, v in unknown.items()}
    assert len(published) == 3
    assert len(alice.pending()[1]["signins"]) == 3
