"""What an operator relies on: the audit log, usage and bills, disabling accounts, revoking
phones, and request logs that say what happened without saying who."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest

from chalicelib.domain.metering import day_of
from chalicelib.domain.tenants import Policy, Tenant
from tools.admin import flows as admin

CB = "https://app.acme.test/cb"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def today(clock):
    return day_of(clock())


@pytest.fixture
def alice(new_account, make_phone):
    account = new_account("alice@acme.test")
    phone = make_phone()
    assert phone.enrol(account["activation_code"], push_token="tok-alice")[0] == 200
    return account, phone


def sign_in(start, phone, decision="approve"):
    """Alice starts a sign-in on acme's web client and her phone answers; the page never polls."""
    started = start()
    phone.respond(
        started["signin_id"], decision, started["number"] if decision == "approve" else None
    )
    return started


def test_the_audit_log_records_enrolment_answers_and_admin_actions_per_account(
    svc, tenant, alice, start, today
):
    account, phone = alice
    sign_in(start, phone, "approve")
    sign_in(start, phone, "report_fraud")

    events = admin.audit_log(svc, "acme", today, today, "alice@acme.test")["events"]
    # Events of the same second come in no particular order: compare them as a set.
    assert sorted(e["event"] for e in events) == [
        "account_created",
        "activation_code_issued",
        "device_enrolled",
        "phone_signin_locked",  # a fraud report locks phone sign-in for a while
        "signin_approved",
        "signin_fraud_reported",
    ]
    assert {e["account"] for e in events} == {account["sub"]}
    (enrolled,) = [e for e in events if e["event"] == "device_enrolled"]
    assert enrolled["device"] == phone.device_id
    assert "alice" not in json.dumps(events)  # the log names accounts by sub only

    tenant_wide = [e["event"] for e in admin.audit_log(svc, "acme", today, today)["events"]]
    assert {"tenant_created", "client_added", "signin_fraud_reported"} <= set(tenant_wide)
    assert tenant_wide.count("client_added") == 2
    # An approval's record is its decided sign-in, in the person's partition: listed per person.
    assert "signin_approved" not in tenant_wide


def test_usage_counts_each_billable_event_and_the_bill_charges_completed_signins(
    svc, tenant, alice, start, completed, today
):
    _, phone = alice
    completed(phone)  # start, the phone approves, the result, the token
    sign_in(start, phone, "deny")

    total = admin.usage(svc, "acme", today, today)["total"]
    assert total == {
        "signins_started": 2,
        "pushes_sent": 2,
        "phone_answers": 2,
        "tokens_issued": 1,
    }
    bill = admin.bill(
        svc, "acme", today, today, price_per_signin=Decimal("2.50"), aws_cost_per_signin=Decimal(0)
    )
    assert (bill["billable_signins"], bill["amount"]) == (1, "2.50 USD")


def test_usage_is_spread_over_shards_and_summed_on_read(svc, tenant, today):
    for _ in range(40):
        svc.usage.add("acme", today, svc.rng.randbelow(16), {"tokens_issued": 1})
    assert svc.usage.day("acme", today)["tokens_issued"] == 40


def test_a_disabled_account_cannot_sign_in_with_its_phone_or_password(svc, tenant, alice, post):
    admin.set_password(svc, "acme", "alice@acme.test", "a long enough passphrase")
    admin.set_account_disabled(svc, "acme", "alice@acme.test", True)
    _, phone = alice

    status, started = post(
        "/t/acme/signin",
        {"client_id": tenant["client_id"], "username": "alice@acme.test", "redirect_uri": CB},
    )
    assert (status, started["method"]) == (200, "password")
    assert phone.pending()[1]["signins"] == []
    csrf = {"Cookie": "psi_csrf=t", "X-CSRF-Token": "t"}
    status, body = post(
        "/t/acme/password",
        {
            "client_id": tenant["client_id"],
            "username": "alice@acme.test",
            "password": "a long enough passphrase",
            "redirect_uri": CB,
        },
        csrf,
    )
    assert (status, body["error"]) == (401, "invalid_credentials")

    admin.set_account_disabled(svc, "acme", "alice@acme.test", False)
    status, started = post(
        "/t/acme/signin",
        {"client_id": tenant["client_id"], "username": "alice@acme.test", "redirect_uri": CB},
    )
    assert started["method"] == "phone"


