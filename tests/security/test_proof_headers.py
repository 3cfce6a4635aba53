"""A signed proof says one thing: exactly the header members of its call, every member named
once, and one signature per message (low S). Each test names the defence it needs."""

from __future__ import annotations

import json
import secrets

import pytest

from authenticator.device_api import P256_ORDER, b64url, device_id, es256, jws, public_jwk
from chalicelib.domain.secret_codes import b64url_decode
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin

ACME = "https://signin.example.test/t/acme"
ENROL, REQUEST, RESPONSE = "device-enrol+jwt", "device-request+jwt", "signin-response+jwt"


def fresh(clock, **claims) -> dict:
    return {"aud": ACME, "iat": int(clock()), "jti": secrets.token_urlsafe(16), **claims}


def approval(started: dict, clock) -> dict:
    return fresh(clock, sid=started["signin_id"], decision="approve", number=started["number"])


def enrolment(account: dict, phone, clock) -> dict:
    return fresh(
        clock,
        activation_code=account["activation_code"],
        platform="ios",
        installation_id=phone.installation_id,
        screen_lock=True,
    )


def as_written(key, header: str, payload: str) -> str:
    """A proof signed (ES256, low S) over JSON exactly as written: a member may come twice."""
    signing_input = f"{b64url(header.encode())}.{b64url(payload.encode())}"
    return f"{signing_input}.{b64url(es256(key, signing_input.encode()))}"


def s_of(token: str) -> int:
    return int.from_bytes(b64url_decode(token.rsplit(".", 1)[1])[32:], "big")


def with_s(token: str, s: int) -> str:
    signing_input, signature = token.rsplit(".", 1)
    r = b64url_decode(signature)[:32]
    return f"{signing_input}.{b64url(r + s.to_bytes(32, 'big'))}"


# --- Exactly the header members of the call -----------------------------------------------------


def test_an_enrolment_proof_that_also_names_a_kid_is_refused(
    new_account, make_phone, clock, post, snapshot
):
    """Needs proofs.unverified_header's member set for device-enrol+jwt ({alg, typ, jwk}):
    without it the enrolment goes through, with a second, unchecked name for the key."""
    account, phone = new_account(), make_phone()
    header = {"typ": ENROL, "jwk": public_jwk(phone.key), "kid": device_id(phone.key)}
    before = snapshot()

    status, body = post(
        "/t/acme/device/enrol", {"proof": jws(phone.key, header, enrolment(account, phone, clock))}
    )

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert snapshot() == before


def test_a_response_proof_that_also_carries_a_jwk_is_refused(alice, start, post, result, clock):
    """Needs proofs.unverified_header's member set for signin-response+jwt ({alg, typ, kid}):
    without it the approval counts."""
    started = start()
    header = {"typ": RESPONSE, "kid": alice.device_id, "jwk": public_jwk(alice.key)}

    status, body = post(
        "/t/acme/device/respond", {"proof": jws(alice.key, header, approval(started, clock))}
    )

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert result(started)[1]["status"] == "pending"


def test_a_request_proof_that_also_carries_a_jwk_is_refused(alice, start, post, clock):
    """Needs proofs.unverified_header's member set for device-request+jwt ({alg, typ, kid}):
    without it the phone gets the list of waiting sign-ins."""
    start()
    header = {"typ": REQUEST, "kid": alice.device_id, "jwk": public_jwk(alice.key)}

    status, body = post(
        "/t/acme/device/signins", {"proof": jws(alice.key, header, fresh(clock, act="pending"))}
    )

    assert (status, body["error"]) == (401, "invalid_device_proof")


def test_a_response_proof_without_a_kid_is_refused_and_told_what_is_missing(
    alice, start, post, result, clock
):
    """Needs proofs.unverified_header's member set (kid is required). The kid check of
    proofs.verify_with_device and the device lookup would refuse it later too, but only the
    member set tells the app's developer what the header lacks."""
    started = start()

    status, body = post(
        "/t/acme/device/respond",
        {"proof": jws(alice.key, {"typ": RESPONSE}, approval(started, clock))},
    )

    assert (status, body) == (
        401,
        {
            "error": "invalid_device_proof",
            "error_description": "missing header parameters: ['kid']",
        },
    )
    assert result(started)[1]["status"] == "pending"


