"""CIBA poll mode as an app without a browser sees it: ask for a sign-in by login_hint, show a
binding message and the number, poll the token endpoint until the person answers on the phone
with that number."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from urllib.parse import urlencode

import jwt
import pytest

from chalicelib.domain.tenants import NumberMatch, Policy
from tools.admin import flows as admin

ISSUER = "https://signin.example.test/t/acme"
CIBA = "urn:openid:params:grant-type:ciba"
NO_AUTH = ("", "")


def web_client(tenant) -> tuple[str, str]:
    return tenant["client_id"], tenant["client_secret"]


@pytest.fixture
def poll(token, tenant):
    def send(auth_req_id: str, client: tuple[str, str] | None = None) -> tuple[int, dict]:
        form = {"grant_type": CIBA, "auth_req_id": auth_req_id}
        return token(form, client=web_client(tenant) if client is None else client)

    return send


@pytest.fixture
def alice(enrolled):
    """Alice's phone and account."""
    return enrolled()


def signin_id_of(auth_req_id: str) -> str:
    return auth_req_id.split(".", 1)[0]


def error_of(answer: tuple[int, dict]) -> tuple[int, str]:
    return answer[0], answer[1].get("error")


def verify(api, token: str, audience: str) -> dict:
    keys = jwt.PyJWKSet.from_dict(api.http.get("/t/acme/jwks.json").json_body)
    key = keys[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(token, key.key, algorithms=["ES256"], audience=audience, issuer=ISSUER)


# --- The request -----------------------------------------------------------------------------


def test_a_backchannel_request_answers_an_id_to_poll_with(alice, backchannel):
    status, body = backchannel(
        {"scope": "openid", "login_hint": "alice@acme.test", "binding_message": "Order 4711"}
    )

    assert status == 200, body
    assert set(body) == {"auth_req_id", "expires_in", "interval", "number", "held"}
    assert body["held"] is False
    assert body["expires_in"] == 120  # the tenant's sign-in lifetime
    assert body["interval"] == 5
    assert len(body["auth_req_id"]) >= 60
    assert 10 <= body["number"] <= 99  # the client shows it; the person types it


def test_the_phone_shows_the_binding_message_and_asks_for_the_number(alice, ask):
    phone, _ = alice
    asked = ask(binding_message="Pay 20 EUR to Acme")

    status, listed = phone.pending()

    assert status == 200, listed
    (waiting,) = listed["signins"]
    assert waiting["signin_id"] == signin_id_of(asked["auth_req_id"])
    assert waiting["binding_message"] == "Pay 20 EUR to Acme"
    assert waiting["number_match"] == "type"
    assert waiting["choices"] == []
    assert waiting["app"] == "Acme Portal"


def test_in_pick_mode_the_phone_offers_the_clients_number_among_decoys(alice, ask, svc):
    admin.set_policy(svc, "acme", Policy(number_match=NumberMatch.PICK))
    phone, _ = alice
    asked = ask()

    (waiting,) = phone.pending()[1]["signins"]

    assert waiting["number_match"] == "pick"
    assert asked["number"] in waiting["choices"] and len(set(waiting["choices"])) == 3


def test_requested_expiry_shortens_the_request(alice, ask, poll, clock):
    asked = ask(requested_expiry="40")
    assert asked["expires_in"] == 40

    clock.advance(39)
    assert error_of(poll(asked["auth_req_id"])) == (400, "authorization_pending")
    clock.advance(1)
    assert error_of(poll(asked["auth_req_id"])) == (400, "expired_token")


# --- Polling ---------------------------------------------------------------------------------


def test_polling_before_the_answer_is_pending_and_too_fast_is_slow_down(alice, ask, poll, clock):
    auth_req_id = ask()["auth_req_id"]

    assert error_of(poll(auth_req_id)) == (400, "authorization_pending")
    clock.advance(4)
    assert error_of(poll(auth_req_id)) == (400, "slow_down")
    clock.advance(1)
    assert error_of(poll(auth_req_id)) == (400, "authorization_pending")


def test_an_approval_with_the_number_gives_tokens_once(alice, ask, poll, api, tenant):
    phone, account = alice
    asked = ask()
    auth_req_id = asked["auth_req_id"]

    approved = phone.respond(signin_id_of(auth_req_id), "approve", asked["number"])
    assert approved == (200, {"status": "approved"})
    status, body = poll(auth_req_id)

    assert status == 200, body
    assert body["token_type"] == "Bearer"
    claims = verify(api, body["id_token"], tenant["client_id"])
    assert claims["sub"] == account["sub"]
    assert claims["aud"] == tenant["client_id"]
    assert claims["amr"] == ["mfa", "hwk", "user"]
    assert claims["acr"] == "urn:phonesignin:acr:mfa"
    assert error_of(poll(auth_req_id)) == (400, "invalid_grant")


def test_a_held_request_is_numbered_for_the_app_and_approved_from_it(alice, ask, poll, svc):
    """A CIBA request past the push limits is held like a page's: no push, a six-digit number
    the client shows, which the person enters in the app to find and approve it."""
    phone, _ = alice
    admin.set_policy(svc, "acme", Policy(pushes_per_minute=1))
    ask()
    held = ask()

    assert 100_000 <= held["number"] <= 999_999 and held["held"] is True
    assert len(phone.pending()[1]["signins"]) == 1  # the first one; the held one is not listed
    (found,) = [s for s in phone.api.pending(phone.key, held["number"])[1]["signins"] if s["held"]]
    assert found["signin_id"] == signin_id_of(held["auth_req_id"])
    assert phone.respond(found["signin_id"], "approve", held["number"])[0] == 200
    assert poll(held["auth_req_id"])[0] == 200


@pytest.mark.parametrize("decision", ["deny", "report_fraud"])
def test_a_denial_answers_access_denied(decision, alice, ask, poll):
    phone, _ = alice
    auth_req_id = ask()["auth_req_id"]

    assert phone.respond(signin_id_of(auth_req_id), decision) == (200, {"status": "denied"})

    assert error_of(poll(auth_req_id)) == (400, "access_denied")


def test_an_unanswered_request_expires(alice, ask, poll, clock):
    phone, _ = alice
    asked = ask()
    clock.advance(asked["expires_in"])

    assert error_of(poll(asked["auth_req_id"])) == (400, "expired_token")
    status, body = phone.respond(signin_id_of(asked["auth_req_id"]), "approve")
    assert (status, body["error"]) == (409, "signin_closed")
    assert error_of(poll(asked["auth_req_id"])) == (400, "expired_token")


@pytest.mark.parametrize("number", [None, "wrong"])
def test_an_approval_without_the_number_fails_the_request(number, alice, ask, poll):
    """Needs CIBA sign-ins numbered like the page's (usecases/ciba.py backchannel_authorize
    opens a numbered sign-in): without it, a tap on the phone approved a request that no
    number tied to the client's screen, yet the tokens claimed what a number match proves."""
    phone, _ = alice
    asked = ask()
    sent = None if number is None else 10 + (asked["number"] - 9) % 90

    status, body = phone.respond(signin_id_of(asked["auth_req_id"]), "approve", sent)

    assert (status, body["error"]) == (409, "wrong_number")
    assert error_of(poll(asked["auth_req_id"])) == (400, "access_denied")
    assert phone.pending()[1]["signins"] == []


# --- Refused requests --------------------------------------------------------------------------


REFUSED = {
    "no scope": ({"scope": None}, "invalid_scope"),
    "scope without openid": ({"scope": "profile email"}, "invalid_scope"),
    "no login_hint": ({"login_hint": None}, "invalid_request"),
    "empty login_hint": ({"login_hint": ""}, "invalid_request"),
    "id_token_hint instead": ({"login_hint": None, "id_token_hint": "x.y.z"}, "invalid_request"),
    "binding message of 65": ({"binding_message": "x" * 65}, "invalid_binding_message"),
    "binding message with newline": ({"binding_message": "Order\n4711"}, "invalid_binding_message"),
    "empty binding message": ({"binding_message": ""}, "invalid_binding_message"),
    "requested_expiry not a number": ({"requested_expiry": "soon"}, "invalid_request"),
    "requested_expiry zero": ({"requested_expiry": "0"}, "invalid_request"),
}


def test_a_bad_request_is_refused_and_nothing_is_sent(alice, backchannel, snapshot):
    phone, _ = alice
    form = {"scope": "openid", "login_hint": "alice@acme.test", "binding_message": "Order 4711"}
    before = snapshot()

    answers = {
        case: error_of(backchannel({k: v for k, v in {**form, **changes}.items() if v is not None}))
        for case, (changes, _) in REFUSED.items()
    }

    assert answers == {case: (400, error) for case, (_, error) in REFUSED.items()}
    assert snapshot() == before
    assert phone.pending()[1]["signins"] == []


def test_a_binding_message_of_64_characters_is_accepted(alice, ask):
    assert ask(binding_message="x" * 64)["interval"] == 5


def test_a_public_client_may_not_use_ciba(alice, backchannel, tenant, snapshot):
    before = snapshot()

    status, body = backchannel(
        {
            "scope": "openid",
            "login_hint": "alice@acme.test",
            "client_id": tenant["public_client_id"],
        },
        client=NO_AUTH,
    )

    assert (status, body["error"]) == (400, "unauthorized_client")
    assert snapshot() == before


def test_a_client_that_does_not_authenticate_is_refused(alice, backchannel, api, snapshot):
    clients = {
        "wrong secret": ("acme-web", "not-the-secret"),
        "no credentials": NO_AUTH,
        "unknown client": ("acme-nobody", "x"),
    }
    form = {"scope": "openid", "login_hint": "alice@acme.test"}
    before = snapshot()

    answers = {case: error_of(backchannel(form, client=c)) for case, c in clients.items()}

    assert answers == dict.fromkeys(clients, (401, "invalid_client"))
    assert snapshot() == before
    response = api.http.post(
        "/t/acme/bc-authorize",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Basic " + base64.b64encode(b"acme-web:wrong").decode(),
        },
        body=urlencode(form),
    )
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_an_unknown_login_hint_gets_an_ordinary_request_that_never_completes(
    alice, backchannel, poll, clock
):
    answers = [
        backchannel({"scope": "openid", "login_hint": hint})
        for hint in ("alice@acme.test", "nobody@acme.test")
    ]

    (known_status, known), (unknown_status, unknown) = answers
    assert known_status == unknown_status == 200
    random = ("auth_req_id", "number")
    assert {k: v for k, v in unknown.items() if k not in random} == {
        k: v for k, v in known.items() if k not in random
    }
    assert len(unknown["auth_req_id"]) == len(known["auth_req_id"])
    assert len(str(unknown["number"])) == len(str(known["number"]))
    assert error_of(poll(unknown["auth_req_id"])) == (400, "authorization_pending")
    clock.advance(unknown["expires_in"])
    assert error_of(poll(unknown["auth_req_id"])) == (400, "expired_token")


