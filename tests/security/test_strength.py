"""Every path keeps the strength the tenant chose: CIBA matches a number as the page does, and
the second step by a code from the app is limited per account, with a hard stop at 100
failures in a row (NIST SP 800-63B 5.2.2).

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import jwt
import pytest

from chalicelib.domain import totp
from chalicelib.domain.metering import day_of
from chalicelib.domain.tenants import NumberMatch, Policy
from chalicelib.usecases import password_signin as password
from tools.admin import flows as admin

BASE_URL = "https://signin.example.test"
CALLBACK = "https://app.acme.test/cb"
PASSWORD = "correct horse battery staple"
CSRF = {"Cookie": "psi_csrf=t", "X-CSRF-Token": "t", "Origin": BASE_URL}
CIBA = "urn:openid:params:grant-type:ciba"


def web_client(tenant) -> tuple[str, str]:
    return tenant["client_id"], tenant["client_secret"]


def other_number(number: int) -> int:
    return 10 + (number - 9) % 90 if number < 100 else 100_000 + (number - 99_999) % 900_000


# --- CIBA ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(NumberMatch))
def test_ciba_approves_only_with_the_number_the_client_shows_in_every_mode(
    mode, alice, ask, token, tenant, svc
):
    """Needs CIBA sign-ins numbered under the tenant's mode (usecases/ciba.py): before, a tap
    approved a CIBA request in any mode, strict included, with tokens claiming what a
    number match proves."""
    admin.set_policy(svc, "acme", Policy(number_match=mode))
    asked = [ask() for _ in range(3)]
    digits = 6 if mode is NumberMatch.STRICT else 2

    assert all(len(str(a["number"])) == digits for a in asked)
    listed = {s["signin_id"]: s for s in alice.pending()[1]["signins"]}
    for a in asked:
        shown = listed[a["auth_req_id"].split(".")[0]]
        assert shown["number_match"] == mode.value
        assert "number" not in shown
        assert (a["number"] in shown["choices"]) is (mode is NumberMatch.PICK)
    without, wrong, right = (a["auth_req_id"].split(".")[0] for a in asked)
    assert alice.respond(without, "approve")[1]["error"] == "wrong_number"
    assert alice.respond(wrong, "approve", other_number(asked[1]["number"]))[1]["error"] == (
        "wrong_number"
    )
    assert alice.respond(right, "approve", asked[2]["number"])[0] == 200
    answers = [
        token({"grant_type": CIBA, "auth_req_id": a["auth_req_id"]}, client=web_client(tenant))
        for a in asked
    ]
    assert [(s, b.get("error")) for s, b in answers] == [
        (400, "access_denied"),
        (400, "access_denied"),
        (200, None),
    ]
    claims = jwt.decode(answers[2][1]["id_token"], options={"verify_signature": False})
    assert (claims["amr"], claims["acr"]) == (["mfa", "hwk", "user"], "urn:phonesignin:acr:mfa")


# --- The second step by a code from the app -----------------------------------------------------


@pytest.fixture
def two_step(enrolled, svc):
    """A tenant that requires two steps; Alice has a password and a push phone."""
    phone, _ = enrolled(push_token="apns-token-alice")
    admin.set_password(svc, "acme", "alice@acme.test", PASSWORD)
    # Many second steps over a day of waits: pushes enough that none is held (and refused).
    admin.set_policy(
        svc, "acme", Policy(require_two_step=True, deny_lock_after=100, pushes_per_day=1000)
    )
    return phone


@pytest.fixture
def second_step(post, tenant):
    def start() -> dict:
        body = {
            "client_id": tenant["client_id"],
            "username": "alice@acme.test",
            "password": PASSWORD,
            "redirect_uri": CALLBACK,
        }
        status, started = post("/t/acme/password", body, CSRF)
        assert (status, started["status"]) == (200, "second_step"), started
        return started

    return start


@pytest.fixture
def code(post):
    def send(started: dict, value: str) -> tuple[int, dict]:
        body = {"secret": started["secret"], "username": "alice@acme.test", "code": value}
        return post(f"/t/acme/signin/{started['signin_id']}/code", body, CSRF)

    return send


def codes_of(phone, clock) -> tuple[str, str]:
    """A right code now, and a wrong one (right for no step accepted now)."""
    secret = totp.from_base32(phone.enrolment["totp_secret"])
    valid = {totp.code_at(secret, clock() + step * totp.STEP_SECONDS) for step in (-1, 0, 1)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)
    return totp.code_at(secret, clock()), wrong


def fail_until_refused(code, second_step, phone, clock) -> int:
    """Send wrong codes, waiting whatever the service says (and starting the second step
    again when it expires), until one is refused for good (a wait over a day); return the
    wait of that refusal. Each code is wrong at the time it is sent: the clock moves hours
    on, and a code fixed at the start could become a right one."""
    started = second_step()
    while True:
        status, body = code(started, codes_of(phone, clock)[1])
        if status == 401:
            continue
        if status == 409:  # the sign-in expired meanwhile
            started = second_step()
            continue
        assert status == 429, body
        wait = int(body["error_description"].split()[-2]) * (
            60 if "minutes" in body["error_description"] else 1
        )
        if wait > 86400:
            return wait
        clock.advance(wait)


def test_a_hundred_wrong_codes_in_a_row_stop_the_codes_until_a_reset_but_not_the_phone(
    two_step, second_step, code, result, svc, clock
):
    """Needs the per-account run of code failures with its hard stop at MAX_FAILURES, never
    forgotten with time (only a right code or an administrator ends it): before, 10 guesses
    per 15 minutes went on for ever. The phone's own approval is another authenticator, and
    still works."""
    fail_until_refused(code, second_step, two_step, clock)
    clock.advance(30 * 86400)  # a month later
    started = second_step()
    right, _ = codes_of(two_step, clock)

    status, body = code(started, right)
    assert (status, body["error"]) == (429, "too_many_attempts")  # even the right one
    assert two_step.respond(started["signin_id"], "approve", started["number"])[0] == 200
    assert result(started)[1]["status"] == "approved"

    admin.reset_limits(svc, "acme", "alice@acme.test", None)
    started = second_step()
    right, _ = codes_of(two_step, clock)
    assert code(started, right)[0] == 200


def test_each_wrong_code_is_audited_and_shown_to_the_persons_phones(
    two_step, second_step, code, svc, clock
):
    """Needs the failure recorded and left as a notice: a person whose codes are being guessed
    (by someone who has their password) must be told, and their organisation too."""
    started = second_step()
    _, wrong = codes_of(two_step, clock)
    for _ in range(password.FREE_CODE_FAILURES):
        assert code(started, wrong)[0] == 401
    clock.advance(1)  # the first wait
    assert code(started, wrong)[0] == 401

    today = day_of(clock())
    failed = [
        e["detail"]
        for e in admin.audit_log(svc, "acme", today, today)["events"]
        if e["event"] == "totp_failed"
    ]
    assert sorted(d["failures"] for d in failed) == [1, 2, 3, 4]
    assert all(d["network"] == "127.0.0.1" for d in failed)
    (notice,) = [n for n in two_step.pending()[1]["notices"] if n["kind"] == "totp_failed"]
    assert notice["failures"] == password.FREE_CODE_FAILURES + 1
    assert notice["until"] > notice["at"]  # the next code waits


def test_a_right_code_ends_the_run(two_step, second_step, code, clock):
    """Needs the run reset by a success: without it, a person's own typos would add up."""
    right, wrong = codes_of(two_step, clock)
    for _ in range(password.FREE_CODE_FAILURES - 1):
        assert code(second_step(), wrong)[0] == 401
    assert code(second_step(), right)[0] == 200
    clock.advance(totp.STEP_SECONDS * 3)
    right, wrong = codes_of(two_step, clock)

    for _ in range(password.FREE_CODE_FAILURES):
        assert code(second_step(), wrong)[0] == 401  # a new run: free again
