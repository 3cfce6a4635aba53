"""SNS mobile push payloads: what each platform receives, and its time to live."""

from __future__ import annotations

import json

import pytest

from chalicelib.adapters import sns_push
from chalicelib.domain import push_messages
from chalicelib.domain.push_messages import Challenge
from chalicelib.domain.signins import Origin

ENDPOINT = "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/phonesignin-apns/0a1b2c3d"


def a_challenge(**changes) -> Challenge:
    fields = dict(
        tenant_id="acme",
        signin_id="0123456789abcdef" + "A" * 22,
        app_name="Acme Portal",
        ip="203.0.113.7",
        device="Firefox on Linux",
        expires_at=1_750_000_120,
        choices=(17, 42, 88),
        ttl_seconds=95,
        organisation="Acme Corp",
    )
    return Challenge(**{**fields, **changes})


def test_apns_payload_shows_an_alert_the_app_can_act_on():
    payload = push_messages.apns_payload(a_challenge())
    aps = payload["aps"]
    body = "Acme Corp · Acme Portal · from 203.0.113.7"
    assert aps["alert"] == {"title": "Approve sign-in?", "body": body}
    assert aps["category"] == "SIGNIN_REQUEST"
    assert payload["signin"] == {
        "type": "signin",
        "signin_id": "0123456789abcdef" + "A" * 22,
        "tenant": "acme",
        "organisation": "Acme Corp",
        "app": "Acme Portal",
        "ip": "203.0.113.7",
        "device": "Firefox on Linux",
        "expires_at": "1750000120",
        "choices": "17,42,88",
    }


def test_fcm_payload_is_a_v1_message_with_ttl_and_string_data():
    message = push_messages.fcm_payload(a_challenge())["fcmV1Message"]["message"]
    assert message["android"]["ttl"] == "95s"
    assert message["android"]["priority"] == "high"
    assert message["android"]["notification"]["title"] == "Approve sign-in?"
    assert message["android"]["notification"]["click_action"] == "SIGNIN_REQUEST"
    assert message["data"] == a_challenge().data()
    assert all(isinstance(value, str) for value in message["data"].values())


def test_a_binding_message_is_shown_instead_of_the_address():
    challenge = a_challenge(binding_message="Order 4711")
    assert (
        push_messages.apns_payload(challenge)["aps"]["alert"]["body"]
        == "Acme Corp · Acme Portal · Order 4711"
    )
    assert challenge.data()["binding_message"] == "Order 4711"


def test_type_mode_sends_no_choices():
    assert a_challenge(choices=()).data()["choices"] == ""


@pytest.mark.parametrize(
    ("channel", "ttl_attribute", "payload_of"),
    [
        ("APNS", "AWS.SNS.MOBILE.APNS.TTL", push_messages.apns_payload),
        ("APNS_SANDBOX", "AWS.SNS.MOBILE.APNS_SANDBOX.TTL", push_messages.apns_payload),
        ("GCM", "AWS.SNS.MOBILE.FCM.TTL", push_messages.fcm_payload),
    ],
)
def test_publish_request_per_channel(channel, ttl_attribute, payload_of):
    challenge = a_challenge()
    request = sns_push.publish_request(ENDPOINT, channel, challenge)
    assert request["TargetArn"] == ENDPOINT
    assert request["MessageStructure"] == "json"
    message = json.loads(request["Message"])
    assert set(message) == {"default", channel}
    assert json.loads(message[channel]) == payload_of(challenge)
    assert request["MessageAttributes"] == {
        ttl_attribute: {"DataType": "String", "StringValue": "95"}
    }


@pytest.mark.parametrize(
    ("channel", "alert_of"),
    [
        ("APNS", lambda payload: payload["aps"]["alert"]),
        ("GCM", lambda payload: payload["fcmV1Message"]["message"]["android"]["notification"]),
    ],
)
def test_publish_request_in_the_phones_language(channel, alert_of):
    """Needs publish_request to write the platform's alert and SNS's default text (what a
    platform without its own entry shows) in the language it is given."""
    request = sns_push.publish_request(ENDPOINT, channel, a_challenge(), "nl")

    message = json.loads(request["Message"])
    body = "Acme Corp · Acme Portal · vanaf 203.0.113.7"
    assert message["default"] == f"Aanmelding goedkeuren? {body}"
    alert = alert_of(json.loads(message[channel]))
    assert (alert["title"], alert["body"]) == ("Aanmelding goedkeuren?", body)


def worst_case(user_agent_char: str, app_char: str) -> Challenge:
    origin = Origin.of("x", user_agent_char * 1000, place=user_agent_char * 1000)
    return a_challenge(
        tenant_id="t" * 32,
        app_name=app_char * 64,
        ip="ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
        device=origin.device,
        place=origin.place,
        expires_at=9_999_999_999,
        choices=(99, 98, 97),
        ttl_seconds=600,
    )


@pytest.mark.parametrize("channel", ["APNS", "APNS_SANDBOX", "GCM"])
def test_payload_stays_well_under_the_4_kb_platform_limit(channel):
    request = sns_push.publish_request(ENDPOINT, channel, worst_case("M", "A"))
    payload = json.loads(request["Message"])[channel]
    assert len(payload.encode()) < 2048


@pytest.mark.parametrize("channel", ["APNS", "GCM"])
def test_payload_fits_4_kb_even_when_every_character_is_an_emoji(channel):
    request = sns_push.publish_request(ENDPOINT, channel, worst_case("😀", "😀"))
    payload = json.loads(request["Message"])[channel]
    assert len(payload.encode()) <= 4096
