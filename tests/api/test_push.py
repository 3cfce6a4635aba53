"""What starting a sign-in sends to phones through SNS mobile push, read back from moto."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import botocore.exceptions
import pytest

from chalicelib.domain.tenants import NumberMatch, Policy
from tools.admin import flows as admin

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
CALLBACK = "https://app.acme.test/cb"


def endpoint_of(svc, phone) -> str:
    return svc.devices.get("acme", phone.device_id).endpoint_arn


def messages(endpoints, svc, phone) -> list[dict]:
    return [json.loads(m) for m in endpoints[endpoint_of(svc, phone)].messages.values()]


@pytest.fixture
def started_from_a_browser(post, tenant):
    def start(username: str = "alice@acme.test") -> dict:
        status, started = post(
            "/t/acme/signin",
            {"client_id": tenant["client_id"], "username": username, "redirect_uri": CALLBACK},
            headers={"User-Agent": BROWSER},
        )
        assert status == 200, started
        return started

    return start


def test_every_push_phone_of_the_account_gets_one_message_and_polling_phones_none(
    enrolled, new_account, make_phone, svc, endpoints, start
):
    iphone, _ = enrolled(push_token="apns-token-1")
    android = make_phone()
    code = admin.issue_activation_code(svc, "acme", "alice@acme.test")["activation_code"]
    assert android.enrol(code, platform="android", push_token="fcm-token-1")[0] == 200
    poller = make_phone()
    code = admin.issue_activation_code(svc, "acme", "alice@acme.test")["activation_code"]
    assert poller.enrol(code)[0] == 200
    enrolled("bob@acme.test", push_token="apns-token-bob")  # someone else's phone

    start()

    assert len(messages(endpoints, svc, iphone)) == 1
    assert len(messages(endpoints, svc, android)) == 1
    assert endpoint_of(svc, poller) is None
    assert sum(len(e.messages) for e in endpoints.values()) == 2


def test_an_iphone_gets_an_apns_alert_naming_the_organisation_the_app_and_where_from(
    enrolled, svc, endpoints, started_from_a_browser
):
    admin.set_policy(svc, "acme", Policy(number_match=NumberMatch.PICK))
    phone, account = enrolled(push_token="apns-token-1")

    started = started_from_a_browser()

    (message,) = messages(endpoints, svc, phone)
    assert set(message) == {"default", "APNS"}
    payload = json.loads(message["APNS"])
    assert payload["aps"]["alert"]["title"] == "Approve sign-in?"
    assert payload["aps"]["alert"]["body"] == "Acme Corp · Acme Portal · from 127.0.0.1"
    signin = payload["signin"]
    assert signin == {
        "type": "signin",
        "signin_id": started["signin_id"],
        "tenant": "acme",
        "organisation": "Acme Corp",  # the tenant's display name
        "app": "Acme Portal",
        "ip": "127.0.0.1",
        "device": "Firefox on Linux",  # readable, never the raw user agent
        "expires_at": str(started["expires_at"]),
        "choices": signin["choices"],
    }
    assert str(started["number"]) in signin["choices"].split(",")
    assert len(signin["choices"].split(",")) == 3
    # No account data (a lock screen shows the notification: the username stays in the list);
    # small enough for APNs (4 KB).
    for private in ("alice", account["sub"], started["secret"]):
        assert private not in json.dumps(message)
    assert len(json.dumps(payload).encode()) < 4096


def test_an_android_phone_gets_an_fcm_v1_message_with_the_same_data(
    new_account, make_phone, svc, endpoints, started_from_a_browser
):
    account = new_account()
    phone = make_phone()
    assert phone.enrol(account["activation_code"], platform="android", push_token="fcm-1")[0] == 200

    started = started_from_a_browser()

    (message,) = messages(endpoints, svc, phone)
    assert set(message) == {"default", "GCM"}
    fcm = json.loads(message["GCM"])["fcmV1Message"]["message"]
    assert fcm["android"]["priority"] == "high"
    assert fcm["android"]["notification"]["title"] == "Approve sign-in?"
    assert fcm["data"]["signin_id"] == started["signin_id"]
    assert fcm["data"]["tenant"] == "acme"
    assert fcm["data"]["organisation"] == "Acme Corp"
    assert fcm["data"]["app"] == "Acme Portal"
    assert fcm["data"]["ip"] == "127.0.0.1"
    assert fcm["data"]["device"] == "Firefox on Linux"
    assert fcm["data"]["expires_at"] == str(started["expires_at"])
    assert fcm["data"]["choices"] == ""  # typed (the default): choices would give it away
    assert all(isinstance(value, str) for value in fcm["data"].values())  # FCM's rule


def test_the_phones_list_names_the_organisation_the_account_the_app_the_browser_and_where(
    enrolled, svc, started_from_a_browser
):
    """Issue 12: the person recognises the attempt. The list, which only the unlocked app
    reads, names the account too; the push leaves it out (a lock screen shows it)."""
    phone, _ = enrolled(push_token="apns-token-1")
    bob, _ = enrolled("bob@acme.test", push_token="apns-token-bob")

    started = started_from_a_browser()

    status, pending = phone.pending()
    assert status == 200
    (listed,) = pending["signins"]
    assert listed == {
        "signin_id": started["signin_id"],
        "organisation": "Acme Corp",
        "account": "alice@acme.test",
        "app": "Acme Portal",
        "ip": "127.0.0.1",
        "device": "Firefox on Linux",
        "place": None,
        "expires_at": started["expires_at"],
        "number_match": "type",
        "choices": [],
        "binding_message": None,
        "held": False,
    }
    assert bob.pending()[1]["signins"] == []  # someone else's phone lists nothing of Alice's
    started_for_bob = started_from_a_browser("bob@acme.test")
    (bobs,) = bob.pending()[1]["signins"]
    assert (bobs["signin_id"], bobs["account"]) == (started_for_bob["signin_id"], "bob@acme.test")


def test_the_organisations_name_reaches_the_phone_on_one_clean_line(enrolled, svc, endpoints, post):
    """The admin CLI takes any display name; the push and the list carry it without control
    or bidi characters, and short enough to keep the push small."""
    admin.create_tenant(svc, "odd", "Odd\u202e Corp\n" + "x" * 300, Policy())
    client = admin.add_client(svc, "odd", "odd-web", "Odd Portal", [CALLBACK])
    phone, _ = enrolled("alice@odd.test", tenant_id="odd", push_token="apns-token-odd")
    fields = {"client_id": client["client_id"], "username": "alice@odd.test"}
    assert post("/t/odd/signin", {**fields, "redirect_uri": CALLBACK})[0] == 200

    (message,) = messages_at(endpoints, svc, phone, "odd")
    pushed = json.loads(message["APNS"])["signin"]["organisation"]
    (listed,) = phone.pending()[1]["signins"]
    assert pushed == listed["organisation"] == ("Odd Corp " + "x" * 300)[:160]


def messages_at(endpoints, svc, phone, tenant_id: str) -> list[dict]:
    arn = svc.devices.get(tenant_id, phone.device_id).endpoint_arn
    return [json.loads(m) for m in endpoints[arn].messages.values()]


@pytest.mark.parametrize(
    ("platform", "attribute"),
    [("ios", "AWS.SNS.MOBILE.APNS.TTL"), ("android", "AWS.SNS.MOBILE.FCM.TTL")],
)
def test_a_push_lives_no_longer_than_its_signin(
    platform, attribute, svc, new_account, make_phone, published, endpoints, start, clock
):
    # Asserted on the Publish call as it leaves for SNS: moto does not keep message
    # attributes for platform endpoints.
    admin.set_policy(svc, "acme", Policy(signin_seconds=45))
    account = new_account()
    phone = make_phone()
    assert phone.enrol(account["activation_code"], platform=platform, push_token="t-1")[0] == 200

    started = start()

    (call,) = published
    remaining = started["expires_at"] - int(clock())
    assert remaining == 45
    assert call["MessageStructure"] == "json"
    assert call["MessageAttributes"] == {
        attribute: {"DataType": "String", "StringValue": str(remaining)}
    }
    if platform == "android":
        (message,) = messages(endpoints, svc, phone)
        android = json.loads(message["GCM"])["fcmV1Message"]["message"]["android"]
        assert android["ttl"] == f"{remaining}s"


def test_a_long_user_agent_never_reaches_the_push(enrolled, svc, endpoints, post, tenant):
    phone, _ = enrolled(push_token="apns-token-1")

    status, _ = post(
        "/t/acme/signin",
        {"client_id": tenant["client_id"], "username": "alice@acme.test", "redirect_uri": CALLBACK},
        headers={"User-Agent": "A" * 5000},
    )

    assert status == 200
    (message,) = messages(endpoints, svc, phone)
    assert json.loads(message["APNS"])["signin"]["device"] == "Unknown browser"
    assert "AAAA" not in json.dumps(message)


def approve_by_polling(phone, started) -> None:
    status, listed = phone.pending()
    assert status == 200, listed
    assert [s["signin_id"] for s in listed["signins"]] == [started["signin_id"]]
    assert phone.respond(started["signin_id"], "approve", started["number"]) == (
        200,
        {"status": "approved"},
    )


def test_a_disabled_endpoint_does_not_lose_the_signin(
    enrolled, svc, sns, endpoints, start, result, clock
):
    phone, _ = enrolled(push_token="apns-token-1")
    sns.set_endpoint_attributes(
        EndpointArn=endpoint_of(svc, phone), Attributes={"Enabled": "false"}
    )

    started = start()

    assert messages(endpoints, svc, phone) == []
    assert svc.devices.get("acme", phone.device_id).push_failed_at == int(clock())
    approve_by_polling(phone, started)
    status, answer = result(started)
    assert (status, answer["status"]) == (200, "approved")


def test_sns_out_of_reach_does_not_lose_the_signin(enrolled, svc, start, result, clock):
    phone, _ = enrolled(push_token="apns-token-1")

    def unreachable(**_):
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://sns.test")

    svc.push._client.meta.events.register("before-send.sns.Publish", unreachable)

    started = start()

    assert svc.devices.get("acme", phone.device_id).push_failed_at == int(clock())
    approve_by_polling(phone, started)
    assert result(started)[1]["status"] == "approved"


# --- Where the attempt comes from, behind CloudFront ------------------------------------------

ORIGIN_SECRET = "the-secret-cloudfront-adds"
CLOUDFRONT = {
    "X-Origin-Secret": ORIGIN_SECRET,
    "CloudFront-Viewer-Address": "198.51.100.23:53122",
    "CloudFront-Viewer-City": "S%C3%A3o Paulo",  # CloudFront sends non-ASCII percent-encoded
    "CloudFront-Viewer-Country-Region-Name": "Sao Paulo",
    "CloudFront-Viewer-Country-Name": "Brazil",
}


@pytest.fixture
def behind_cloudfront(svc, monkeypatch):
    """A deployment behind CloudFront, which adds X-Origin-Secret (CLOUDFRONT_SECRET_SHA256)."""
    digest = hashlib.sha256(ORIGIN_SECRET.encode()).hexdigest()
    settings = dataclasses.replace(svc.settings, cloudfront_secret_sha256=digest)
    monkeypatch.setattr(svc, "settings", settings)


def start_with(post, tenant, headers: dict) -> dict:
    body = {
        "client_id": tenant["client_id"],
        "username": "alice@acme.test",
        "redirect_uri": CALLBACK,
    }
    status, started = post("/t/acme/signin", body, headers={"User-Agent": BROWSER, **headers})
    assert status == 200, started
    return started


def test_behind_cloudfront_the_phone_shows_the_persons_place_and_address(
    behind_cloudfront, enrolled, svc, endpoints, post, tenant
):
    phone, _ = enrolled(push_token="apns-token-1")

    started = start_with(post, tenant, CLOUDFRONT)

    (message,) = messages(endpoints, svc, phone)
    payload = json.loads(message["APNS"])
    body = "Acme Corp · Acme Portal · from São Paulo, Sao Paulo, Brazil"
    assert payload["aps"]["alert"]["body"] == body
    assert payload["signin"]["place"] == "São Paulo, Sao Paulo, Brazil"
    assert payload["signin"]["ip"] == "198.51.100.23"  # the person's, not CloudFront's
    status, pending = phone.pending()
    assert status == 200
    (listed,) = pending["signins"]
    assert listed["signin_id"] == started["signin_id"]
    assert (listed["place"], listed["ip"]) == ("São Paulo, Sao Paulo, Brazil", "198.51.100.23")


FORGED = {
    "without the origin secret": {k: v for k, v in CLOUDFRONT.items() if k != "X-Origin-Secret"},
    "with a wrong origin secret": {**CLOUDFRONT, "X-Origin-Secret": "guessed"},
}


@pytest.mark.parametrize("forged", FORGED.values(), ids=FORGED.keys())
def test_viewer_headers_without_cloudfronts_secret_are_ignored(
    behind_cloudfront, forged, enrolled, svc, endpoints, post, tenant
):
    """Needs the origin secret: a client calling the API directly could otherwise claim any
    place and address (and walk past the per-address password limit)."""
    phone, _ = enrolled(push_token="apns-token-1")

    start_with(post, tenant, forged)

    (message,) = messages(endpoints, svc, phone)
    signin = json.loads(message["APNS"])["signin"]
    assert "place" not in signin
    assert signin["ip"] == "127.0.0.1"  # what API Gateway saw
    (listed,) = phone.pending()[1]["signins"]
    assert (listed["place"], listed["ip"]) == (None, "127.0.0.1")


def test_viewer_headers_are_ignored_where_no_cloudfront_is_configured(
    enrolled, svc, endpoints, post, tenant
):
    phone, _ = enrolled(push_token="apns-token-1")

    start_with(post, tenant, CLOUDFRONT)

    (listed,) = phone.pending()[1]["signins"]
    assert (listed["place"], listed["ip"]) == (None, "127.0.0.1")


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("2001:db8::7:443", "2001:db8::7"),  # IPv6, unbracketed, as CloudFront sends it
        ("not-an-address:1", "127.0.0.1"),  # nonsense: keep what API Gateway saw
        ("198.51.100.23", "127.0.0.1"),  # no port
    ],
)
def test_the_viewer_address_must_be_an_address(
    behind_cloudfront, sent, shown, enrolled, post, tenant
):
    phone, _ = enrolled(push_token="apns-token-1")

    start_with(post, tenant, {**CLOUDFRONT, "CloudFront-Viewer-Address": sent})

    (listed,) = phone.pending()[1]["signins"]
    assert listed["ip"] == shown


def test_a_place_header_cannot_smuggle_control_characters_or_length(
    behind_cloudfront, enrolled, svc, endpoints, post, tenant
):
    phone, _ = enrolled(push_token="apns-token-1")
    forged = {**CLOUDFRONT, "CloudFront-Viewer-City": "Evil%0A%1B[31mCity" + "x" * 500}

    start_with(post, tenant, forged)

    (listed,) = phone.pending()[1]["signins"]
    assert listed["place"].startswith("Evil [31mCity")
    assert len(listed["place"]) == 100
    assert all(ch.isprintable() for ch in listed["place"])
