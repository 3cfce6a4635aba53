"""Password sign-in ("use your password instead") and its second step, as the page, the person
and a guesser see them: answers, attempt limits, the phone or a TOTP code as second step."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import secrets
import time
from http.cookies import SimpleCookie

import jwt
import pytest

from chalicelib.domain import totp
from chalicelib.domain.tenants import Policy
from chalicelib.usecases import password_signin as password
from tests.metric_filters import as_lambda_writes, counted
from tools.admin import flows as admin

BASE_URL = "https://signin.example.test"
ISSUER = f"{BASE_URL}/t/acme"
PASSWORD = "correct horse battery staple"
CSRF = {"Cookie": "psi_csrf=csrf-token-1", "X-CSRF-Token": "csrf-token-1"}
CODE = "authorization_code"
CALLBACK = "https://app.acme.test/cb"


def web_client(tenant) -> tuple[str, str]:
    return tenant["client_id"], tenant["client_secret"]


@pytest.fixture
def page(api):
    """POST JSON as the sign-in page does (our origin, the CSRF cookie echoed in a header):
    (status, body, headers)."""

    def send(path: str, body: dict, headers: dict | None = None):
        sent = {"Content-Type": "application/json", "Origin": BASE_URL}
        sent.update(CSRF if headers is None else headers)
        response = api.http.post(path, headers=sent, body=json.dumps(body))
        return response.status_code, json.loads(response.body or b"{}"), response.headers

    return send


@pytest.fixture
def with_password(page, tenant):
    """Sign in with a password on acme's web client: (status, body, headers)."""

    def send(username: str = "alice@acme.test", password: str = PASSWORD, **kwargs):
        body = {
            "client_id": tenant["client_id"],
            "username": username,
            "password": password,
            "redirect_uri": CALLBACK,
        }
        return page("/t/acme/password", body, **kwargs)

    return send


@pytest.fixture
def with_code(page):
    """Answer a two-step sign-in's second step with a TOTP code: (status, body, headers)."""

    def send(started: dict, code: str, username: str = "alice@acme.test"):
        body = {"secret": started["secret"], "username": username, "code": code}
        return page(f"/t/acme/signin/{started['signin_id']}/code", body)

    return send


@pytest.fixture
def exchange(token, api, tenant):
    """Redeem a code as acme's web client and return the verified ID token claims."""

    def redeem(code: str) -> dict:
        form = {"grant_type": CODE, "code": code, "redirect_uri": CALLBACK}
        status, body = token(form, client=web_client(tenant))
        assert status == 200, body
        keys = jwt.PyJWKSet.from_dict(api.http.get("/t/acme/jwks.json").json_body)
        key = keys[jwt.get_unverified_header(body["id_token"])["kid"]]
        return jwt.decode(
            body["id_token"],
            key.key,
            algorithms=["ES256"],
            audience=tenant["client_id"],
            issuer=ISSUER,
        )

    return redeem


@pytest.fixture
def alice(new_account, svc):
    """An account with a password and no phone."""
    account = new_account()
    admin.set_password(svc, "acme", "alice@acme.test", PASSWORD)
    return account


@pytest.fixture
def two_step(enrolled, svc):
    """A tenant that requires two steps; alice has a password and a push phone:
    (phone, account)."""
    phone, account = enrolled(push_token="apns-token-1")
    admin.set_password(svc, "acme", "alice@acme.test", PASSWORD)
    admin.set_policy(svc, "acme", Policy(require_two_step=True))
    return phone, account


@pytest.fixture
def cheap_alice(new_account, svc):
    """Alice with a password (scrypt at the tests' small cost: the limits do not depend on it)."""
    account = new_account()
    admin.set_password(svc, "acme", "alice@acme.test", PASSWORD)
    return account


def cookie(headers: dict, name: str):
    sent = headers.get("Set-Cookie", [])
    jar = SimpleCookie()
    for line in [sent] if isinstance(sent, str) else sent:
        jar.load(line)
    return jar.get(name)


def current_code(phone, clock) -> str:
    return totp.code_at(totp.from_base32(phone.enrolment["totp_secret"]), clock())


