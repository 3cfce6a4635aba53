"""Passkeys on the security-info page: registering one through the page's routes (session,
CSRF token in the header, exact Origin), listing it, and removing it under the last-method
rule. The passkey itself is the tools' software authenticator."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.tenants import Policy
from tests.fixtures.account_page import HOME, Browser, csrf_of, error_of, signed_in
from tests.fixtures.core import BASE_URL
from tools.admin import flows as admin
from tools.passkey_authenticator import SoftwarePasskey

PASSKEYS = f"{HOME}/passkeys"


@pytest.fixture
def browser(api):
    return Browser(api)


@pytest.fixture
def alice_in(api, browser, enrolled):
    phone, _ = enrolled()
    return phone, csrf_of(signed_in(api, browser, phone))


def post_json(browser, path: str, body: dict, csrf: str | None, origin: str | None = BASE_URL):
    headers = {"Content-Type": "application/json"}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    if origin is not None:
        headers["Origin"] = origin
    response = browser.api.http.post(path, headers=browser.headers(headers), body=json.dumps(body))
    return response.status_code, json.loads(response.body or b"{}")


def register(browser, csrf: str, name: str = "Laptop", synced: bool = False) -> dict:
    status, options = post_json(browser, f"{PASSKEYS}/options", {}, csrf)
    assert status == 200, options
    passkey = SoftwarePasskey(origin=BASE_URL, rp_id="signin.example.test", synced=synced)
    credential = passkey.create(options["publicKey"])
    body = {"challenge_id": options["challenge_id"], "credential": credential, "name": name}
    status, made = post_json(browser, PASSKEYS, body, csrf)
    assert status == 200, made
    return made


def test_a_passkey_registered_on_the_page_is_listed(browser, alice_in):
    """Needs the registration routes to pass the session's account to the passkeys use case:
    the person's passkey, under their name, synced or not, on their page."""
    _, csrf = alice_in

    made = register(browser, csrf, name="Work laptop", synced=True)

    page = browser.get(HOME).body.decode()
    assert made["name"] == "Work laptop" and made["synced"] is True
    assert "Work laptop" in page and "Synced across your devices" in page
    assert 'id="one-method"' not in page  # a phone and a passkey: two methods


@pytest.mark.parametrize(
    ("csrf", "origin", "error"),
    [
        (None, BASE_URL, "cross_site_request"),
        ("not-the-token", BASE_URL, "cross_site_request"),
        ("TOKEN", "https://evil.test", "cross_site_request"),
        ("TOKEN", None, "cross_site_request"),
    ],
)
def test_registration_needs_the_sessions_token_and_the_exact_origin(
    browser, alice_in, snapshot, csrf, origin, error
):
    """Needs change() on the JSON routes too: another site cannot start a registration (and
    its challenge) for the signed-in person."""
    _, token = alice_in
    before = snapshot()

    status, body = post_json(
        browser, f"{PASSKEYS}/options", {}, token if csrf == "TOKEN" else csrf, origin
    )

    assert (status, body["error"]) == (403, error)
    assert snapshot() == before


def test_registration_without_a_session_is_refused(api, tenant, snapshot):
    """Needs the session check before any challenge is stored."""
    stranger = Browser(api)
    before = snapshot()

    status, body = post_json(stranger, f"{PASSKEYS}/options", {}, "x")

    assert (status, body["error"]) == (401, "login_required")
    assert snapshot() == before


def test_removing_a_passkey_follows_the_last_method_rule(browser, alice_in, svc, snapshot):
    """Needs remove_passkey's _keep_one: with a phone beside it a passkey goes; once it is the
    only method it stays, unless the tenant allows password-only accounts."""
    phone, csrf = alice_in
    first = register(browser, csrf, name="One")
    second = register(browser, csrf, name="Two")

    gone = browser.post(f"{PASSKEYS}/{first['credential_id']}/remove", {"csrf": csrf})
    assert gone.status_code == 303
    assert (
        browser.post(f"{HOME}/phones/{phone.device_id}/remove", {"csrf": csrf}).status_code == 303
    )
    before = snapshot()

    kept = browser.post(f"{PASSKEYS}/{second['credential_id']}/remove", {"csrf": csrf})

    assert kept.status_code == 409 and error_of(kept) == "last_method"
    assert snapshot() == before
    admin.set_policy(svc, "acme", Policy(password_only_accounts=True))
    assert (
        browser.post(f"{PASSKEYS}/{second['credential_id']}/remove", {"csrf": csrf}).status_code
        == 303
    )
    assert "No passkeys yet." in browser.get(HOME).body.decode()


def test_another_persons_passkey_cannot_be_removed(api, browser, alice_in, enrolled, snapshot):
    """Needs remove_passkey's ownership check: a credential id is no capability."""
    _, csrf = alice_in
    bob_phone, _ = enrolled("bob@acme.test")
    bob = Browser(api)
    bobs = register(bob, csrf_of(signed_in(api, bob, bob_phone, "bob@acme.test")))
    before = snapshot()

    refused = browser.post(f"{PASSKEYS}/{bobs['credential_id']}/remove", {"csrf": csrf})

    assert refused.status_code == 404 and error_of(refused) == "not_found"
    assert snapshot() == before


def test_an_administrator_lists_and_removes_a_passkey_even_the_last_method(
    browser, alice_in, svc, monkeypatch, capsys
):
    """Needs the admin CLI's list-passkeys and remove-passkey: a person who lost everything
    is helped by someone else, whom the page's last-method rule does not bind."""
    from chalicelib import service
    from tools import admin as admin_cli

    phone, csrf = alice_in
    made = register(browser, csrf, name="Lost key")
    admin.revoke_device(svc, "acme", phone.device_id)
    monkeypatch.setattr(service, "get", lambda: svc)

    assert admin_cli.main(["list-passkeys", "acme", "alice@acme.test"]) == 0
    listed = json.loads(capsys.readouterr().out)["passkeys"]
    assert [p["credential_id"] for p in listed] == [made["credential_id"]]
    assert admin_cli.main(["remove-passkey", "acme", "alice@acme.test", made["credential_id"]]) == 0
    capsys.readouterr()

    assert "No passkeys yet." in browser.get(HOME).body.decode()
    assert admin_cli.main(["remove-passkey", "acme", "alice@acme.test", made["credential_id"]]) == 1