# --- Only the client that asked can collect ------------------------------------------------------


def test_another_client_cannot_poll_a_request(alice, ask, poll, svc):
    phone, _ = alice
    other = admin.add_client(svc, "acme", "acme-other", "Other", ["https://other.acme.test/cb"])
    asked = ask()
    auth_req_id = asked["auth_req_id"]

    def asked_number(_phone):
        return asked["number"]

    answer = poll(auth_req_id, client=(other["client_id"], other["client_secret"]))
    assert error_of(answer) == (400, "invalid_grant")

    assert error_of(poll(auth_req_id)) == (400, "authorization_pending")  # not slow_down
    assert phone.respond(signin_id_of(auth_req_id), "approve", asked_number(phone))[0] == 200
    answer = poll(auth_req_id, client=(other["client_id"], other["client_secret"]))
    assert error_of(answer) == (400, "invalid_grant")
    assert poll(auth_req_id)[0] == 200


def flip_last(text: str) -> str:
    return text[:-1] + ("A" if text[-1] != "A" else "B")


def test_a_tampered_auth_req_id_is_refused(alice, ask, poll):
    """Needs every auth_req_id that is not a live one of this client answered invalid_grant
    (usecases/ciba.py poll; CIBA Core 11): a secret missing or too long once got another code."""
    phone, _ = alice
    asked = ask()
    auth_req_id = asked["auth_req_id"]
    signin_id, secret = auth_req_id.split(".", 1)
    assert phone.respond(signin_id, "approve", asked["number"])[0] == 200
    forged = {
        "other secret": (f"{signin_id}.{flip_last(secret)}", "invalid_grant"),
        "other id": (f"{flip_last(signin_id)}.{secret}", "invalid_grant"),
        "garbled id": (f"{signin_id[:-1]}!.{secret}", "invalid_grant"),
        "no secret": (f"{signin_id}.", "invalid_grant"),
        "no dot": (signin_id, "invalid_grant"),
        "long secret": (f"{signin_id}.{secret * 3}", "invalid_grant"),
        "empty": ("", "invalid_request"),
    }

    answers = {case: error_of(poll(sent)) for case, (sent, _) in forged.items()}

    assert answers == {case: (400, error) for case, (_, error) in forged.items()}
    assert poll(auth_req_id)[0] == 200  # the real one still collects


