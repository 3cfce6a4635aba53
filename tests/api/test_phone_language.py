"""The phone's language: sent at enrolment (claim `locale`), changed with /device/locale, kept
on the device record and in the account's summary of the phone, and the language its pushes
are written in (read back from moto)."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from authenticator.device_api import jws, sign
from tests.fixtures.core import PREFIX
from tools.admin import flows as admin

ACME = "https://signin.example.test/t/acme"
DUTCH = ("Aanmelding goedkeuren?", "Acme Corp · Acme Portal · vanaf 127.0.0.1")
ENGLISH = ("Approve sign-in?", "Acme Corp · Acme Portal · from 127.0.0.1")
# Not a language tag the service takes: 38 characters of a tag's shape, a POSIX locale name,
# not a string, and empty.
BAD_TAGS = [
    pytest.param("nl-" + "-".join(["abcdefgh"] * 4), id="too-long"),
    pytest.param("nl_NL", id="underscore"),
    pytest.param(42, id="number"),
    pytest.param("", id="empty"),
]


def stored(aws, table: str, pk: str) -> dict:
    item = aws.client("dynamodb").get_item(TableName=PREFIX + table, Key={"pk": {"S": pk}})
    return item["Item"]


def device_locale(aws, phone) -> dict | None:
    """The locale attribute of the phone's device item, as DynamoDB holds it."""
    return stored(aws, "devices", f"acme#{phone.device_id}").get("locale")


def summary_locale(aws, phone, username: str = "alice@acme.test") -> dict | None:
    """The locale in the account item's entry for the phone, as DynamoDB holds it."""
    devices = stored(aws, "accounts", f"acme#{username}")["devices"]["M"]
    return devices[phone.device_id]["M"].get("locale")


def pushed_text(endpoints, svc, phone) -> list[tuple[str, str, str]]:
    """(title, body, SNS default text) of every push the phone got, APNs or FCM."""
    arn = svc.devices.get("acme", phone.device_id).endpoint_arn
    found = []
    for raw in endpoints[arn].messages.values():
        message = json.loads(raw)
        if "GCM" in message:
            notification = json.loads(message["GCM"])["fcmV1Message"]["message"]["android"]
            alert = notification["notification"]
        else:
            alert = json.loads(message["APNS"])["aps"]["alert"]
        found.append((alert["title"], alert["body"], message["default"]))
    return found


def in_language(text: tuple[str, str]) -> tuple[str, str, str]:
    title, body = text
    return title, body, f"{title} {body}"


def enrol(new_account, make_phone, platform: str = "ios", **claims):
    phone = make_phone()
    code = new_account()["activation_code"]
    status, body = phone.enrol(code, platform=platform, **claims)
    assert status == 200, body
    return phone


@pytest.mark.parametrize("platform", ["ios", "android"])
def test_a_phone_enrolled_in_dutch_gets_its_push_in_dutch(
    platform, new_account, make_phone, svc, aws, endpoints, start
):
    """Needs the enrol claim `locale` stored in the account's summary of the phone, and
    push_to_phones / publish_request writing the APNs alert, the FCM notification and SNS's
    default text in it."""
    phone = enrol(new_account, make_phone, platform, push_token=f"{platform}-1", locale="nl-NL")

    start()

    assert device_locale(aws, phone) == summary_locale(aws, phone) == {"S": "nl-NL"}
    assert pushed_text(endpoints, svc, phone) == [in_language(DUTCH)]


def test_the_tag_is_kept_as_sent_and_its_language_is_what_counts(
    new_account, make_phone, svc, aws, endpoints, start
):
    """Needs the tag stored as sent ("nl-BE", not "nl"), so a language offered later reaches
    the phones that asked for it; the push takes the language the tag names."""
    phone = enrol(new_account, make_phone, push_token="apns-1", locale="nl-BE")

    start()

    assert device_locale(aws, phone) == summary_locale(aws, phone) == {"S": "nl-BE"}
    assert svc.devices.get("acme", phone.device_id).locale == "nl-BE"
    assert pushed_text(endpoints, svc, phone) == [in_language(DUTCH)]


