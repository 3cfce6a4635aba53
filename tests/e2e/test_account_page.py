"""The security-info page in real Chromium, in English and in Dutch (the browser's locale): a
person signs in to it through the hosted page (a reference phone approves), sees their
phones, adds one by its enrolment link (the phone simulator, in a second tab, opens the
link), and removes it. axe-core checks every state of the page."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin

from .accessibility import assert_accessible
from .conftest import poll_now, shoot, t

pytestmark = pytest.mark.e2e
TENANT = "selfserve"
LOCALES = {"en-US": "en", "nl-NL": "nl"}


@pytest.fixture(params=list(LOCALES))
def locale(request) -> str:
    return request.param


@pytest.fixture
def lang(locale) -> str:
    return LOCALES[locale]


@pytest.fixture
def context(browser, locale):
    """A browser in the locale, its clock installed so that a tab can skip to its next poll
    (poll_now)."""
    opened = browser.new_context(locale=locale)
    opened.clock.install()
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def tenant(svc) -> str:
    admin.create_tenant(svc, TENANT, "Self Serve Ltd", Policy(pushes_per_minute=20))
    return TENANT


def look(page, name: str) -> None:
    shoot(page, f"account-{name}-{page.locator('html').get_attribute('lang')}")
    assert_accessible(page, f"account-{name}")


def signed_in(context, stack, phone, username: str, lang: str):
    """A tab on the security-info page, signed in through the hosted page by the phone."""
    page = context.new_page()
    page.goto(f"{stack.api_url}/t/{TENANT}/account")
    expect(page.locator("h1")).to_have_text(
        t(lang, "Sign in to {app_name}", app_name=t(lang, "Security info"))
    )
    page.fill("#username", username)
    page.click("#username-step button[type=submit]")
    expect(page.locator("#number")).to_have_text(re.compile(r"^\d\d$"))
    number = int(page.locator("#number").inner_text())
    waiting = phone.wait_for_signin(number)
    assert waiting["app"] == "Security info"
    phone.answer(waiting["signin_id"], "approve", number)
    poll_now(page)
    expect(page.locator("#account")).to_be_visible(timeout=10_000)
    return page


def test_sign_in_list_add_a_phone_by_its_link_and_remove_it(
    context, lang, svc, stack, tenant, make_phone
):
    """The page's whole life in a browser: the built-in client's sign-in through the hosted
    page, the session cookie (SameSite=Strict) carried back from the callback, the forms'
    CSRF token and Origin accepted from the page itself, the link a phone enrols from, and
    the last method kept (no remove button) until a second one exists."""
    username = f"alice-{lang}@self.test"
    admin.create_account(svc, TENANT, username, AccountKind.WORK)
    phone = make_phone(TENANT)
    phone.enrol(admin.issue_activation_code(svc, TENANT, username)["activation_code"])

    page = signed_in(context, stack, phone, username, lang)

    expect(page.locator("h1")).to_have_text(t(lang, "Security info"))
    expect(page.locator(".who")).to_have_text(t(lang, "Signed in as {username}", username=username))
    expect(page.locator("#phones .method")).to_have_count(1)
    expect(page.locator("#phones .method strong")).to_have_text(t(lang, "Android phone"))
    expect(page.locator("#one-method")).to_be_visible()
    expect(page.locator("#phones button")).to_have_count(0)  # the last method stays
    look(page, "list")

    # Add a phone: the page shows the link as a QR code and as text, and the code.
    page.click("#add-phone")
    expect(page.locator(".qr svg")).to_be_visible()
    link = page.locator("#link").input_value()
    assert link.startswith(f"{stack.api_url}/t/{TENANT}/enrol#code=")
    expect(page.locator("#code")).to_have_text(link.rsplit("=", 1)[1])
    look(page, "add-phone")

    # The phone simulator, in a second tab, opens the link and enrols.
    simulator = context.new_page()
    simulator.goto(f"{stack.api_url}/phone?link={quote(link, safe='')}")
    expect(simulator.locator("#tenant")).to_have_value(TENANT)
    simulator.fill("#new-pin", "2468")
    simulator.click("#enrol-form button[type=submit]")
    expect(simulator.locator("#home-account")).to_have_text(username)

    page.click("#done")
    expect(page.locator("#phones .method")).to_have_count(2)
    expect(page.locator("#one-method")).to_have_count(0)
    newest = page.locator("#phones .method").nth(1)
    expect(newest).to_contain_text(t(lang, "Not used yet"))
    look(page, "two-phones")

    # Remove the new phone: the list is back to one, and the phone it left hears of it.
    newest.get_by_role("button").click()
    expect(page.locator("#phones .method")).to_have_count(1)
    expect(page.locator("#one-method")).to_be_visible()
    look(page, "removed")
    notices = phone.api.pending(phone.key)[1]["notices"]
    assert {"activation_code_issued", "device_enrolled", "device_removed"} <= {
        n["kind"] for n in notices
    }


def test_an_enrolment_link_opened_in_the_browser_tells_to_use_the_app(context, lang, stack, tenant):
    """The code stays in the fragment: the page a browser shows for a link only says to use
    the app, in the person's language."""
    page = context.new_page()
    page.goto(f"{stack.api_url}/t/{TENANT}/enrol#code=ABCD-EFGH-JKMN-PQRS")

    expect(page.locator("h1")).to_have_text(t(lang, "Open this link with the authenticator app"))
    look(page, "enrol-link")


@pytest.mark.parametrize("locale", ["nl-NL"])  # no words checked: one language is enough
def test_a_link_of_another_service_is_refused_by_the_simulator(context, stack, tenant):
    """Needs the simulator's link check: a pasted link of another host must not send its
    code, nor enrol, anywhere."""
    simulator = context.new_page()
    simulator.goto(f"{stack.api_url}/phone")
    simulator.fill("#link", f"https://elsewhere.test/t/{TENANT}/enrol#code=ABCD-EFGH-JKMN-PQRS")
    simulator.fill("#new-pin", "2468")
    simulator.click("#enrol-form button[type=submit]")

    expect(simulator.locator("#enrol-error")).to_be_visible()
    expect(simulator.locator("#enrol")).to_be_visible()


def test_new_recovery_codes_from_the_page(context, lang, svc, stack, tenant, make_phone):
    """Needs the page's recovery-codes form (the session's CSRF token, the page's Origin): ten
    codes shown once, and the page then counts ten left."""
    username = f"carol-{lang}@self.test"
    admin.create_account(svc, TENANT, username, AccountKind.WORK)
    phone = make_phone(TENANT)
    phone.enrol(admin.issue_activation_code(svc, TENANT, username)["activation_code"])
    page = signed_in(context, stack, phone, username, lang)
    expect(page.locator("#recovery-left")).to_have_text(
        t(lang, "Recovery codes left: {count}", count=0)
    )

    page.click("#new-codes")

    expect(page.locator("h1")).to_have_text(t(lang, "Your new recovery codes"))
    expect(page.locator("#codes li")).to_have_count(10)
    look(page, "recovery-codes")
    page.click("#done")
    expect(page.locator("#recovery-left")).to_have_text(
        t(lang, "Recovery codes left: {count}", count=10)
    )
