"""Recovery codes (usecases/recovery_codes.py): a set made, counted, and used on the page's
route to sign in once per code, with the password's limits and the password's answer.

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import json

import jwt
import pytest

from chalicelib.domain import secret_codes, tokens
from chalicelib.domain.metering import day_of
from chalicelib.domain.tenants import Policy
from chalicelib.errors import NotFound
from chalicelib.usecases import password_signin as password
from chalicelib.usecases import recovery_codes
from tools.admin import flows as admin

BASE_URL = "https://signin.example.test"
ISSUER = f"{BASE_URL}/t/acme"
CALLBACK = "https://app.acme.test/cb"
PASSWORD = "correct horse battery staple"
CSRF = {"Cookie": "psi_csrf=csrf-token-1", "X-CSRF-Token": "csrf-token-1"}
ALICE = "alice@acme.test"


@pytest.fixture
def page(api):
    """POST JSON as the sign-in page does: (status, body, headers)."""

    def send(path: str, body: dict | str, headers: dict | None = None):
        sent = {"Content-Type": "application/json", "Origin": BASE_URL}
        sent.update(CSRF if headers is None else headers)
        raw = body if isinstance(body, str) else json.dumps(body)
        response = api.http.post(path, headers=sent, body=raw)
        return response.status_code, json.loads(response.body or b"{}"), response.headers

    return send


@pytest.fixture
def recover(page, tenant):
    """Sign in with a recovery code on acme's web client: (status, body, headers)."""

    def send(code: str, username: str = ALICE, headers: dict | None = None, **fields):
        body = {
            "client_id": tenant["client_id"],
            "username": username,
            "code": code,
            "redirect_uri": CALLBACK,
            **fields,
        }
        return page("/t/acme/recovery", body, headers)

    return send


@pytest.fixture
def alice(enrolled, svc):
    """Alice with a phone and a password, who has lost both: (phone, account, codes)."""
    phone, account = enrolled(push_token="apns-token-1")
    admin.set_password(svc, "acme", ALICE, PASSWORD)
    codes = recovery_codes.generate(svc, "acme", ALICE, actor="self")
    return phone, account, codes


@pytest.fixture
def claims_of(token, api, tenant):
    """Redeem an authorization code as acme's web client: the verified ID token's claims."""

    def redeem(code: str) -> dict:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
        status, body = token(form, client=(tenant["client_id"], tenant["client_secret"]))
        assert status == 200, body
        keys = jwt.PyJWKSet.from_dict(api.http.get("/t/acme/jwks.json").json_body)
        key = keys[jwt.get_unverified_header(body["id_token"])["kid"]]
        return jwt.decode(
            body["id_token"], key.key, algorithms=["ES256"], audience=tenant["client_id"],
            issuer=ISSUER,
        )  # fmt: skip

    return redeem


def audit(svc, clock, event: str) -> list:
    return [e for e in svc.audit.day("acme", day_of(int(clock()))) if e.event == event]


def test_a_set_is_ten_fresh_codes_each_stored_only_as_a_keyed_hash(alice, svc, snapshot):
    """Needs generate to store hashes, not codes: without it, the table would hold them."""
    _, account, codes = alice

    assert len(codes) == len(set(codes)) == 10
    assert all(secret_codes.normalise_recovery_code(c) == c for c in codes)
    assert recovery_codes.remaining(svc, "acme", ALICE) == 10
    stored = json.dumps(snapshot())
    assert not any(code in stored or code.replace("-", "") in stored for code in codes)
    assert not any(secret_codes.hash_secret(code) in stored for code in codes)  # keyed, not bare
    (made,) = audit(svc, svc.clock, "recovery_codes_generated")
    assert (made.account, made.actor, made.detail) == (account["sub"], "self", {"codes": 10})
    assert not any(code in json.dumps(made.detail) for code in codes)


def test_a_new_set_replaces_the_old_one(alice, svc, recover):
    """Needs replace to SET the whole attribute: without it, lost codes would keep working."""
    _, _, old = alice
    new = recovery_codes.generate(svc, "acme", ALICE, actor="admin")

    assert recovery_codes.remaining(svc, "acme", ALICE) == 10
    assert recover(old[0])[:2] == (401, recover(old[1])[1])
    assert recover(new[0])[0] == 200


