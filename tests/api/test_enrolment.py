"""Enrolling a phone, upgrading it to push, and removing it, through the device API."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from authenticator.device_api import jws, public_jwk
from chalicelib.domain import envelope, totp
from chalicelib.domain.accounts import AccountKind
from chalicelib.usecases.tenant_directory import totp_context
from tests.fixtures.core import PREFIX
from tools.admin import flows as admin

DAY = 24 * 3600


def device_item(aws, tenant_id: str, device_id: str) -> dict | None:
    found = aws.client("dynamodb").get_item(
        TableName=PREFIX + "devices", Key={"pk": {"S": f"{tenant_id}#{device_id}"}}
    )
    return found.get("Item")


def account_devices(svc, username: str, tenant_id: str = "acme") -> dict:
    return svc.accounts.get(tenant_id, username, consistent=True).devices


@pytest.mark.parametrize(("platform", "application"), [("ios", "APNS"), ("android", "GCM")])
def test_enrolling_with_a_valid_code_registers_the_key_the_totp_secret_and_push(
    platform, application, new_account, make_phone, svc, sns, endpoints
):
    account = new_account()
    phone = make_phone()

    status, body = phone.enrol(
        account["activation_code"], platform=platform, push_token=f"{platform}-token-1"
    )

    assert status == 200, body
    assert body["device_id"] == phone.device_id
    assert body["push"] is True
    assert body["account_kind"] == "work"
    assert len(totp.from_base32(body["totp_secret"])) == totp.SECRET_BYTES
    assert f"secret={body['totp_secret']}" in body["totp_uri"]
    arn = svc.devices.get("acme", phone.device_id).endpoint_arn
    assert f":endpoint/{application}/" in arn
    assert sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]["Token"] == (
        f"{platform}-token-1"
    )
    assert endpoints[arn].custom_user_data == phone.device_id
    assert account_devices(svc, "alice@acme.test")[phone.device_id].endpoint_arn == arn


def test_a_phone_without_a_screen_lock_is_refused_and_nothing_is_written(
    new_account, make_phone, snapshot
):
    account = new_account()
    phone = make_phone()
    before = snapshot()

    status, body = phone.enrol(account["activation_code"], screen_lock=False, push_token="t-1")

    assert (status, body["error"]) == (400, "screen_lock_required")
    assert snapshot() == before
    assert phone.enrol(account["activation_code"])[0] == 200  # the code was not spent


def test_an_activation_code_works_once(new_account, make_phone):
    account = new_account()
    assert make_phone().enrol(account["activation_code"])[0] == 200

    status, body = make_phone().enrol(account["activation_code"])

    assert (status, body["error"]) == (400, "invalid_activation_code")


def test_an_activation_code_expires_after_a_day(new_account, make_phone, clock):
    account = new_account()
    clock.advance(DAY + 1)

    status, body = make_phone().enrol(account["activation_code"])

    assert (status, body["error"]) == (400, "invalid_activation_code")


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("0000-0000-0000-0000", "invalid_activation_code"),  # well formed, never issued
        ("ABCD-EFGH", "invalid_activation_code"),  # too short
        ("ABCD-EFGH-JKMN-PQRS-TVWX", "invalid_activation_code"),  # too long
        ("ÄBCD-EFGH-JKMN-PQRS", "invalid_activation_code"),
        ("'; DROP TABLE--", "invalid_activation_code"),
        ("", "invalid_request"),
        ("X" * 65, "invalid_request"),
    ],
)
def test_unknown_or_garbled_codes_are_refused(code, error, new_account, make_phone, snapshot):
    new_account()
    before = snapshot()

    status, body = make_phone().enrol(code)

    assert (status, body["error"]) == (400, error)
    assert snapshot() == before


def test_a_code_issued_by_another_tenant_is_refused(globex, new_account, make_phone):
    account = new_account("bob@globex.test", tenant_id="globex")

    status, body = make_phone("acme").enrol(account["activation_code"])

    assert (status, body["error"]) == (400, "invalid_activation_code")


def test_a_code_is_read_the_way_people_type_it(new_account, make_phone):
    account = new_account()
    typed = account["activation_code"].lower().replace("-", " ").replace("1", "l")

    assert make_phone().enrol(typed)[0] == 200


def test_a_phone_holds_one_work_account_in_the_whole_service(
    globex, enrolled, new_account, same_phone, svc, endpoints, start, snapshot
):
    phone, _ = enrolled(push_token="the-phones-token")
    second_here = new_account("bob@acme.test")
    second_there = new_account("carol@globex.test", tenant_id="globex")
    before = snapshot()

    refused = [
        same_phone(phone).enrol(second_here["activation_code"], push_token="the-phones-token"),
        same_phone(phone, "globex").enrol(
            second_there["activation_code"], push_token="the-phones-token"
        ),
    ]

    for status, body in refused:
        assert (status, body["error"]) == (409, "work_account_already_enrolled")
    assert snapshot() == before
    # The refusals leave the first account's push alone: its endpoint still gets sign-ins.
    arn = svc.devices.get("acme", phone.device_id).endpoint_arn
    start()
    assert len(endpoints[arn].messages) == 1


def test_enrolling_the_same_key_twice_is_refused_and_keeps_its_push(
    enrolled, new_account, make_phone, svc, endpoints, start, post
):
    phone, _ = enrolled(kind=AccountKind.PERSONAL, push_token="the-phones-token")
    again = admin.issue_activation_code(svc, "acme", "alice@acme.test")["activation_code"]

    status, body = phone.enrol(again, push_token="the-phones-token")

    assert (status, body["error"]) == (409, "device_already_enrolled")
    start()
    assert len(endpoints[svc.devices.get("acme", phone.device_id).endpoint_arn].messages) == 1


def test_a_key_enrolled_twice_at_once_keeps_its_push(enrolled, svc, endpoints, start, monkeypatch):
    # The second enrolment passes the early check (as if both ran at once) and is refused by
    # the transaction: its clean-up must not let go of, or delete, the first one's endpoint.
    phone, _ = enrolled(kind=AccountKind.PERSONAL, push_token="the-phones-token")
    arn = svc.devices.get("acme", phone.device_id).endpoint_arn
    again = admin.issue_activation_code(svc, "acme", "alice@acme.test")["activation_code"]
    with monkeypatch.context() as racing:
        racing.setattr(svc.devices, "get", lambda *_: None)
        status, body = phone.enrol(again, push_token="the-phones-token")

    assert (status, body["error"]) == (409, "device_already_enrolled")
    assert svc.installations.is_held(arn)
    start()
    assert len(endpoints[arn].messages) == 1


def test_personal_accounts_are_not_limited_per_phone(enrolled, new_account, same_phone):
    phone, _ = enrolled()
    for username in ("me@home.test", "me@club.test"):
        account = new_account(username, AccountKind.PERSONAL)
        status, body = same_phone(phone).enrol(account["activation_code"])
        assert status == 200, body
        assert body["account_kind"] == "personal"


def test_after_unregistering_its_work_account_a_phone_can_enrol_another(
    globex, enrolled, new_account, same_phone
):
    phone, _ = enrolled()
    other = new_account("carol@globex.test", tenant_id="globex")
    assert phone.api.unregister(phone.key)[0] == 200

    status, body = same_phone(phone, "globex").enrol(other["activation_code"])

    assert status == 200, body


def test_the_totp_secret_is_stored_sealed_with_the_tenant_data_key(enrolled, svc, aws, snapshot):
    phone, _ = enrolled()
    secret_b32 = phone.enrolment["totp_secret"]
    raw = totp.from_base32(secret_b32)

    (item,) = aws.client("dynamodb").scan(TableName=PREFIX + "devices")["Items"]
    sealed = item["sealed_totp_secret"]["B"]
    assert raw not in sealed
    assert secret_b32 not in json.dumps(item, default=repr)
    assert secret_b32 not in json.dumps(snapshot())  # nor anywhere else
    data_key = svc.directory.get("acme").data_key
    assert envelope.unseal(data_key, sealed, totp_context("acme", phone.device_id)) == raw


def test_an_enrolment_proof_signed_by_another_key_than_its_jwk_is_refused(
    new_account, make_phone, clock, snapshot, post
):
    account = new_account()
    phone = make_phone()
    impostor = ec.generate_private_key(ec.SECP256R1())
    proof = jws(
        impostor,
        {"typ": "device-enrol+jwt", "jwk": public_jwk(phone.key)},
        {
            "aud": "https://signin.example.test/t/acme",
            "iat": int(clock()),
            "jti": "jti-0123456789abcdef",
            "activation_code": account["activation_code"],
            "platform": "ios",
            "installation_id": phone.installation_id,
            "screen_lock": True,
        },
    )
    before = snapshot()

    status, body = post("/t/acme/device/enrol", {"proof": proof})

    assert (status, body["error"]) == (401, "invalid_device_proof")
    assert snapshot() == before


def test_a_polling_phone_can_upgrade_to_push(enrolled, svc, aws, sns, endpoints, start):
    phone, _ = enrolled()
    assert phone.enrolment["push"] is False
    assert "endpoint_arn" not in device_item(aws, "acme", phone.device_id)

    status, body = phone.api.register_push(phone.key, "apns-token-later")

    assert (status, body) == (200, {"device_id": phone.device_id, "push": True})
    arn = device_item(aws, "acme", phone.device_id)["endpoint_arn"]["S"]
    assert account_devices(svc, "alice@acme.test")[phone.device_id].endpoint_arn == arn
    assert sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]["Token"] == (
        "apns-token-later"
    )
    started = start()
    (message,) = endpoints[arn].messages.values()
    assert started["signin_id"] in message


def test_the_same_push_token_reenables_the_endpoint_sns_disabled(
    enrolled, svc, aws, sns, endpoints, start
):
    phone, _ = enrolled(push_token="apns-token-1")
    arn = svc.devices.get("acme", phone.device_id).endpoint_arn
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    start()  # the platform disabled the endpoint: this push fails and is recorded
    assert "push_failed_at" in device_item(aws, "acme", phone.device_id)

    status, _ = phone.api.register_push(phone.key, "apns-token-1")

    assert status == 200
    attributes = sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]
    assert (attributes["Token"], attributes["Enabled"]) == ("apns-token-1", "true")
    assert "push_failed_at" not in device_item(aws, "acme", phone.device_id)
    start()
    assert len(endpoints[arn].messages) == 1


def test_a_new_push_token_moves_the_phone_to_that_tokens_endpoint(
    enrolled, svc, aws, sns, endpoints, start
):
    phone, _ = enrolled(push_token="apns-token-old")
    old = svc.devices.get("acme", phone.device_id).endpoint_arn

    status, _ = phone.api.register_push(phone.key, "apns-token-new")

    assert status == 200
    new = device_item(aws, "acme", phone.device_id)["endpoint_arn"]["S"]
    assert new != old and old not in endpoints  # its only holder moved on: deleted
    attributes = sns.get_endpoint_attributes(EndpointArn=new)["Attributes"]
    assert attributes["Token"] == "apns-token-new"
    assert account_devices(svc, "alice@acme.test")[phone.device_id].endpoint_arn == new
    start()
    assert len(endpoints[new].messages) == 1


def test_unregistering_removes_the_device_its_endpoint_and_the_account_entry(
    enrolled, svc, aws, endpoints
):
    phone, _ = enrolled(push_token="apns-token-1")
    arn = svc.devices.get("acme", phone.device_id).endpoint_arn

    status, body = phone.api.unregister(phone.key)

    assert (status, body) == (200, {"device_id": phone.device_id, "removed": True})
    assert device_item(aws, "acme", phone.device_id) is None
    assert arn not in endpoints
    assert account_devices(svc, "alice@acme.test") == {}
    status, body = phone.pending()  # the key is no longer known
    assert (status, body["error"]) == (401, "invalid_device_proof")


def test_unregistering_one_account_keeps_push_for_another_on_the_same_phone(
    enrolled, new_account, same_phone, svc, endpoints, start
):
    phone, _ = enrolled("me@home.test", AccountKind.PERSONAL, push_token="the-phones-token")
    work = new_account()
    second = same_phone(phone)
    assert second.enrol(work["activation_code"], push_token="the-phones-token")[0] == 200

    assert second.api.unregister(second.key)[0] == 200

    start("me@home.test")
    arn = svc.devices.get("acme", phone.device_id).endpoint_arn
    assert arn in endpoints and len(endpoints[arn].messages) == 1
