"""Push endpoints: a phone's SNS endpoint is never adopted or retargeted by another phone.

SNS keeps one platform endpoint per push token. Whoever could join an endpoint by knowing its
token, then move it to a token of their own, would receive someone else's sign-in requests
(the number choices included). Only registrations of one app installation share an endpoint.
"""

from __future__ import annotations

import json

from chalicelib.domain.accounts import AccountKind

VICTIM_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
ATTACKER_TOKEN = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"


def endpoint_of(svc, phone, tenant_id: str = "acme") -> str | None:
    return svc.devices.get(tenant_id, phone.device_id).endpoint_arn


def signins_pushed_to(endpoint) -> list[str]:
    return [
        json.loads(json.loads(m)["APNS"])["signin"]["signin_id"] for m in endpoint.messages.values()
    ]


def token_of(sns, arn: str) -> str:
    return sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]["Token"]


def test_another_tenants_phone_cannot_enrol_with_a_victims_push_token(
    globex, enrolled, new_account, make_phone, svc, sns, endpoints, snapshot, start
):
    """Needs `InstallationStore.hold_endpoint`'s condition (an endpoint held by another
    installation is never held) in the enrolment transaction, and `SnsPush.endpoint_for`
    changing nothing of an existing endpoint: otherwise the attacker shares the victim's
    endpoint, ready to move it to a token of their own."""
    victim, _ = enrolled(push_token=VICTIM_TOKEN)
    arn = endpoint_of(svc, victim)
    mallory = new_account("mallory@globex.test", tenant_id="globex")
    attacker = make_phone("globex")
    before = snapshot()

    status, body = attacker.enrol(mallory["activation_code"], push_token=VICTIM_TOKEN)

    assert (status, body["error"]) == (409, "push_token_in_use")
    # Nothing written anywhere: the victim's endpoint keeps its token and attributes, its
    # holders are the victim alone, and the attacker's code is not spent.
    assert snapshot() == before
    assert token_of(sns, arn) == VICTIM_TOKEN
    assert endpoints[arn].custom_user_data == victim.device_id
    started = start()
    assert signins_pushed_to(endpoints[arn]) == [started["signin_id"]]
    assert attacker.enrol(mallory["activation_code"])[0] == 200  # without push, it may


def test_a_phone_that_shares_nothing_cannot_retarget_anothers_endpoint(
    globex, enrolled, svc, sns, endpoints, start
):
    """Needs `InstallationStore.hold_endpoint`'s condition on push-token: otherwise a phone
    registers the victim's token (joining the victim's endpoint), then its own token, and
    takes the victim's pushes with it."""
    victim, _ = enrolled(push_token=VICTIM_TOKEN)
    victim_arn = endpoint_of(svc, victim)
    attacker, _ = enrolled("mallory@globex.test", tenant_id="globex", push_token=ATTACKER_TOKEN)
    attacker_arn = endpoint_of(svc, attacker, "globex")

    status, body = attacker.api.register_push(attacker.key, VICTIM_TOKEN)
    assert (status, body["error"]) == (409, "push_token_in_use")
    assert attacker.api.register_push(attacker.key, ATTACKER_TOKEN + "00")[0] == 200

    assert token_of(sns, victim_arn) == VICTIM_TOKEN
    assert endpoints[victim_arn].custom_user_data == victim.device_id
    assert [e.arn for e in endpoints.values() if token_of(sns, e.arn) == VICTIM_TOKEN] == [
        victim_arn
    ]
    assert endpoint_of(svc, attacker, "globex") not in (victim_arn, attacker_arn)
    started = start()
    assert signins_pushed_to(endpoints[victim_arn]) == [started["signin_id"]]
    assert sum(len(e.messages) for e in endpoints.values()) == 1


def test_two_accounts_in_one_app_on_one_phone_share_its_endpoint(
    enrolled, new_account, same_phone, svc, endpoints, start
):
    """Needs the hold to admit the installation that first held the endpoint: SNS keeps one
    endpoint per token, so the phone's second account has no other way to get pushes."""
    home, _ = enrolled("me@home.test", AccountKind.PERSONAL, push_token=VICTIM_TOKEN)
    work = same_phone(home)
    status, body = work.enrol(new_account()["activation_code"], push_token=VICTIM_TOKEN)
    assert (status, body["push"]) == (200, True), body

    arn = endpoint_of(svc, home)
    assert endpoint_of(svc, work) == arn
    pushed = [start("me@home.test")["signin_id"], start()["signin_id"]]
    assert signins_pushed_to(endpoints[arn]) == pushed


def test_a_new_token_moves_only_the_registration_that_sent_it(
    enrolled, new_account, same_phone, svc, sns, endpoints, start
):
    """Needs `register_push` never to change a token in place: moving the shared endpoint
    to the new token would take the other account's pushes along, which is what an
    attacker sharing the endpoint would do."""
    home, _ = enrolled("me@home.test", AccountKind.PERSONAL, push_token=VICTIM_TOKEN)
    work = same_phone(home)
    assert work.enrol(new_account()["activation_code"], push_token=VICTIM_TOKEN)[0] == 200
    shared = endpoint_of(svc, home)

    assert work.api.register_push(work.key, ATTACKER_TOKEN) == (
        200,
        {"device_id": work.device_id, "push": True},
    )

    moved = endpoint_of(svc, work)
    assert moved != shared
    assert (token_of(sns, shared), token_of(sns, moved)) == (VICTIM_TOKEN, ATTACKER_TOKEN)
    assert svc.accounts.get("acme", "me@home.test").devices[home.device_id].endpoint_arn == shared
    home_signin, work_signin = start("me@home.test")["signin_id"], start()["signin_id"]
    assert signins_pushed_to(endpoints[shared]) == [home_signin]
    assert signins_pushed_to(endpoints[moved]) == [work_signin]
    # The last holder moving on deletes the old endpoint, as unregistering does.
    assert home.api.register_push(home.key, ATTACKER_TOKEN)[0] == 200
    assert shared not in endpoints
    assert endpoint_of(svc, home) == moved


def test_an_endpoint_nobody_holds_is_adopted(enrolled, svc, sns, endpoints, start):
    """Needs the hold to admit anyone to an endpoint without holders, and `enable_endpoint`
    once held: an app reinstalled after its registrations were revoked (SNS may still keep
    the endpoint, perhaps disabled) gets its pushes again."""
    orphan = sns.create_platform_endpoint(
        PlatformApplicationArn=svc.settings.push_apps["APNS"],
        Token=VICTIM_TOKEN,
        CustomUserData="a-device-long-gone",
        Attributes={"Enabled": "false"},
    )["EndpointArn"]

    phone, _ = enrolled(push_token=VICTIM_TOKEN)

    assert endpoint_of(svc, phone) == orphan
    attributes = sns.get_endpoint_attributes(EndpointArn=orphan)["Attributes"]
    assert (attributes["Token"], attributes["CustomUserData"]) == (VICTIM_TOKEN, phone.device_id)
    assert signins_pushed_to(endpoints[orphan]) == []
    started = start()
    assert signins_pushed_to(endpoints[orphan]) == [started["signin_id"]]
