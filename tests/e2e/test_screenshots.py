"""The screenshots in the docs: the sign-in page's number step and the phone simulator's
request, in each language, at a desktop and a phone width, and the security-info page (its
list and "Add a phone") at a desktop width. Written to build/screenshots/docs;
`make screenshots` runs this module and copies them to docs/images/. Each one is also checked
with axe-core, and shows what the docs say it shows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chalicelib.domain import language
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin

from . import relying_party
from .accessibility import assert_accessible
from .conftest import SCREENSHOTS, poll_now, simulator_polls_now

pytestmark = pytest.mark.e2e
OUT = SCREENSHOTS / "docs"
WIDTHS = {"desktop": {"width": 1024, "height": 720}, "phone": {"width": 390, "height": 780}}
LOCALES = {"en": "en-US", "nl": "nl-NL"}


@pytest.fixture(scope="module")
def shop(svc, stack):
    """Contoso, whose Payroll app signs people in with their phone."""
    admin.create_tenant(svc, "contoso", "Contoso", Policy())
    server = relying_party.bind()
    redirect = f"http://127.0.0.1:{server.port}/callback/contoso"
    client = admin.add_client(svc, "contoso", "contoso-payroll", "Payroll", [redirect])
    clients = {
        "contoso": {
            "issuer": stack.issuer("contoso"),
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        }
    }
    with relying_party.serve(relying_party.build(clients), server) as rp_url:
        yield rp_url


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_number_page_and_the_phone_asking(browser, svc, stack, shop, lang, width):
    username = f"alex.{lang}.{width}@contoso.example"
    admin.create_account(svc, "contoso", username, AccountKind.WORK)
    code = admin.issue_activation_code(svc, "contoso", username)["activation_code"]
    options = {"locale": LOCALES[lang], "viewport": WIDTHS[width]}
    if width == "phone":
        options |= {"is_mobile": True, "has_touch": True}
    context = browser.new_context(**options)
    context.clock.install()  # to skip to the simulator's next poll (simulator_polls_now)
    try:
        phone = context.new_page()
        phone.goto(f"{stack.api_url}/phone?tenant=contoso&code={code}")
        phone.fill("#new-pin", "2468")
        phone.click("#enrol-form button[type=submit]")
        expect(phone.locator("#home-account")).to_have_text(username)

        page = context.new_page()
        page.goto(f"{shop}/login/contoso")
        page.fill("#username", username)
        page.click("#username-step button[type=submit]")
        expect(page.locator("#number")).to_have_text(re.compile(r"^\d\d$"))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        heading = language.translate(lang, "Approve the sign-in on your phone")
        expect(page.locator("#number-heading")).to_have_text(heading)
        assert_accessible(page, f"number page, {lang}, {width}")
        OUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT / f"number-page-{lang}-{width}.png"))

        simulator_polls_now(phone)
        review = phone.locator("#requests button").first
        expect(review).to_be_visible(timeout=10_000)
        review.click()
        expect(phone.locator("#request-app")).to_have_text("Payroll")
        expect(phone.locator("html")).to_have_attribute("lang", lang)
        assert_accessible(phone, f"phone simulator, {lang}, {width}")
        phone.screenshot(path=str(OUT / f"phone-simulator-{lang}-{width}.png"))
        page.click("#cancel")  # tidy: the phone stops listing it
    finally:
        context.close()


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_security_info_page(browser, svc, stack, shop, make_phone, lang):
    """The security-info page with a phone and a passkey-less list, and its "Add a phone" QR
    code, at a desktop width (docs/integrate.md shows them)."""
    username = f"sam.{lang}@contoso.example"
    admin.create_account(svc, "contoso", username, AccountKind.WORK)
    phone = make_phone("contoso")
    phone.enrol(admin.issue_activation_code(svc, "contoso", username)["activation_code"])
    context = browser.new_context(locale=LOCALES[lang], viewport=WIDTHS["desktop"])
    context.clock.install()  # to skip to the sign-in page's next poll (poll_now)
    try:
        page = context.new_page()
        page.goto(f"{stack.api_url}/t/contoso/account")
        page.fill("#username", username)
        page.click("#username-step button[type=submit]")
        expect(page.locator("#number")).to_have_text(re.compile(r"^\d\d$"))
        number = int(page.locator("#number").inner_text())
        phone.answer(phone.wait_for_signin(number)["signin_id"], "approve", number)
        poll_now(page)
        expect(page.locator("#account")).to_be_visible(timeout=10_000)
        expect(page.locator("h1")).to_have_text(language.translate(lang, "Security info"))
        assert_accessible(page, f"security info, {lang}")
        OUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT / f"security-info-{lang}-desktop.png"), full_page=True)

        page.click("#add-phone")
        expect(page.locator(".qr svg")).to_be_visible()
        assert_accessible(page, f"add a phone, {lang}")
        page.screenshot(path=str(OUT / f"add-phone-{lang}-desktop.png"), full_page=True)
    finally:
        context.close()