@pytest.mark.parametrize("platform", ["ios", "android"])
def test_after_changing_to_english_the_push_is_english(
    platform, new_account, make_phone, svc, aws, endpoints, start
):
    """Needs /device/locale to change the device record and the account's summary: the push
    follows the new language, and the phone's push fields stay as they were."""
    phone = enrol(new_account, make_phone, platform, push_token=f"{platform}-1", locale="nl-NL")
    before = svc.accounts.get("acme", "alice@acme.test").devices[phone.device_id]

    status, body = phone.set_locale("en")

    assert (status, body) == (200, {"device_id": phone.device_id, "locale": "en", "language": "en"})
    assert device_locale(aws, phone) == summary_locale(aws, phone) == {"S": "en"}
    after = svc.accounts.get("acme", "alice@acme.test").devices[phone.device_id]
    assert (after.channel, after.endpoint_arn) == (before.channel, before.endpoint_arn)
    start()
    assert pushed_text(endpoints, svc, phone) == [in_language(ENGLISH)]


def test_a_change_to_dutch_makes_the_next_push_dutch(
    new_account, make_phone, svc, endpoints, start
):
    """Needs /device/locale's write to the account item, which is all a sign-in reads to push."""
    phone = enrol(new_account, make_phone, push_token="apns-1")
    start()

    assert phone.set_locale("nl-NL") == (
        200,
        {"device_id": phone.device_id, "locale": "nl-NL", "language": "nl"},
    )
    start()

    assert pushed_text(endpoints, svc, phone) == [in_language(ENGLISH), in_language(DUTCH)]


def test_a_language_the_service_does_not_offer_gets_english(
    new_account, make_phone, svc, aws, endpoints, start
):
    """Needs the push to fall back on the default language for a tag it has no catalog for
    (language.negotiate); the tag itself is still kept."""
    phone = enrol(new_account, make_phone, push_token="apns-1", locale="fr-FR")

    start()

    assert summary_locale(aws, phone) == {"S": "fr-FR"}
    assert pushed_text(endpoints, svc, phone) == [in_language(ENGLISH)]


def test_a_phone_that_sends_no_locale_gets_english_and_stores_none(
    new_account, make_phone, svc, aws, endpoints, start
):
    """Needs `locale` to be optional at enrolment; the items then look as they did before
    phones sent it (no locale attribute), and such items still load and push in English."""
    phone = enrol(new_account, make_phone, push_token="apns-1")

    start()

    assert device_locale(aws, phone) is None and summary_locale(aws, phone) is None
    assert svc.devices.get("acme", phone.device_id).locale is None
    assert pushed_text(endpoints, svc, phone) == [in_language(ENGLISH)]


def test_each_phone_of_an_account_gets_the_push_in_its_own_language(
    new_account, make_phone, svc, endpoints, start
):
    """Needs the language per phone (the account's summary of each), not per account."""
    dutch = enrol(new_account, make_phone, push_token="apns-nl", locale="nl-NL")
    english = make_phone()
    code = admin.issue_activation_code(svc, "acme", "alice@acme.test")["activation_code"]
    status, _ = english.enrol(code, platform="android", push_token="fcm-en", locale="en-GB")
    assert status == 200

    start()

    assert pushed_text(endpoints, svc, dutch) == [in_language(DUTCH)]
    assert pushed_text(endpoints, svc, english) == [in_language(ENGLISH)]


def test_a_new_push_token_keeps_the_phones_language(new_account, make_phone, svc, endpoints, start):
    """Needs register_push to keep the locale in the account's summary of the phone when it
    rewrites the summary: a polling phone upgraded to push still gets Dutch."""
    phone = enrol(new_account, make_phone, locale="nl-NL")  # polls

    assert phone.api.register_push(phone.key, "apns-later")[0] == 200
    start()

    assert pushed_text(endpoints, svc, phone) == [in_language(DUTCH)]