def test_a_code_signs_in_once_with_tokens_that_say_recovery(alice, svc, recover, claims_of):
    """Needs the code spent by the sign-in, and the tokens' amr and acr from the sign-in's
    RECOVERY_AMR: without them, the code would work twice, or the token claim two steps."""
    _, account, codes = alice

    status, body, headers = recover(codes[3].lower().replace("-", " "))  # as typed from paper

    assert status == 200, body
    assert body == {
        "status": "approved",
        "code": body["code"],
        "method": "recovery",
        "remaining": 9,
        "add_method_url": f"{ISSUER}/account",
    }
    # Not remembered as the method to offer first, nor as the owner's browser; only the
    # single sign-on session (its acr says recovery, so an app can ask for more).
    sent = headers.get("Set-Cookie", [])
    assert [line.split("=")[0] for line in ([sent] if isinstance(sent, str) else sent)] == [
        "psi_session"
    ]
    assert recovery_codes.remaining(svc, "acme", ALICE) == 9
    claims = claims_of(body["code"])
    assert claims["sub"] == account["sub"]
    assert claims["amr"] == ["otp"]
    assert claims["acr"] == tokens.ACR_RECOVERY == "urn:phonesignin:acr:recovery"
    again = recover(codes[3])
    assert again[:2] == (401, {**again[1], "error": "invalid_credentials"})
    assert recovery_codes.remaining(svc, "acme", ALICE) == 9


def test_using_a_code_is_audited_and_shown_on_the_phones(alice, svc, recover, clock):
    """Needs the audit event and the notice: without them, a stranger who found the paper
    signs in unseen."""
    phone, account, codes = alice
    assert recover(codes[0])[0] == 200

    (used,) = audit(svc, clock, "recovery_code_used")
    assert used.account == account["sub"]
    assert used.detail["remaining"] == 9
    status, listed = phone.pending()
    assert status == 200
    kinds = {n["kind"]: n for n in listed["notices"]}
    assert kinds["recovery_code_used"]["remaining"] == 9
    assert kinds["recovery_code_used"]["network"]
    assert "recovery_codes_generated" in kinds


def test_the_last_code_leaves_none_and_discovery_names_the_acr(alice, svc, recover, api):
    """Needs the count read from the set after the write (DynamoDB drops an emptied set):
    without it, the last use would fail or miscount."""
    _, _, codes = alice
    for left, code in zip(range(9, -1, -1), codes, strict=True):
        status, body, _ = recover(code)
        assert (status, body["remaining"]) == (200, left)
    assert recovery_codes.remaining(svc, "acme", ALICE) == 0
    assert recover(codes[0])[0] == 401
    discovery = api.http.get("/t/acme/.well-known/openid-configuration").json_body
    assert tokens.ACR_RECOVERY in discovery["acr_values_supported"]


def test_unknown_user_wrong_code_and_disabled_account_get_the_password_answer(
    alice, svc, recover, new_account, with_password_answer
):
    """Needs one answer for every failure (RecoveryCodeStore.use's single condition): without
    it, a disabled account would sign in, or an unknown username answer otherwise."""
    _, _, codes = alice
    new_account("dave@acme.test")
    dave = recovery_codes.generate(svc, "acme", "dave@acme.test", actor="admin")
    admin.set_account_disabled(svc, "acme", "dave@acme.test", True)

    answers = {
        "unknown": recover(codes[0], username="nobody@acme.test"),
        "wrong code": recover("ABCDE-FGHJK" if codes[0] != "ABCDE-FGHJK" else "ABCDE-FGHJM"),
        "disabled": recover(dave[0], username="dave@acme.test"),
    }

    for case, (status, body, headers) in answers.items():
        assert (status, body) == (401, with_password_answer), case
        assert "Set-Cookie" not in headers, case
    assert recovery_codes.remaining(svc, "acme", "dave@acme.test") == 10
    assert recovery_codes.remaining(svc, "acme", ALICE) == 10


@pytest.fixture
def with_password_answer(page, tenant) -> dict:
    """What a wrong password gets (for bob, whose count the tests above do not touch)."""
    body = {"client_id": tenant["client_id"], "username": "bob@acme.test", "password": "x",
            "redirect_uri": CALLBACK}  # fmt: skip
    status, answer, _ = page("/t/acme/password", body)
    assert status == 401
    return answer


