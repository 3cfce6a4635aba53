"""Signing in with a passkey over HTTP: POST /t/{tenant}/passkey/options, then the software
authenticator's answer to POST /t/{tenant}/passkey, then the token endpoint. The passkey is
registered through usecases/passkeys.py as the security-info page does.

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import json

import jwt
import pytest

from chalicelib.domain import tokens
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.metering import day_of
from chalicelib.domain.tenants import Policy
from chalicelib.usecases import passkeys
from tools.admin import flows as admin
from tools.passkey_authenticator import SoftwarePasskey

BASE_URL = "https://signin.example.test"
ISSUER = f"{BASE_URL}/t/acme"
CALLBACK = "https://app.acme.test/cb"
CSRF = {"Cookie": "psi_csrf=csrf-token-1", "X-CSRF-Token": "csrf-token-1"}
ALICE = "alice@acme.test"


@pytest.fixture
def page(api):
    """POST JSON as the sign-in page does: (status, body, headers)."""

    def send(path: str, body: dict | str, headers: dict | None = None):
        sent = {"Content-Type": "application/json", "Origin": BASE_URL, **CSRF}
        sent.update(headers or {})
        raw = body if isinstance(body, str) else json.dumps(body)
        response = api.http.post(path, headers=sent, body=raw)
        return response.status_code, json.loads(response.body or b"{}"), response.headers

    return send


@pytest.fixture
def register(svc, tenant):
    """A passkey for the account (made for ALICE unless told), registered as the
    security-info page registers one: the software authenticator that holds it."""

    def make(username: str = ALICE, synced: bool = False, tenant_id: str = "acme"):
        if svc.accounts.get(tenant_id, username) is None:
            admin.create_account(svc, tenant_id, username, AccountKind.WORK)
        device = SoftwarePasskey(origin=BASE_URL, rp_id="signin.example.test", synced=synced)
        asked = passkeys.registration_options(svc, tenant_id, username)
        answer = device.create(asked["publicKey"])
        passkeys.register(svc, tenant_id, username, asked["challenge_id"], answer, "Laptop")
        return device

    return make


@pytest.fixture
def sign_in(page, tenant):
    """Ask for a challenge, answer it with the authenticator (forged as told), send it:
    (status, body, headers)."""

    def send(device: SoftwarePasskey, tenant_id: str = "acme", **forge):
        status, options, _ = page(f"/t/{tenant_id}/passkey/options", {})
        assert status == 200, options
        body = {
            "client_id": tenant["client_id"],
            "redirect_uri": CALLBACK,
            "nonce": "n-0S6_WzA2Mj",
            "challenge_id": options["challenge_id"],
            "credential": device.get(options["publicKey"], **forge),
        }
        return page(f"/t/{tenant_id}/passkey", body)

    return send


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


def audit(svc, event: str) -> list:
    return [e for e in svc.audit.day("acme", day_of(svc.now())) if e.event == event]


def test_the_options_ask_for_any_passkey_of_this_host_with_user_verification(page, tenant):
    """Needs assertion_options: a discoverable-credential request (no allowCredentials, so
    the page needs no username) for the RP ID of the public base URL, UV required."""
    status, body, _ = page("/t/acme/passkey/options", {})

    assert status == 200, body
    assert body["publicKey"]["rpId"] == "signin.example.test"
    assert body["publicKey"]["userVerification"] == "required"
    assert not body["publicKey"].get("allowCredentials")
    assert len(body["publicKey"]["challenge"]) == 43  # 32 bytes, base64url
    assert body["expires_in"] == 300


def test_a_device_bound_passkey_signs_in_with_hwk_and_the_passkey_acr(
    register, sign_in, claims_of, svc
):
    """Needs sign_in to approve with the passkey's amr and ACR_PASSKEY, and the token
    endpoint to issue them: an app tells a passkey from a phone by acr."""
    device = register()
    status, body, headers = sign_in(device)

    assert status == 200, body
    assert body == {"status": "approved", "code": body["code"], "method": "passkey"}
    assert any(c.startswith("psi_last_method=passkey;") for c in headers["Set-Cookie"])
    claims = claims_of(body["code"])
    account = svc.accounts.get("acme", ALICE)
    assert claims["sub"] == account.account_id
    assert claims["amr"] == ["mfa", "hwk", "user"]
    assert claims["acr"] == tokens.ACR_PASSKEY == "urn:phonesignin:acr:passkey"
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    (stored,) = svc.credentials.list("acme", account.account_id)
    assert (stored.sign_count, stored.last_used_at) == (1, svc.now())
    (event,) = audit(svc, "passkey_signin")
    assert event.account == account.account_id
    assert event.detail["credential_id"] == stored.credential_id


def test_a_synced_passkey_signs_in_with_swk(register, sign_in, claims_of):
    """Needs the amr from the stored BE flag: a synced passkey is a software key (swk)."""
    status, body, _ = sign_in(register(synced=True))
    assert status == 200, body
    claims = claims_of(body["code"])
    assert (claims["amr"], claims["acr"]) == (["mfa", "swk", "user"], tokens.ACR_PASSKEY)


def test_a_passkey_sign_in_is_metered(register, sign_in, svc):
    """Needs Billable.PASSKEY_CHECK counted: usage shows what each sign-in method costs."""
    sign_in(register())
    svc.meter.flush()
    assert svc.usage.day("acme", day_of(svc.now()))["passkey_checks"] == 1


def test_an_answer_is_taken_once(register, page, tenant):
    """Needs the challenge taken by a conditional delete: the same answer sent again (a
    replay of a captured request) is refused."""
    device = register()
    _, options, _ = page("/t/acme/passkey/options", {})
    body = {
        "client_id": tenant["client_id"],
        "redirect_uri": CALLBACK,
        "challenge_id": options["challenge_id"],
        "credential": device.get(options["publicKey"]),
    }
    assert page("/t/acme/passkey", body)[0] == 200
    status, again, _ = page("/t/acme/passkey", body)
    assert (status, again["error"]) == (401, "invalid_passkey")


def test_a_disabled_account_cannot_sign_in_with_its_passkey(register, sign_in, svc):
    """Needs sign_in to read the account and refuse a disabled one: a passkey outlives
    the account's suspension otherwise."""
    device = register()
    admin.set_account_disabled(svc, "acme", ALICE, True)
    status, body, _ = sign_in(device)
    assert (status, body["error"]) == (401, "invalid_passkey")
    (refused,) = audit(svc, "passkey_refused")
    assert refused.detail["reason"] == "This account cannot sign in."