@pytest.mark.parametrize("tag", BAD_TAGS)
def test_enrolment_with_a_bad_tag_is_refused_and_writes_nothing(
    tag, new_account, make_phone, snapshot
):
    """Needs the enrol claim checked (1-35 characters of a language tag's shape) before
    anything is written: a 400 naming the field, and the code still unspent."""
    code = new_account()["activation_code"]
    phone = make_phone()
    before = snapshot()

    status, body = phone.enrol(code, push_token="apns-1", locale=tag)

    assert (status, body["error"]) == (400, "invalid_request")
    assert "locale" in body["error_description"]
    assert snapshot() == before
    assert phone.enrol(code, push_token="apns-1")[0] == 200


@pytest.mark.parametrize("tag", [*BAD_TAGS, pytest.param(None, id="missing")])
def test_a_change_to_a_bad_tag_is_refused_and_changes_nothing(
    tag, new_account, make_phone, aws, snapshot
):
    """Needs /device/locale to check its claim before it spends the proof or writes: a 400
    naming the field; the device and account items (and everything else) as they were."""
    phone = enrol(new_account, make_phone, push_token="apns-1", locale="nl-NL")
    before = snapshot()

    status, body = phone.api._request(phone.key, "locale", "locale", locale=tag)

    assert (status, body["error"]) == (400, "invalid_request")
    assert "locale" in body["error_description"]
    assert snapshot() == before
    assert device_locale(aws, phone) == summary_locale(aws, phone) == {"S": "nl-NL"}


def test_a_change_signed_by_another_key_under_the_phones_kid_is_refused(
    new_account, make_phone, post, clock, snapshot
):
    """Needs authenticate_device on /device/locale: whoever knows a device id cannot set its
    language without its key."""
    phone = enrol(new_account, make_phone, push_token="apns-1", locale="nl-NL")
    impostor = ec.generate_private_key(ec.SECP256R1())
    proof = jws(
        impostor,
        {"typ": "device-request+jwt", "kid": phone.device_id},
        {"aud": ACME, "iat": int(clock()), "jti": "jti-0123456789abcdef", "act": "locale",
         "locale": "en"},
    )  # fmt: skip
    before = snapshot()

    status, body = post("/t/acme/device/locale", {"proof": proof})

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert snapshot() == before


def test_a_change_proof_works_once(new_account, make_phone, post, clock, aws):
    """Needs `spend` on /device/locale: a change seen on the way cannot be sent again to
    undo a later one."""
    phone = enrol(new_account, make_phone, push_token="apns-1", locale="nl-NL")
    to_english = sign(
        phone.key, "device-request+jwt", {"act": "locale", "locale": "en"}, audience=ACME,
        now=int(clock()),
    )  # fmt: skip
    assert post("/t/acme/device/locale", {"proof": to_english})[0] == 200
    assert phone.set_locale("nl-NL")[0] == 200

    status, body = post("/t/acme/device/locale", {"proof": to_english})

    assert (status, body) == (
        401,
        {"error": "invalid_device_proof", "error_description": "this proof was already used"},
    )
    assert device_locale(aws, phone) == summary_locale(aws, phone) == {"S": "nl-NL"}


@pytest.mark.parametrize("act", ["pending", "push-token", None])
def test_a_proof_for_another_call_cannot_change_the_language(
    act, new_account, make_phone, post, clock, snapshot
):
    """Needs the `act` pinned to `locale`: a listing proof (or one for push-token, or one
    without `act`) is refused at /device/locale."""
    phone = enrol(new_account, make_phone, push_token="apns-1", locale="nl-NL")
    claims = {"locale": "en", **({"act": act} if act else {})}
    proof = sign(phone.key, "device-request+jwt", claims, audience=ACME, now=int(clock()))
    before = snapshot()

    status, body = post("/t/acme/device/locale", {"proof": proof})

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert snapshot() == before


def test_an_unregistered_phone_cannot_set_a_language(new_account, make_phone, snapshot):
    """Needs the device looked up by the proof's kid: a removed phone is unknown, and its
    account is not given the phone back."""
    phone = enrol(new_account, make_phone, push_token="apns-1")
    assert phone.api.unregister(phone.key)[0] == 200
    before = snapshot()

    status, body = phone.set_locale("nl-NL")

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert snapshot() == before