def test_an_enrolment_proof_without_a_jwk_is_refused_as_a_bad_proof(
    new_account, make_phone, clock, post, snapshot
):
    """Needs proofs.unverified_header's member set (jwk is required): without it the missing
    key is only noticed later, and the phone is told `invalid_request` instead."""
    account, phone = new_account(), make_phone()
    before = snapshot()

    status, body = post(
        "/t/acme/device/enrol",
        {"proof": jws(phone.key, {"typ": ENROL}, enrolment(account, phone, clock))},
    )

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert snapshot() == before


# --- Every member named once --------------------------------------------------------------------


HEADERS_NAMING_A_MEMBER_TWICE = {  # by the device id; the last value is the right one
    "typ": lambda kid: f'{{"alg":"ES256","typ":"{REQUEST}","typ":"{RESPONSE}","kid":"{kid}"}}',
    "kid": lambda kid: f'{{"alg":"ES256","typ":"{RESPONSE}","kid":"{"k" * 43}","kid":"{kid}"}}',
}


@pytest.mark.parametrize("member", HEADERS_NAMING_A_MEMBER_TWICE)
def test_a_header_member_named_twice_is_refused(alice, start, post, result, clock, member):
    """Needs jose._unique_members on the header: without it the last value wins, and an
    approval that a reader keeping the first takes for a request proof (or for another
    device's) counts."""
    started = start()
    header = HEADERS_NAMING_A_MEMBER_TWICE[member](alice.device_id)
    proof = as_written(alice.key, header, json.dumps(approval(started, clock)))

    status, body = post("/t/acme/device/respond", {"proof": proof})

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert result(started)[1]["status"] == "pending"


@pytest.mark.parametrize("member", ["decision", "number"])
def test_a_claim_named_twice_is_refused_though_the_last_one_approves(
    alice, start, post, result, clock, member
):
    """Needs jose._unique_members on the payload: without it the last member wins, so a proof
    that reads as a denial (or a wrong number) to a parser keeping the first approves."""
    started = start()
    claims = approval(started, clock)
    first = {"decision": "deny", "number": 11 if started["number"] == 10 else 10}[member]
    last = f', "{member}": {json.dumps(claims[member])}}}'
    payload = (
        json.dumps({**claims, member: first})[:-1] + last
    )  # {... "decision": "deny", "decision": "approve"}
    header = json.dumps({"alg": "ES256", "typ": RESPONSE, "kid": alice.device_id})

    status, body = post("/t/acme/device/respond", {"proof": as_written(alice.key, header, payload)})

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert result(started)[1]["status"] == "pending"


# --- One signature per message ------------------------------------------------------------------


def test_the_high_s_twin_of_an_approval_is_refused_and_the_approval_itself_accepted(
    alice, start, post, result, clock
):
    """Needs jose.verify's low-S rule (s <= n/2): without it (r, n - s), which anyone can make
    from a proof they saw, verifies too, and is a second, different proof of the same answer."""
    started = start()
    proof = jws(alice.key, {"typ": RESPONSE, "kid": alice.device_id}, approval(started, clock))
    assert s_of(proof) <= P256_ORDER // 2

    status, body = post(
        "/t/acme/device/respond", {"proof": with_s(proof, P256_ORDER - s_of(proof))}
    )

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert result(started)[1]["status"] == "pending"
    assert post("/t/acme/device/respond", {"proof": proof}) == (200, {"status": "approved"})


def test_every_token_the_service_signs_has_a_low_s(alice, svc, completed, api, clock):
    """Needs jose.sign's normalisation (s := n - s when s > n/2): without it about half the ID
    and access tokens carry a high S, and userinfo (jose.verify) refuses those access tokens.
    32 tokens all low by chance: one in 2^32."""
    admin.set_policy(svc, "acme", Policy(pushes_per_minute=20, pushes_per_day=1000))
    for _ in range(16):
        clock.advance(15)  # a person signing in now and then, not a flood of starts
        tokens = completed(alice)  # start, approve, redeem (tools/scenario.py)
        for name in ("id_token", "access_token"):
            assert 0 < s_of(tokens[name]) <= P256_ORDER // 2, name
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert api.http.get("/t/acme/userinfo", headers=bearer).status_code == 200
