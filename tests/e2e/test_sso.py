"""Single sign-on in real Chromium: a person signs in once to one app of a tenant, and the
tenant's other apps (relying parties built with Authlib, unchanged) sign them in without the
page, until an app asks for more or the session ends."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chalicelib.domain import tokens
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin

from . import relying_party
from .conftest import claims_on, poll_now

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
APPS = ("portal", "wiki")


@pytest.fixture
def page(browser):
    """A tab whose clock is installed (Playwright's, at real speed): a sign-in skips to the
    page's next poll (poll_now) instead of waiting for it."""
    context = browser.new_context()
    opened = context.new_page()
    opened.clock.install()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def world(svc, stack, make_phone):
    """Tenant `sso` with two apps of one relying party (the portal and the wiki), Alice with a
    phone and a password, and Bob with a password only."""
    server = relying_party.bind()
    admin.create_tenant(svc, "sso", "SSO Inc", Policy(pushes_per_minute=20, pushes_per_day=1000))
    clients = {}
    for app in APPS:
        redirect = f"http://127.0.0.1:{server.port}/callback/{app}"
        client = admin.add_client(svc, "sso", f"sso-{app}", app.title(), [redirect])
        clients[app] = {
            "issuer": stack.issuer("sso"),
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        }
    phones = {}
    for username, with_phone in (("alice@sso.test", True), ("bob@sso.test", False)):
        admin.create_account(svc, "sso", username, AccountKind.WORK)
        admin.set_password(svc, "sso", username, PASSWORD)
        if with_phone:
            phones[username] = make_phone("sso")
            code = admin.issue_activation_code(svc, "sso", username)["activation_code"]
            phones[username].enrol(code)
    with relying_party.serve(relying_party.build(clients), server) as rp_url:
        yield {"rp": rp_url, "phones": phones}


def by_phone(page, world, app: str = "portal", query: str = "") -> dict:
    """Alice signs in to `app` on the hosted page, approving on her phone: the app's claims."""
    page.goto(f"{world['rp']}/login/{app}{query}")
    page.fill("#username", "alice@sso.test")
    page.click("#username-step button[type=submit]")
    expect(page.locator("#number")).to_have_text(re.compile(r"^\d\d$"))
    number = int(page.locator("#number").inner_text())
    phone = world["phones"]["alice@sso.test"]
    phone.answer(phone.wait_for_signin(number)["signin_id"], "approve", number)
    poll_now(page)
    expect(page.locator("#claims")).to_be_visible()
    return claims_on(page)


def by_password(page, world, username: str, app: str = "portal", query: str = "") -> dict:
    page.goto(f"{world['rp']}/login/{app}{query}")
    page.fill("#username", username)
    page.click("#username-step button[type=submit]")
    if page.locator("#use-password").is_visible():
        page.click("#use-password")
    page.fill("#password", PASSWORD)
    page.click("#password-step button[type=submit]")
    expect(page.locator("#claims")).to_be_visible()
    return claims_on(page)


def silently(page, world, app: str, query: str = "") -> dict:
    """The app's sign-in, expected to need no page: /authorize answers with a redirect (never
    the sign-in page), and the app has its claims."""
    answers = []

    def seen(response) -> None:
        if "/t/sso/authorize" in response.url:
            answers.append(response.status)

    page.on("response", seen)
    page.goto(f"{world['rp']}/login/{app}{query}")
    expect(page.locator("#claims")).to_be_visible()
    page.remove_listener("response", seen)
    assert answers == [302]
    return claims_on(page)


def test_a_second_app_signs_in_without_the_page_and_says_how_and_when(page, world):
    """After a phone sign-in to the portal, the wiki's sign-in goes straight back to it: the
    same person, the phone sign-in's amr, acr and auth_time, the same session (sid)."""
    portal = by_phone(page, world)
    wiki = silently(page, world, "wiki")
    assert wiki["aud"] == "sso-wiki" and wiki["sub"] == portal["sub"]
    assert wiki["auth_time"] == portal["auth_time"]
    assert wiki["amr"] == portal["amr"] and wiki["acr"] == tokens.ACR_TWO_STEP
    assert wiki["sid"] == portal["sid"]
    # prompt=none is answered silently too.
    assert silently(page, world, "wiki", "?prompt=none")["sub"] == portal["sub"]


def test_prompt_none_without_a_session_comes_back_with_login_required(page, world):
    page.goto(f"{world['rp']}/login/wiki?prompt=none")
    expect(page.locator("#error")).to_contain_text("login_required")


@pytest.mark.parametrize(
    "query",
    ["?prompt=login", "?max_age=0", f"?acr_values={tokens.ACR_TWO_STEP}"],
    ids=["prompt-login", "max-age", "stronger-acr"],
)
def test_an_app_that_asks_for_a_new_or_stronger_sign_in_gets_the_page(page, world, query):
    """Bob signed in with his password; the wiki asking for a new sign-in (prompt=login,
    max_age=0) or for two steps (acr_values) gets the page, and the sign-in it makes counts."""
    first = by_password(page, world, "bob@sso.test")
    page.goto(f"{world['rp']}/login/wiki{query}")
    expect(page.locator("#username")).to_be_visible()
    page.fill("#username", "bob@sso.test")
    page.click("#username-step button[type=submit]")
    page.fill("#password", PASSWORD)
    page.click("#password-step button[type=submit]")
    expect(page.locator("#claims")).to_be_visible()
    again = claims_on(page)
    assert again["sub"] == first["sub"] and again["aud"] == "sso-wiki"


def test_a_disabled_accounts_session_stops_working_at_once(page, world, svc):
    """Disabling the account ends its sessions: the next app gets login_required at once."""
    admin.set_account_disabled(svc, "sso", "bob@sso.test", False)
    by_password(page, world, "bob@sso.test")
    assert silently(page, world, "wiki")["aud"] == "sso-wiki"
    admin.set_account_disabled(svc, "sso", "bob@sso.test", True)
    try:
        page.goto(f"{world['rp']}/login/wiki?prompt=none")
        expect(page.locator("#error")).to_contain_text("login_required")
        page.goto(f"{world['rp']}/login/wiki")
        expect(page.locator("#username")).to_be_visible()
    finally:
        admin.set_account_disabled(svc, "sso", "bob@sso.test", False)