def test_a_tenant_without_passkeys_answers_403_on_both_routes(register, page, svc, tenant):
    """Needs the policy checked by both routes (passkeys.py _tenant): a tenant that turned
    passkeys off gets no sign-in with one, and no challenge either."""
    device = register()
    admin.set_policy(svc, "acme", Policy(passkeys=False))
    status, body, _ = page("/t/acme/passkey/options", {})
    assert (status, body["error"]) == (403, "passkeys_disabled")
    answer = {
        "client_id": tenant["client_id"],
        "redirect_uri": CALLBACK,
        "challenge_id": "A" * 22,
        "credential": device.get({"challenge": "A" * 43}),
    }
    status, body, _ = page("/t/acme/passkey", answer)
    assert (status, body["error"]) == (403, "passkeys_disabled")


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"X-CSRF-Token": "another"},
    ],
)
def test_the_routes_answer_only_the_page(register, page, tenant, headers):
    """Needs hosted_page.from_page on both routes (Origin; and CSRF for the answer)."""
    device = register()
    _, options, _ = page("/t/acme/passkey/options", {})
    body = {
        "client_id": tenant["client_id"],
        "redirect_uri": CALLBACK,
        "challenge_id": options["challenge_id"],
        "credential": device.get(options["publicKey"]),
    }
    status, answer, _ = page("/t/acme/passkey", body, headers)
    assert (status, answer["error"]) == (403, "cross_site_request")
    if "Origin" in headers:
        assert page("/t/acme/passkey/options", {}, headers)[0] == 403


def good_body(device: SoftwarePasskey, tenant: dict) -> dict:
    return {
        "client_id": tenant["client_id"],
        "redirect_uri": CALLBACK,
        "challenge_id": "A" * 22,
        "credential": device.get({"challenge": "A" * 43}),
    }


def credential_with(device, tenant, **response) -> dict:
    body = good_body(device, tenant)
    body["credential"]["response"] = {**body["credential"]["response"], **response}
    return body


BAD_BODIES = {
    "no credential": lambda d, t: {k: v for k, v in good_body(d, t).items() if k != "credential"},
    "credential not an object": lambda d, t: {**good_body(d, t), "credential": "x"},
    "challenge id too short": lambda d, t: {**good_body(d, t), "challenge_id": "A" * 21},
    "challenge id not canonical": lambda d, t: {**good_body(d, t), "challenge_id": "A" * 21 + "B"},
    "raw id a number": lambda d, t: {
        **good_body(d, t), "credential": {**good_body(d, t)["credential"], "rawId": 10**12}
    },
    "signature not base64url": lambda d, t: credential_with(d, t, signature="a+b/"),
    "client data not JSON": lambda d, t: credential_with(d, t, clientDataJSON="AAAA"),
    "authenticator data truncated": lambda d, t: credential_with(d, t, authenticatorData="AAAA"),
    "an extra member": lambda d, t: credential_with(d, t, attestationObject="AA"),
    "unknown client": lambda d, t: {**good_body(d, t), "client_id": "nobody"},
    "redirect not registered": lambda d, t: {**good_body(d, t), "redirect_uri": "https://e.x/"},
    "no pkce method": lambda d, t: {**good_body(d, t), "code_challenge": "x" * 43},
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_bodies_are_refused_with_4xx_and_change_nothing(register, page, tenant, snapshot, case):
    """Needs the body checked (openapi.json's PasskeySignIn, validate_challenge_id, the
    client) and the credential parsed before the challenge is taken: a clear 4xx, no 500,
    nothing written."""
    device = register()
    body = BAD_BODIES[case](device, tenant)
    before = snapshot()
    status, answer, _ = page("/t/acme/passkey", body)
    assert 400 <= status < 500 and answer["error"] in ("invalid_request", "invalid_client")
    assert snapshot() == before
