"""Hardening, one defence a test: redirect URIs bound from start to token, OAuth and CIBA
errors as the specs say, what a phone is shown of the browser, transport security, password
hashing at OWASP's floor, forms that are not UTF-8, and a new phone shown to the others.

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets

import pytest

from chalicelib.domain.passwords import PasswordHasher
from chalicelib.domain.secret_codes import b64url
from chalicelib.settings import Settings
from tools.admin import flows as admin

BASE_URL = "https://signin.example.test"
CALLBACK = "https://app.acme.test/cb"
PASSWORD = "correct horse battery staple"
CSRF = {"Cookie": "psi_csrf=t", "X-CSRF-Token": "t", "Origin": BASE_URL}
CIBA = "urn:openid:params:grant-type:ciba"


def web_client(tenant) -> tuple[str, str]:
    return tenant["client_id"], tenant["client_secret"]


# --- The redirect URI, from the start of a sign-in to the token --------------------------------


@pytest.mark.parametrize("path", ["/t/acme/signin", "/t/acme/password"])
def test_a_page_signin_cannot_start_without_its_redirect_uri(path, alice, post, tenant, snapshot):
    """Needs redirect_uri required at the start (StartRequest, PasswordRequest): a sign-in
    stored without one could be redeemed at /token for any redirect URI."""
    body = {"client_id": tenant["client_id"], "username": "alice@acme.test", "password": PASSWORD}
    before = snapshot()

    status, answer = post(path, body, CSRF)

    assert (status, answer["error"]) == (400, "invalid_request")
    assert "redirect_uri" in answer["error_description"]
    assert snapshot() == before


def test_the_token_endpoint_needs_the_exact_redirect_uri_the_signin_started_with(
    alice, start, approved, token, tenant
):
    """Needs redirect_uri required and compared exactly at /token (RFC 6749 4.1.3, RFC 9700):
    once a code redeemed without it, or with another registered one."""
    code = approved(alice, start())
    tries = {
        "missing": ({"grant_type": "authorization_code", "code": code}, "invalid_request"),
        "other": (
            {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK + "/x"},
            "invalid_grant",
        ),
    }

    answers = {
        case: (lambda r: (r[0], r[1]["error"]))(token(form, client=web_client(tenant)))
        for case, (form, _) in tries.items()
    }

    assert answers == {case: (400, error) for case, (_, error) in tries.items()}
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    assert token(form, client=web_client(tenant))[0] == 200  # not spent by the refusals


# --- CIBA: an auth_req_id that is not a live one of this client ---------------------------------


def test_any_auth_req_id_that_is_not_a_live_one_is_invalid_grant(alice, ask, token, tenant):
    """Needs usecases/ciba.py `poll` to answer invalid_grant (CIBA Core 11) for anything that is
    not a live request of this client: a malformed one once answered invalid_request."""
    real = ask()["auth_req_id"]
    signin_id = real.split(".")[0]
    forged = [signin_id, f"{signin_id}.", f"{signin_id}.{'s' * 65}", "x.y", "no-dot-at-all"]

    answers = [
        token({"grant_type": CIBA, "auth_req_id": sent}, client=web_client(tenant))
        for sent in forged
    ]

    assert [(status, body["error"]) for status, body in answers] == [(400, "invalid_grant")] * len(
        forged
    )
    status, body = token({"grant_type": CIBA, "auth_req_id": real}, client=web_client(tenant))
    assert (status, body["error"]) == (400, "authorization_pending")


# --- What a phone is shown of the browser ------------------------------------------------------

HOSTILE_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 \u202eevil\u202c\r\nX-Injected: 1\x00\u2066"
)


def test_the_phone_is_shown_a_readable_device_and_the_stored_user_agent_is_clean(
    enrolled, post, tenant, svc, published
):
    """Needs Origin.of to clean the user agent (useragent.clean: no control, format or bidi
    characters) and the phone to get useragent.describe's "Chrome on Windows": the raw
    string, with an RTL override, once reached the phone and the audit log as sent."""
    alice, _ = enrolled(push_token="apns-token-alice")
    body = {"client_id": tenant["client_id"], "username": "alice@acme.test"}
    status, started = post(
        "/t/acme/signin", {**body, "redirect_uri": CALLBACK}, {"User-Agent": HOSTILE_UA}
    )
    assert status == 200, started

    (listed,) = alice.pending()[1]["signins"]
    assert listed["device"] == "Chrome on Windows" and "user_agent" not in listed
    (call,) = published
    assert "Mozilla" not in call["Message"] and "Chrome on Windows" in call["Message"]
    stored = svc.signins.get("acme", started["signin_id"]).origin.user_agent
    assert stored.startswith("Mozilla/5.0") and all(ch.isprintable() for ch in stored)
    assert not {"\u202e", "\u202c", "\u2066", "\r", "\n", "\x00"} & set(stored)


# --- Transport security --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/t/acme/.well-known/openid-configuration", "/static/signin.js", "/openapi.json"]
)
def test_every_answer_over_https_tells_browsers_to_stay_on_https(path, api, tenant):
    """Needs HSTS on every response when PUBLIC_BASE_URL is https (web/middleware.py, around
    every route): without it, a first visit over http can be intercepted."""
    response = api.http.get(path)

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_no_hsts_where_the_service_is_not_served_over_https(api, tenant, svc, monkeypatch):
    local = dataclasses.replace(svc.settings, public_base_url="http://127.0.0.1:8000")
    monkeypatch.setattr(svc, "settings", local)

    assert "Strict-Transport-Security" not in api.http.get("/openapi.json").headers


# --- Passwords: OWASP's floor, and old hashes made again ----------------------------------------


def test_the_deployed_cost_is_owasps_argon2id_minimum():
    """Needs Settings' defaults at OWASP's Argon2id minimum (19 MiB, 2 passes, 1 lane): the
    service once hashed with scrypt at N=2^15, below OWASP's floor for scrypt (2^17)."""
    settings = Settings.from_env({"PUBLIC_BASE_URL": BASE_URL})
    hasher = PasswordHasher(settings.argon2_memory_kib, settings.argon2_time_cost)

    assert (settings.argon2_memory_kib, settings.argon2_time_cost) == (19456, 2)
    assert hasher.hash(PASSWORD, secrets).startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.decoy.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.parametrize("older", ["scrypt at 2^15", "argon2id at less memory"])