def wrong_code(phone, clock) -> str:
    """A six-digit code valid for none of the steps the service accepts now."""
    secret = totp.from_base32(phone.enrolment["totp_secret"])
    valid = {totp.code_at(secret, clock() + step * totp.STEP_SECONDS) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


# --- Password sign-in --------------------------------------------------------------------------


def test_the_right_password_signs_in_and_is_remembered(alice, with_password, exchange):
    status, body, headers = with_password()

    assert status == 200, body
    assert body["status"] == "approved"
    assert body["method"] == "password"
    remembered = cookie(headers, "psi_last_method")
    assert remembered.value == "password"
    assert (remembered["path"], remembered["samesite"]) == ("/t/acme", "Lax")
    assert remembered["httponly"] is True
    claims = exchange(body["code"])
    assert claims["sub"] == alice["sub"]
    assert claims["amr"] == ["pwd"]
    assert claims["acr"] == "urn:phonesignin:acr:pwd"


def test_the_page_offers_the_remembered_method_first(api, tenant):
    query = (
        f"client_id={tenant['client_id']}&redirect_uri=https%3A%2F%2Fapp.acme.test%2Fcb"
        "&response_type=code&scope=openid"
    )

    fresh = api.http.get(f"/t/acme/authorize?{query}").body.decode()
    remembered = api.http.get(
        f"/t/acme/authorize?{query}", headers={"Cookie": "psi_last_method=password"}
    ).body.decode()

    assert 'data-first-method="phone"' in fresh
    assert 'data-first-method="password"' in remembered


def test_a_wrong_password_and_an_unknown_username_get_the_same_answer(
    alice, new_account, with_password
):
    new_account("bob@acme.test")  # an account that has no password

    answers = [
        with_password("alice@acme.test", "not the password"),
        with_password("nobody@acme.test", PASSWORD),
        with_password("bob@acme.test", PASSWORD),
    ]

    for status, body, headers in answers:
        assert (status, body) == (401, answers[0][1])
        assert body["error"] == "invalid_credentials"
        assert cookie(headers, "psi_last_method") is None


CROSS_SITE = {
    "no csrf header": {"Cookie": "psi_csrf=csrf-token-1"},
    "no csrf cookie": {"X-CSRF-Token": "csrf-token-1"},
    "mismatched": {"Cookie": "psi_csrf=csrf-token-1", "X-CSRF-Token": "csrf-token-2"},
    "nothing": {},
    "other origin": {**CSRF, "Origin": "https://evil.test"},
}


def test_a_password_not_sent_by_our_page_is_refused_unchecked_and_uncounted(
    alice, with_password, snapshot
):
    before = snapshot()

    answers = {
        (case, password): with_password(password=password, headers=headers)[:2]
        for case, headers in CROSS_SITE.items()
        for password in ("not the password", PASSWORD)
    }

    refused = (403, "cross_site_request")
    assert {key: (s, b.get("error")) for key, (s, b) in answers.items()} == dict.fromkeys(
        answers, refused
    )
    assert snapshot() == before  # no failed attempt recorded
    assert with_password()[0] == 200


# --- Attempt limits ----------------------------------------------------------------------------


def test_consecutive_failures_back_off_exponentially_known_or_not(
    cheap_alice, new_account, svc, with_password, clock
):
    new_account("bob@acme.test")
    admin.set_password(svc, "acme", "bob@acme.test", PASSWORD)
    refusals = {}
    for username in ("alice@acme.test", "nobody@acme.test"):
        for _ in range(password.FREE_FAILURES):  # typos cost nothing
            assert with_password(username, "not the password")[0] == 401
        waits = []
        for _ in range(5):
            status, body, headers = with_password(username)  # even the right one is unchecked
            assert (status, body["error"]) == (429, "too_many_attempts")
            waits.append(int(headers["Retry-After"]))
            refusals[username] = body
            clock.advance(waits[-1])
            assert with_password(username, "not the password")[0] == 401
        assert waits == [1, 2, 4, 8, 16]

    assert refusals["alice@acme.test"] == refusals["nobody@acme.test"]  # unknown looks the same
    assert with_password("bob@acme.test")[0] == 200  # others are not slowed down
    clock.advance(32)
    status, body, _ = with_password("alice@acme.test")
    assert (status, body["status"]) == (200, "approved")
    for _ in range(password.FREE_FAILURES):  # the right password started the count again
        assert with_password("alice@acme.test", "not the password")[0] == 401


def test_waits_stop_doubling_at_15_minutes_100_failures_lock_for_a_day_until_a_reset(
    cheap_alice, with_password, clock, svc, caplog, monkeypatch
):
    """The lock is also the operator's Locks metric: its line, as Lambda's JSON log format
    writes it, matches that metric filter (tests/api/test_metrics.py has the others)."""
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    caplog.set_level(logging.INFO, logger="phonesignin")
    first_day = time.strftime("%Y-%m-%d", time.gmtime(clock()))
    failures, waits = 0, []
    while failures < password.MAX_FAILURES:
        status, _, headers = with_password("alice@acme.test", "not the password")
        if status == 429:  # wait as told, then try again
            waits.append(int(headers["Retry-After"]))
            clock.advance(waits[-1])
        else:
            assert status == 401
            failures += 1
    status, _, headers = with_password("alice@acme.test")

    assert status == 429
    assert max(waits) == 900
    assert int(headers["Retry-After"]) == 24 * 3600
    last_day = time.strftime("%Y-%m-%d", time.gmtime(clock()))
    events = admin.audit_log(svc, "acme", first_day, last_day)["events"]
    assert [e["event"] for e in events].count("password_locked") == 1
    lines = [as_lambda_writes(r) for r in caplog.records if r.name == "phonesignin"]
    assert [counted(line) for line in lines if counted(line)] == [{"Locks": 1}]
    admin.set_password(svc, "acme", "alice@acme.test", "a new password 2")  # the way out
    assert with_password("alice@acme.test", "a new password 2")[0] == 200


def test_fifty_failures_from_one_address_lock_every_username(cheap_alice, with_password, clock):
    for n in range(50):
        assert with_password(f"guess-{n}@acme.test", "not the password")[0] == 401

    status, body, headers = with_password("alice@acme.test")

    assert (status, body["error"]) == (429, "too_many_attempts")
    assert 0 < int(headers["Retry-After"]) <= 900
    clock.advance(int(headers["Retry-After"]))
    assert with_password("alice@acme.test")[0] == 200


def test_an_ipv6_slash_64_counts_as_one_address(cheap_alice, with_password, svc, monkeypatch):
    """Needs per-address limits keyed by the /64: one subscriber's allocation holds 2^64
    addresses, so a limit per address would never be reached."""
    secret = "origin-secret"
    digest = hashlib.sha256(secret.encode()).hexdigest()
    settings = dataclasses.replace(svc.settings, cloudfront_secret_sha256=digest)
    monkeypatch.setattr(svc, "settings", settings)

    def from_address(address: str, username: str, password: str = "not the password"):
        viewer = {"X-Origin-Secret": secret, "CloudFront-Viewer-Address": f"{address}:443"}
        return with_password(username, password, headers={**CSRF, **viewer})

    for n in range(password.FAILURES_PER_NETWORK):
        assert from_address(f"2001:db8:0:1::{n + 1:x}", f"guess-{n}@acme.test")[0] == 401

    assert from_address("2001:db8:0:1:ffff::9", "alice@acme.test", PASSWORD)[0] == 429
    assert from_address("2001:db8:0:2::1", "alice@acme.test", PASSWORD)[0] == 200


# --- Where the tenant requires two steps --------------------------------------------------------


def test_the_right_password_then_asks_for_the_phone(
    two_step, with_password, svc, endpoints, result, exchange
):
    phone, account = two_step
    arn = svc.devices.get("acme", phone.device_id).endpoint_arn

    status, started, headers = with_password()

    assert status == 200, started
    assert started["status"] == "second_step"
    assert 10 <= started["number"] <= 99
    assert "code" not in started
    assert cookie(headers, "psi_last_method") is None  # not signed in yet
    assert len(endpoints[arn].messages) == 1
    (waiting,) = phone.pending()[1]["signins"]
    assert waiting["signin_id"] == started["signin_id"]
    assert waiting["number_match"] == "type"
    assert result(started)[1]["status"] == "pending"

    assert phone.respond(started["signin_id"], "approve", started["number"])[0] == 200
    status, answer = result(started)
    assert (status, answer["status"]) == (200, "approved")
    claims = exchange(answer["code"])
    assert claims["sub"] == account["sub"]
    assert claims["amr"] == ["pwd", "mfa", "hwk", "user"]
    assert claims["acr"] == "urn:phonesignin:acr:mfa"


def test_a_totp_code_from_the_app_is_the_second_step(
    two_step, with_password, with_code, exchange, clock
):
    phone, _ = two_step
    started = with_password()[1]

    status, body, headers = with_code(started, current_code(phone, clock))

    assert status == 200, body
    assert body["status"] == "approved"
    assert cookie(headers, "psi_last_method").value == "password"
    claims = exchange(body["code"])
    assert claims["amr"] == ["pwd", "mfa", "otp"]
    assert claims["acr"] == "urn:phonesignin:acr:mfa"
    assert phone.pending() == (200, {"signins": [], "notices": []})


def test_a_totp_code_works_once(two_step, with_password, with_code, result, clock):
    phone, _ = two_step
    code = current_code(phone, clock)
    assert with_code(with_password()[1], code)[0] == 200
    again = with_password()[1]

    status, body, _ = with_code(again, code)

    assert (status, body["error"]) == (401, "invalid_code")
    assert result(again)[1]["status"] == "pending"


def test_wrong_codes_in_a_row_back_off_per_account_and_a_right_one_ends_the_run(
    two_step, with_password, with_code, result, clock, svc
):
    """Needs the consecutive failures counted per account and claimed before the check
    (usecases/password_signin.py second_step_code): new sign-ins do not buy new guesses, and
    after the first few each wait doubles."""
    phone, _ = two_step
    started = with_password()[1]
    for _ in range(password.FREE_CODE_FAILURES):
        status, body, _ = with_code(started, wrong_code(phone, clock))
        assert (status, body["error"]) == (401, "invalid_code")
    waits = []
    for _ in range(3):
        again = with_password()[1]  # a new sign-in buys no new guess
        status, body, headers = with_code(again, current_code(phone, clock))
        assert (status, body["error"]) == (429, "too_many_attempts")
        waits.append(int(headers["Retry-After"]))
        clock.advance(waits[-1])
        assert with_code(again, wrong_code(phone, clock))[0] == 401
    assert waits == [1, 2, 4]
    clock.advance(8)
    latest = with_password()[1]
    assert with_code(latest, current_code(phone, clock))[0] == 200
    assert with_code(with_password()[1], wrong_code(phone, clock))[0] == 401  # a new run
    assert result(started)[1]["status"] == "pending"
    assert svc.devices.get("acme", phone.device_id) is not None


def test_a_code_needs_the_csrf_token_too(two_step, with_password, page, result, clock):
    phone, _ = two_step
    started = with_password()[1]
    body = {
        "secret": started["secret"],
        "username": "alice@acme.test",
        "code": current_code(phone, clock),
    }

    status, answer, _ = page(f"/t/acme/signin/{started['signin_id']}/code", body, headers={})

    assert (status, answer["error"]) == (403, "cross_site_request")
    assert result(started)[1]["status"] == "pending"


def test_an_account_without_a_phone_cannot_sign_in_where_two_steps_are_required(
    alice, svc, with_password, snapshot
):
    admin.set_policy(svc, "acme", Policy(require_two_step=True))
    before = snapshot()

    status, body, _ = with_password()

    assert (status, body["error"]) == (403, "second_step_unavailable")
    assert "code" not in body
    after = snapshot()
    # The network's attempt counter was claimed and given back (a zero left until TTL).
    assert {k: v for k, v in after.items() if k != "test-limits"} == {
        k: v for k, v in before.items() if k != "test-limits"
    }


def test_a_code_is_refused_on_a_phone_signin_without_a_password_step(
    two_step, start, with_code, result, clock
):
    phone, _ = two_step
    started = start()

    status, body, _ = with_code(started, current_code(phone, clock))

    assert (status, body["error"]) == (400, "invalid_request")
    assert result(started)[1]["status"] == "pending"
    assert phone.respond(started["signin_id"], "approve", started["number"])[0] == 200


def test_a_code_for_someone_elses_signin_is_refused(two_step, with_password, with_code, clock):
    phone, _ = two_step
    started = with_password()[1]
    stranger = {**started, "secret": secrets.token_urlsafe(32)}

    status, body, _ = with_code(stranger, current_code(phone, clock))

    assert (status, body["error"]) == (403, "invalid_binding")
    assert with_code(started, current_code(phone, clock))[0] == 200  # the code is unspent


# --- The phone remembered as the last method ---------------------------------------------------


def test_a_phone_approval_is_remembered_when_the_page_collects_it(enrolled, start, api):
    phone, _ = enrolled()
    started = start()
    path = f"/t/acme/signin/{started['signin_id']}/result"
    collect = {"headers": {"Content-Type": "application/json"}}
    collect["body"] = json.dumps({"secret": started["secret"]})

    pending = api.http.post(path, **collect)
    assert phone.respond(started["signin_id"], "approve", started["number"])[0] == 200
    approved = api.http.post(path, **collect)

    assert "Set-Cookie" not in pending.headers
    assert approved.status_code == 200
    remembered = cookie(approved.headers, "psi_last_method")
    assert remembered.value == "phone"
    assert remembered["max-age"] == str(365 * 24 * 3600)