def test_revoking_a_lost_phone_removes_it_and_its_push_endpoint(svc, tenant, alice, post, aws):
    _account, phone = alice
    (listed,) = admin.list_devices(svc, "acme", "alice@acme.test")["devices"]
    assert listed["device_id"] == phone.device_id and listed["push"] is True
    arn = svc.devices.get("acme", phone.device_id).endpoint_arn

    admin.revoke_device(svc, "acme", phone.device_id)

    assert svc.devices.get("acme", phone.device_id) is None
    assert admin.list_devices(svc, "acme", "alice@acme.test")["devices"] == []
    sns = aws.client("sns")
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_endpoint_attributes(EndpointArn=arn)
    status, body = phone.pending()
    assert (status, body["error"]) == (401, "invalid_device_proof")
    listed = admin.list_accounts(svc, "acme")["accounts"]
    assert [(a["username"], a["phones"]) for a in listed] == [("alice@acme.test", 0)]


def test_each_request_logs_one_json_line_without_who(tenant, alice, post, caplog):
    caplog.set_level(logging.INFO, logger="phonesignin")
    post(
        "/t/acme/signin",
        {"client_id": tenant["client_id"], "username": "alice@acme.test", "redirect_uri": CB},
    )
    post("/t/acme/signin", {"client_id": "nope", "username": "alice@acme.test", "redirect_uri": CB})

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "phonesignin"]
    assert [(x["view"], x["status"], x.get("error")) for x in lines] == [
        ("start_signin", 200, None),
        ("start_signin", 401, "invalid_client"),
    ]
    assert all(x["tenant"] == "acme" and "ms" in x and "request_id" in x for x in lines)
    assert "alice" not in caplog.text and "secret" not in caplog.text


def test_the_page_its_files_and_unknown_tenants_log_their_errors_not_their_reads(
    tenant, api, alice, start, caplog
):
    """Needs the access log in middleware (web/middleware.py), quiet for successful reads: a
    log line written by the JSON views' wrapper missed /authorize, /static and every page
    error; a line for every read billed a third of a sign-in's log bytes."""
    started = start()
    caplog.set_level(logging.INFO, logger="phonesignin")
    caplog.clear()
    api.http.get(f"/t/acme/authorize?client_id={tenant['client_id']}&response_type=code")
    api.http.get("/t/nobody/authorize?client_id=x")
    api.http.get("/static/signin.css")
    api.http.get("/static/nothing.css")
    api.http.get("/t/acme/jwks.json")
    result = f"/t/acme/signin/{started['signin_id']}/result"
    for secret in (started["secret"], "wrong"):
        api.http.post(result, body=json.dumps({"secret": secret}), headers=JSON)

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "phonesignin"]
    assert [(x["view"], x["tenant"], x["status"], x.get("error")) for x in lines] == [
        ("authorize", "acme", 400, "invalid_request"),
        ("authorize", "nobody", 400, "unknown_tenant"),
        ("static", None, 404, "not_found"),
        ("signin_result", "acme", 403, "invalid_binding"),
    ]


def test_an_error_page_shows_the_request_id_its_log_line_names(api, caplog):
    """Support matches what a person reads off the page with the access log line."""
    caplog.set_level(logging.INFO, logger="phonesignin")
    response = api.http.get("/t/nobody/authorize?client_id=x")
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "phonesignin"]
    assert line["request_id"] and f'id="request-id">{line["request_id"]}<' in response.body.decode()


def test_the_root_and_the_favicon_answer(api):
    assert api.http.get("/").status_code == 200
    assert api.http.get("/favicon.ico").status_code == 204


def test_a_tenant_written_as_terraform_writes_it_gets_its_keys_on_first_use(svc, api):
    """Terraform's tenant module writes only the policy and the clients: the function itself
    makes the tenant's data key (KMS) and signing keys (RS256 and ES256) on the first request
    for it, and publishes them. (Also what tests/security/test_least_privilege.py sees the function
    call: PutItem on tenants, kms GenerateDataKey and Decrypt.)"""
    svc.tenants.create(Tenant(tenant_id="tfco", name="Terraform Co", policy=Policy()))
    assert svc.tenants.load("tfco").sealed_data_key is None

    response = api.http.get("/t/tfco/jwks.json")

    assert response.status_code == 200
    keys = response.json_body["keys"]
    assert sorted((key["kty"], key["alg"]) for key in keys) == [("EC", "ES256"), ("RSA", "RS256")]
    assert not any("d" in key for key in keys)
    assert svc.tenants.load("tfco").sealed_data_key is not None