def test_a_hash_made_before_is_made_again_at_the_next_right_password(
    older, new_account, svc, post, tenant
):
    """Needs the rehash on a successful sign-in (PasswordHasher.outdated): without it, hashes
    made before (scrypt at 2^15, or Argon2id at a lower cost) would stay cheap to crack."""
    new_account()
    if older.startswith("scrypt"):
        salt = bytes(16)
        digest = hashlib.scrypt(
            PASSWORD.encode(), salt=salt, n=2**15, r=8, p=1, maxmem=2**26, dklen=32
        )
        old = f"scrypt$32768$8$1${b64url(salt)}${b64url(digest)}"
    else:
        old = PasswordHasher(svc.passwords.memory_kib // 2, 1).hash(PASSWORD, secrets)
    svc.accounts.set_password("acme", "alice@acme.test", old)
    body = {
        "client_id": tenant["client_id"],
        "username": "alice@acme.test",
        "redirect_uri": CALLBACK,
    }

    assert post("/t/acme/password", {**body, "password": "wrong password"}, CSRF)[0] == 401
    assert svc.accounts.get("acme", "alice@acme.test").password_hash == old  # not on a failure
    assert post("/t/acme/password", {**body, "password": PASSWORD}, CSRF)[0] == 200

    rehashed = svc.accounts.get("acme", "alice@acme.test").password_hash
    cost = f"m={svc.passwords.memory_kib},t={svc.passwords.time_cost},p=1"
    assert rehashed.startswith(f"$argon2id$v=19${cost}$") and rehashed != old
    assert post("/t/acme/password", {**body, "password": PASSWORD}, CSRF)[0] == 200


# --- Forms that are not UTF-8 --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["Order%20%FF", "%ED%A0%80", "%C0%AF", "caf%E9"],
    ids=["ff", "surrogate", "overlong", "latin1"],
)
def test_a_form_value_that_is_not_utf8_is_refused_not_replaced(value, alice, backchannel, snapshot):
    """Needs bodies.form_body to decode strictly: parse_qsl's default turned such bytes into
    U+FFFD, and the phone would have shown "Order \ufffd" as the binding message."""
    before = snapshot()

    status, body = backchannel(f"scope=openid&login_hint=alice%40acme.test&binding_message={value}")

    assert (status, body["error"]) == (400, "invalid_request")
    assert snapshot() == before


def test_a_binding_message_of_only_spaces_is_refused(alice, backchannel):
    """Needs a visible character in the binding message: a blank one shows nothing to match."""
    form = {"scope": "openid", "login_hint": "alice@acme.test", "binding_message": "   "}

    assert backchannel(form)[1]["error"] == "invalid_binding_message"


# --- A new phone is shown to the account's other phones ------------------------------------------


def test_the_accounts_other_phones_are_told_of_a_new_enrolment(alice, make_phone, svc):
    """Needs the enrolment notice (usecases/device_api.py enrol): a phone added by someone holding
    a leaked activation code would otherwise go unseen by its owner."""
    code = admin.issue_activation_code(svc, "acme", "alice@acme.test")["activation_code"]
    newcomer = make_phone()
    assert newcomer.enrol(code, platform="android")[0] == 200

    (notice,) = alice.pending()[1]["notices"]
    assert (notice["kind"], notice["platform"]) == ("device_enrolled", "android")
    # The newcomer is told of Alice's first phone, not of itself.
    assert [n["platform"] for n in newcomer.pending()[1]["notices"]] == ["ios"]