def test_a_backchannel_request_carries_no_place_even_behind_cloudfront(
    alice, api, svc, tenant, monkeypatch
):
    """Needs CIBA to leave the place out: the caller is the app's server, so its city would
    tell the person the attempt comes from somewhere it does not (and invite false fraud
    reports). The address is still the caller's, as CloudFront saw it."""
    secret = "origin-secret"
    digest = hashlib.sha256(secret.encode()).hexdigest()
    monkeypatch.setattr(
        svc, "settings", dataclasses.replace(svc.settings, cloudfront_secret_sha256=digest)
    )
    client_id, client_secret = web_client(tenant)
    pair = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"Basic {pair}",
        "X-Origin-Secret": secret,
        "CloudFront-Viewer-Address": "198.51.100.40:443",
        "CloudFront-Viewer-City": "Frankfurt am Main",
        "CloudFront-Viewer-Country-Name": "Germany",
    }
    form = {"scope": "openid", "login_hint": "alice@acme.test", "binding_message": "Order 4711"}
    response = api.http.post("/t/acme/bc-authorize", headers=headers, body=urlencode(form))
    assert response.status_code == 200, response.body

    (listed,) = alice[0].pending()[1]["signins"]
    assert (listed["place"], listed["ip"]) == (None, "198.51.100.40")
