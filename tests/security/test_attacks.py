"""The security rules of DESIGN.md, one test each, as an attacker would try to break them."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from authenticator.device_api import b64url, device_id, jws, sign
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin

ACME = "https://signin.example.test/t/acme"
GLOBEX = "https://signin.example.test/t/globex"
WEB = "https://app.acme.test/cb"
SPA = "http://127.0.0.1:9000/cb"


def response_claims(started: dict, number: int | None = None, **extra) -> dict:
    number = started["number"] if number is None else number
    return {"sid": started["signin_id"], "decision": "approve", "number": number, **extra}


def compact(header: dict, payload: dict, signature: bytes) -> str:
    parts = [json.dumps(header).encode(), json.dumps(payload).encode()]
    return ".".join([*(b64url(p) for p in parts), b64url(signature)])


def ecdsa_raw(key: ec.EllipticCurvePrivateKey, data: bytes, digest: hashes.HashAlgorithm) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(digest)))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def signed_input(header: dict, payload: dict) -> bytes:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}".encode()


def web_client(tenant) -> tuple[str, str]:
    return tenant["client_id"], tenant["client_secret"]


# --- A challenge is approved at most once, before expiry, by a phone of its account ----------


def test_a_replayed_approval_is_refused_and_changes_nothing(alice, start, post, result, clock):
    started = start()
    proof = sign(
        alice.key, "signin-response+jwt", response_claims(started), audience=ACME, now=int(clock())
    )
    assert post("/t/acme/device/respond", {"proof": proof}) == (200, {"status": "approved"})
    before = result(started)

    status, body = post("/t/acme/device/respond", {"proof": proof})

    assert (status, body["error"]) == (409, "signin_closed")
    assert result(started) == before


def test_a_deny_cannot_be_turned_into_an_approval(alice, start, result):
    started = start()
    assert alice.respond(started["signin_id"], "deny") == (200, {"status": "denied"})

    status, body = alice.respond(started["signin_id"], "approve", started["number"])

    assert (status, body["error"]) == (409, "signin_closed")
    assert result(started)[1] == {
        "status": "denied",
        "reason": "denied",
        "expires_at": started["expires_at"],
    }


def test_an_approval_after_expiry_is_refused_even_while_the_record_remains(
    alice, start, result, clock, svc
):
    started = start()
    clock.advance(started["expires_at"] - int(clock()))
    assert svc.signins.get("acme", started["signin_id"]) is not None  # TTL deletes late

    status, body = alice.respond(started["signin_id"], "approve", started["number"])

    assert (status, body["error"]) == (409, "signin_closed")
    assert result(started)[1]["status"] == "expired"


def test_a_wrong_number_fails_the_signin_for_good(alice, start, result):
    started = start()
    wrong = 10 + (started["number"] - 9) % 90  # another two-digit number

    status, body = alice.respond(started["signin_id"], "approve", wrong)
    assert (status, body["error"]) == (409, "wrong_number")

    status, body = alice.respond(started["signin_id"], "approve", started["number"])
    assert (status, body["error"]) == (409, "signin_closed")
    assert result(started)[1] == {
        "status": "denied",
        "reason": "wrong_number",
        "expires_at": started["expires_at"],
    }
    assert alice.pending()[1]["signins"] == []


def test_a_phone_of_another_account_can_neither_see_nor_approve_a_signin(
    alice, enrolled, start, result
):
    bob, _ = enrolled("bob@acme.test")
    started = start()

    assert bob.pending() == (200, {"signins": [], "notices": []})
    status, body = bob.respond(started["signin_id"], "approve", started["number"])

    assert (status, body["error"]) == (404, "not_found")
    assert result(started)[1]["status"] == "pending"
    assert [s["signin_id"] for s in alice.pending()[1]["signins"]] == [started["signin_id"]]


def test_when_two_phones_answer_the_first_wins(alice, make_phone, svc, start, result):
    second = make_phone()
    code = admin.issue_activation_code(svc, "acme", "alice@acme.test")["activation_code"]
    assert second.enrol(code)[0] == 200
    started = start()

    assert alice.respond(started["signin_id"], "deny") == (200, {"status": "denied"})
    status, body = second.respond(started["signin_id"], "approve", started["number"])

    assert (status, body["error"]) == (409, "signin_closed")
    assert result(started)[1]["status"] == "denied"


# --- Only a valid ES256 signature by the device's own key counts -----------------------------


def test_a_proof_altered_after_signing_is_refused(alice, start, post, result, clock):
    started = start()
    deny = sign(
        alice.key,
        "signin-response+jwt",
        {"sid": started["signin_id"], "decision": "deny"},
        audience=ACME,
        now=int(clock()),
    )
    header, _, signature = deny.split(".")
    forged_payload = b64url(
        json.dumps(
            {**jwt.decode(deny, options={"verify_signature": False}), **response_claims(started)}
        ).encode()
    )

    status, body = post(
        "/t/acme/device/respond", {"proof": f"{header}.{forged_payload}.{signature}"}
    )

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert result(started)[1]["status"] == "pending"


def forged_with(kind: str, key: ec.EllipticCurvePrivateKey, payload: dict) -> str:
    kid = device_id(key)
    if kind == "none":
        return compact({"alg": "none", "typ": "signin-response+jwt", "kid": kid}, payload, b"x")
    if kind == "HS256":  # the classic confusion: the public key used as an HMAC secret
        header = {"alg": "HS256", "typ": "signin-response+jwt", "kid": kid}
        pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        mac = hmac.new(pem, signed_input(header, payload), hashlib.sha256).digest()
        return compact(header, payload, mac)
    if kind == "ES384":
        header = {"alg": "ES384", "typ": "signin-response+jwt", "kid": kid}
        return compact(
            header, payload, ecdsa_raw(key, signed_input(header, payload), hashes.SHA384())
        )
    if kind == "RS256":  # the algorithm the service signs ID tokens with, never a proof's
        header = {"alg": "RS256", "typ": "signin-response+jwt", "kid": kid}
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        signature = rsa_key.sign(signed_input(header, payload), padding.PKCS1v15(), hashes.SHA256())
        return compact(header, payload, signature)
    if kind == "no typ":
        return jws(key, {"kid": kid}, payload)
    if kind == "request typ":  # a valid signature, but made for another kind of call
        return jws(key, {"kid": kid, "typ": "device-request+jwt"}, payload)
    if kind == "no signature":
        return jws(key, {"kid": kid, "typ": "signin-response+jwt"}, payload).rsplit(".", 1)[0]
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["none", "HS256", "ES384", "RS256", "no typ", "request typ", "no signature"]
)
def test_only_es256_proofs_of_the_right_type_are_accepted(kind, alice, start, post, result, clock):
    started = start()
    payload = {
        "aud": ACME,
        "iat": int(clock()),
        "jti": secrets.token_urlsafe(16),
        **response_claims(started),
    }

    status, body = post("/t/acme/device/respond", {"proof": forged_with(kind, alice.key, payload)})

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert result(started)[1]["status"] == "pending"


def test_a_proof_signed_by_another_key_under_the_phones_kid_is_refused(
    alice, start, post, result, clock
):
    started = start()
    thief = ec.generate_private_key(ec.SECP256R1())
    payload = {
        "aud": ACME,
        "iat": int(clock()),
        "jti": secrets.token_urlsafe(16),
        **response_claims(started),
    }
    proof = jws(thief, {"kid": alice.device_id, "typ": "signin-response+jwt"}, payload)

    status, body = post("/t/acme/device/respond", {"proof": proof})

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert result(started)[1]["status"] == "pending"


@pytest.mark.parametrize(
    ("audience", "age"),
    [(GLOBEX, 0), ("https://evil.test/t/acme", 0), (ACME, 121), (ACME, -31)],
    ids=["other-tenant", "other-host", "too-old", "from-the-future"],
)
def test_a_proof_for_another_audience_or_time_is_refused(
    audience, age, alice, start, post, result, clock
):
    started = start()
    proof = sign(
        alice.key,
        "signin-response+jwt",
        response_claims(started),
        audience=audience,
        now=int(clock()) - age,
    )

    status, body = post("/t/acme/device/respond", {"proof": proof})

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert result(started)[1]["status"] == "pending"


def test_a_proof_made_for_one_call_cannot_be_replayed_to_another(alice, post, clock, svc):
    listing = sign(
        alice.key, "device-request+jwt", {"act": "pending"}, audience=ACME, now=int(clock())
    )
    assert post("/t/acme/device/signins", {"proof": listing})[0] == 200

    status, body = post("/t/acme/device/unregister", {"proof": listing})

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert svc.devices.get("acme", alice.device_id) is not None


# --- Only the page that started a sign-in can collect its result ------------------------------


def test_the_result_needs_the_secret_bound_at_start(alice, start, post):
    started = start()
    alice.respond(started["signin_id"], "approve", started["number"])
    path = f"/t/acme/signin/{started['signin_id']}/result"

    status, body = post(path, {})
    assert (status, body["error"]) == (400, "invalid_request")

    status, body = post(path, {"secret": secrets.token_urlsafe(32)})
    assert (status, body["error"]) == (403, "invalid_binding")
    assert "code" not in body and "status" not in body


# --- Authorization codes: single use, by their client, within a minute, with PKCE -------------


def test_an_authorization_code_works_once(alice, start, approved, token, tenant):
    code = approved(alice, start())
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB}
    assert token(form, client=web_client(tenant))[0] == 200

    status, body = token(form, client=web_client(tenant))

    assert (status, body["error"]) == (400, "invalid_grant")


def test_a_code_is_refused_to_another_client_of_the_tenant(
    alice, svc, start, approved, token, tenant
):
    other = admin.add_client(svc, "acme", "acme-other", "Other", ["https://other.acme.test/cb"])
    code = approved(alice, start())

    status, body = token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB},
        client=(other["client_id"], other["client_secret"]),
    )

    assert (status, body["error"]) == (400, "invalid_grant")


def test_a_code_expires_a_minute_after_approval(alice, start, approved, token, tenant, clock):
    code = approved(alice, start())
    clock.advance(60)

    status, body = token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB},
        client=web_client(tenant),
    )

    assert (status, body["error"]) == (400, "invalid_grant")


def test_a_public_client_must_use_pkce(alice, post, tenant):
    status, body = post(
        "/t/acme/signin",
        {
            "client_id": tenant["public_client_id"],
            "username": "alice@acme.test",
            "redirect_uri": SPA,
        },
    )

    assert (status, body["error"]) == (400, "invalid_request")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge


@pytest.mark.parametrize("right_verifier", [True, False])
def test_a_pkce_code_needs_its_verifier(right_verifier, alice, start, approved, token, tenant):
    verifier, challenge = pkce_pair()
    started = start(
        client_id=tenant["public_client_id"],
        code_challenge=challenge,
        code_challenge_method="S256",
        redirect_uri=SPA,
    )
    code = approved(alice, started)
    sent = verifier if right_verifier else pkce_pair()[0]

    status, body = token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": tenant["public_client_id"],
            "code_verifier": sent,
            "redirect_uri": SPA,
        }
    )

    if right_verifier:
        assert status == 200, body
    else:
        assert (status, body["error"]) == (400, "invalid_grant")


def test_a_wrong_client_secret_is_refused(alice, start, approved, api, token, tenant):
    code = approved(alice, start())

    status, body = token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB},
        client=(tenant["client_id"], "not-the-secret"),
    )

    assert (status, body["error"]) == (401, "invalid_client")
    response = api.http.post(
        "/t/acme/token",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=f"grant_type=authorization_code&code={code}&redirect_uri={WEB}"
        f"&client_id={tenant['client_id']}&client_secret=nope",
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


# --- Tenants are isolated -----------------------------------------------------------------------


@pytest.fixture
def globex_phone(globex, enrolled):
    return enrolled("alice@acme.test", tenant_id="globex")[0]  # the same username, elsewhere


def test_a_signin_cannot_be_read_under_another_tenant(alice, globex_phone, start, approved, post):
    started = start()
    approved(alice, started)

    status, body = post(
        f"/t/globex/signin/{started['signin_id']}/result", {"secret": started["secret"]}
    )

    assert (status, body["error"]) == (404, "not_found")


def test_a_phone_of_another_tenant_cannot_act_here(alice, globex_phone, start, post, clock, result):
    started = start()
    for audience in (GLOBEX, ACME):  # its own issuer, or ours: neither helps
        listing = sign(
            globex_phone.key,
            "device-request+jwt",
            {"act": "pending"},
            audience=audience,
            now=int(clock()),
        )
        answer = sign(
            globex_phone.key,
            "signin-response+jwt",
            response_claims(started),
            audience=audience,
            now=int(clock()),
        )
        assert post("/t/acme/device/signins", {"proof": listing})[0] == 401
        assert post("/t/acme/device/respond", {"proof": answer})[0] == 401
    assert result(started)[1]["status"] == "pending"


def test_a_code_cannot_be_redeemed_at_another_tenant(alice, globex, start, approved, token, tenant):
    code = approved(alice, start())
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB}

    status, body = token(form, tenant_id="globex", client=web_client(tenant))
    assert (status, body["error"]) == (401, "invalid_client")

    status, body = token(
        form, tenant_id="globex", client=(globex["client_id"], globex["client_secret"])
    )
    assert (status, body["error"]) == (400, "invalid_grant")

    assert token(form, client=web_client(tenant))[0] == 200  # still good where it belongs


def test_an_id_token_of_one_tenant_does_not_verify_with_another_tenants_keys(
    alice, globex, start, approved, token, tenant, api
):
    code = approved(alice, start())
    id_token = token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB},
        client=web_client(tenant),
    )[1]["id_token"]
    header = jwt.get_unverified_header(id_token)
    globex_keys = jwt.PyJWKSet.from_dict(api.http.get("/t/globex/jwks.json").json_body)

    assert header["kid"] not in [k.key_id for k in globex_keys.keys]
    same_alg = [key for key in globex_keys.keys if key.algorithm_name == header["alg"]]
    assert same_alg
    for key in same_alg:
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(id_token, key.key, algorithms=[header["alg"]], audience=tenant["client_id"])


# --- Unknown usernames do not reveal themselves -------------------------------------------------


@pytest.fixture
def three_starts(enrolled, new_account, post, tenant):
    """Sign-ins started for an enrolled account, an account without a phone, and nobody."""
    enrolled("alice@acme.test")
    new_account("bob@acme.test")
    return [
        post(
            "/t/acme/signin",
            {"client_id": tenant["client_id"], "username": username, "redirect_uri": WEB},
        )
        for username in ("alice@acme.test", "bob@acme.test", "nobody@acme.test")
    ]


def test_unknown_usernames_look_like_accounts_without_a_phone(three_starts, snapshot):
    """Needs usecases/phone_signin.py `start` to answer an unknown username as an account without a
    phone, and to store nothing for either: nothing to poll, nothing in anyone's partition."""
    _, (no_phone_status, no_phone), (unknown_status, unknown) = three_starts

    assert no_phone_status == unknown_status == 200
    assert unknown == no_phone == {"method": "password"}
    stored = [json.loads(item)["Attributes"]["sk"]["S"] for item in snapshot()["test-signins"]]
    assert len([sk for sk in stored if "~" not in sk]) == 1  # Alice's sign-in alone