def test_wrong_codes_back_off_in_the_passwords_own_run(alice, recover, page, tenant, clock):
    """Needs the code counted by password_signin.claim_attempt under the username's run:
    without it, guesses would not wait, or alternating a code and a password would double
    a guesser's tries."""
    _, _, codes = alice
    wrong = "00000-00000"
    for _ in range(password.FREE_FAILURES - 1):
        assert recover(wrong)[0] == 401
    body = {"client_id": tenant["client_id"], "username": ALICE, "password": "not it",
            "redirect_uri": CALLBACK}  # fmt: skip
    assert page("/t/acme/password", body)[0] == 401  # the fourth failure of the run

    status, refused, headers = recover(codes[0])  # even a right code waits, unchecked
    assert (status, refused["error"], headers["Retry-After"]) == (429, "too_many_attempts", "1")
    clock.advance(1)
    status, answer, _ = recover(codes[0])
    assert (status, answer["remaining"]) == (200, 9)
    for _ in range(password.FREE_FAILURES):  # a right code ends the run
        assert recover(wrong)[0] == 401


def test_a_tenant_that_requires_two_steps_refuses_a_code_alone(alice, svc, recover, snapshot):
    """Needs sign_in to check the policy first: without it, one factor would pass where the
    tenant asks for two."""
    _, _, codes = alice
    admin.set_policy(svc, "acme", Policy(require_two_step=True))
    before = snapshot()

    status, body, _ = recover(codes[0])

    assert (status, body["error"]) == (403, "recovery_unavailable")
    assert snapshot() == before


BAD_BODIES = {
    "no code": {"code": None},
    "code a number": {"code": 1234567890},
    "code too short": {"code": "ABCDE-FGHJ"},
    "code too long": {"code": "ABCDE-FGHJK-1"},
    "code with U": {"code": "ABCDE-FGHJU"},
    "code huge": {"code": "A" * 33},
    "no username": {"username": None},
    "no client": {"client_id": None},
    "unknown client": {"client_id": "nope-web"},
    "unregistered redirect": {"redirect_uri": "https://evil.test/cb"},
    "plain challenge": {"code_challenge": "c" * 43, "code_challenge_method": "plain"},
    "nonce with a newline": {"nonce": "a\nb"},
    "extra field": {"password": PASSWORD},
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_bodies_are_refused_with_400_and_change_nothing(alice, tenant, page, snapshot, case):
    """Needs the body checked (openapi.json's RecoverySignIn, RecoveryRequest.parse) before
    anything is counted or spent: without it, a bad body would be a 500, or cost a code."""
    _, _, codes = alice
    body = {"client_id": tenant["client_id"], "username": ALICE, "code": codes[0],
            "redirect_uri": CALLBACK}  # fmt: skip
    for name, value in BAD_BODIES[case].items():
        if value is None:
            del body[name]
        else:
            body[name] = value
    before = snapshot()

    status, answer, _ = page("/t/acme/recovery", body)

    expected = (401, "invalid_client") if case == "unknown client" else (400, "invalid_request")
    assert (status, answer["error"]) == expected, answer
    assert snapshot() == before


@pytest.mark.parametrize("raw", ["", "[]", "{", '"code"'])
def test_bodies_that_are_not_an_object_are_refused(alice, page, snapshot, raw):
    """Needs web/bodies.py json_body on the route: without it, a 500."""
    before = snapshot()
    assert page("/t/acme/recovery", raw)[0] == 400
    assert snapshot() == before


@pytest.mark.parametrize(
    "headers",
    [{}, {"Cookie": "psi_csrf=a", "X-CSRF-Token": "b"}, {**CSRF, "Origin": "https://evil.test"}],
    ids=["no csrf", "mismatched csrf", "other origin"],
)
def test_a_code_not_sent_by_our_page_is_refused_unchecked(alice, recover, snapshot, headers):
    """Needs hosted_page.from_page(csrf=True) on the route: without it, another site could
    spend (or guess) codes from a visitor's browser."""
    _, _, codes = alice
    before = snapshot()

    status, body, _ = recover(codes[0], headers=headers)

    assert (status, body["error"]) == (403, "cross_site_request")
    assert snapshot() == before


def test_remaining_and_generate_refuse_an_unknown_account(svc, tenant, snapshot):
    """Needs the account looked up first: without it, codes would be stored for nobody (an
    account item made by the write) or counted as 0 for a username that does not exist."""
    before = snapshot()
    with pytest.raises(NotFound):
        recovery_codes.remaining(svc, "acme", "nobody@acme.test")
    with pytest.raises(NotFound):
        recovery_codes.generate(svc, "acme", "nobody@acme.test", actor="admin")
    assert snapshot() == before
