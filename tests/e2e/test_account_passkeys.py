"""The security-info page's "Add a passkey" in real Chromium, with the DevTools protocol's
virtual authenticator (user verification on, as Windows Hello's PIN would), in English and in
Dutch: the page's script asks for the options, the browser makes the passkey, the page lists
it, and the passkey can be removed. axe-core checks each state.

WebAuthn refuses an IP address as a relying party id, so this module serves the service as
http://localhost:<port> (its own Services with that public base URL), as tests/e2e/
test_passkeys.py does."""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from authenticator.device_api import DeviceApi, http_transport
from chalicelib import service
from chalicelib.adapters import aws
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin

from .accessibility import assert_accessible
from .conftest import Phone, add_platform_authenticator, poll_now, shoot, t

pytestmark = pytest.mark.e2e
TENANT = "keyring"
LOCALES = {"en-US": "en", "nl-NL": "nl"}


@pytest.fixture(scope="module")
def local(stack, svc, clock):
    """The service as http://localhost:<port> for as long as the module runs: (services, base)."""
    base = f"http://localhost:{urlsplit(stack.api_url).port}"
    settings = replace(svc.settings, public_base_url=base)
    built = service.build(settings, aws.lazy("dynamodb"), aws.lazy("sns"), aws.lazy("kms"), clock)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "get", lambda: built)
        admin.create_tenant(built, TENANT, "Keyring BV", Policy(pushes_per_minute=20))
        yield built, base


@pytest.fixture(params=list(LOCALES))
def lang(request) -> str:
    return LOCALES[request.param]


@pytest.fixture
def page(browser, lang):
    locale = next(code for code, short in LOCALES.items() if short == lang)
    context = browser.new_context(locale=locale)
    opened = context.new_page()
    add_platform_authenticator(context, opened, automaticPresenceSimulation=True)
    opened.clock.install()  # to skip to the sign-in page's next poll (poll_now)
    yield opened
    context.close()


def look(page, name: str) -> None:
    shoot(page, f"account-{name}-{page.locator('html').get_attribute('lang')}")
    assert_accessible(page, f"account-{name}")


def test_add_a_passkey_on_the_page_then_remove_it(page, lang, local, stack):
    """Needs the page's script and its two JSON calls (the session, X-CSRF-Token, the exact
    Origin) to hand the browser's credential to the passkeys use case; the list then shows
    it as a method, and removing it is under the last-method rule like a phone."""
    built, base = local
    username = f"kees-{lang}@keyring.test"
    admin.create_account(built, TENANT, username, AccountKind.WORK)
    phone = Phone(DeviceApi(http_transport(stack.api_url), TENANT, f"{base}/t/{TENANT}"))
    phone.enrol(admin.issue_activation_code(built, TENANT, username)["activation_code"])

    page.goto(f"{base}/t/{TENANT}/account")
    page.fill("#username", username)
    page.click("#username-step button[type=submit]")
    expect(page.locator("#number")).to_have_text(re.compile(r"^\d\d$"))
    number = int(page.locator("#number").inner_text())
    phone.answer(phone.wait_for_signin(number)["signin_id"], "approve", number)
    poll_now(page)
    expect(page.locator("#account")).to_be_visible(timeout=10_000)
    expect(page.locator("#no-passkeys")).to_be_visible()
    expect(page.locator("#add-passkey")).to_be_visible()
    look(page, "passkeys-none")

    page.click("#add-passkey-button")  # no name yet: the page asks for one
    expect(page.locator("#passkey-error")).to_have_text(
        t(lang, "Give the passkey a name, such as the device it is on.")
    )
    page.fill("#passkey-name", "Laptop")
    page.click("#add-passkey-button")

    item = page.locator("#passkey-list .method")
    expect(item).to_have_count(1, timeout=10_000)
    expect(item.locator("strong")).to_have_text("Laptop")
    expect(item).to_contain_text(t(lang, "On one device only"))
    expect(page.locator("#one-method")).to_have_count(0)  # a phone and a passkey
    look(page, "passkey-added")

    # Signed out, the passkey just made signs the person in again: "Sign in with a passkey"
    # on the hosted page brings them back to the page (it is more than a password).
    page.context.clear_cookies()
    page.goto(f"{base}/t/{TENANT}/account")
    # The username field's autofill may answer first (the virtual authenticator plays the
    # person's touch): the page then sends one answer, not two, and the click finds the page
    # already leaving.
    with contextlib.suppress(PlaywrightError):
        page.locator("#use-passkey").click(timeout=5_000)
    expect(page.locator("#account")).to_be_visible(timeout=10_000)
    expect(item).to_have_count(1)
    stored = built.credentials.list(TENANT, built.accounts.get(TENANT, username).account_id)
    assert [passkey.last_used_at is not None for passkey in stored] == [True]

    item.get_by_role("button").click()
    expect(page.locator("#no-passkeys")).to_be_visible()
    expect(page.locator("#one-method")).to_be_visible()