def test_an_enrolled_account_differs_from_an_unknown_one_in_the_method_offered(three_starts):
    """The page must go straight to the password for accounts without a phone (issue 4), so
    `method` tells whether a username has phone sign-in, as Microsoft's sign-in page does.
    An unknown username stays indistinguishable from an account without a phone (test
    above): existence itself is never revealed."""
    (enrolled_status, enrolled), _, (unknown_status, unknown) = three_starts

    assert enrolled_status == unknown_status == 200
    assert (enrolled["method"], unknown["method"]) == ("phone", "password")
    assert enrolled["held"] is False and "signin_id" not in unknown


def test_a_tenant_can_turn_phone_signin_off_for_everyone(enrolled, svc, post, tenant):
    enrolled()
    admin.set_policy(svc, "acme", Policy(phone_signin=False))

    for username in ("alice@acme.test", "nobody@acme.test"):
        status, body = post(
            "/t/acme/signin",
            {"client_id": tenant["client_id"], "username": username, "redirect_uri": WEB},
        )
        assert (status, body["error"]) == (403, "phone_signin_disabled")


def test_personal_accounts_follow_the_same_rules(enrolled, start, result):
    phone, _ = enrolled("me@home.test", AccountKind.PERSONAL)
    started = start("me@home.test")

    assert phone.respond(started["signin_id"], "approve", started["number"])[0] == 200
    assert result(started)[1]["status"] == "approved"
