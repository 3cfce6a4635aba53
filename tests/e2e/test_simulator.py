"""The phone simulator with several sign-in requests waiting, in real Chromium: it lists every
one with who asks and a countdown, the person chooses which to answer, it says what happened,
and it never puts the focus on an answer (a stray Enter answers nothing)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin

from . import relying_party
from .conftest import claims_on, shoot

pytestmark = pytest.mark.e2e
TENANT = "phones"
ANSWERS = "input, button, select, textarea, [role=button]"


@pytest.fixture(scope="module")
def app_url(svc, stack):
    """Tenant `phones` ("Phones Org") and its app "Payroll", served by an Authlib app."""
    server = relying_party.bind()
    admin.create_tenant(svc, TENANT, "Phones Org", Policy(pushes_per_minute=20))
    redirect = f"http://127.0.0.1:{server.port}/callback/{TENANT}"
    client = admin.add_client(svc, TENANT, "phones-rp", "Payroll", [redirect])
    clients = {
        TENANT: {
            "issuer": stack.issuer(TENANT),
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        }
    }
    with relying_party.serve(relying_party.build(clients), server) as url:
        yield url


def enrolled_simulator(context, svc, stack, username: str):
    admin.create_account(svc, TENANT, username, AccountKind.WORK)
    code = admin.issue_activation_code(svc, TENANT, username)["activation_code"]
    phone = context.new_page()
    phone.goto(f"{stack.api_url}/phone?tenant={TENANT}&code={code}")
    phone.fill("#new-pin", "2468")
    phone.click("#enrol-form button[type=submit]")
    expect(phone.locator("#home-account")).to_have_text(username)
    return phone


def start(context, app_url: str, username: str):
    """A browser tab at the app's sign-in, past the username: (tab, the number it shows)."""
    page = context.new_page()
    page.goto(f"{app_url}/login/{TENANT}")
    page.fill("#username", username)
    page.click("#username-step button[type=submit]")
    expect(page.locator("#number")).to_have_text(re.compile(r"^\d\d$"))
    return page, int(page.locator("#number").inner_text())


def focus_is_not_on_an_answer(phone) -> None:
    on_answer = phone.evaluate(f"() => !!document.activeElement.closest({ANSWERS!r})")
    assert not on_answer, phone.evaluate("() => document.activeElement.outerHTML")


def test_two_waiting_requests_the_person_approves_the_older_one(browser, app_url, svc, stack):
    context = browser.new_context()
    try:
        phone = enrolled_simulator(context, svc, stack, "two@phones.test")
        older, older_number = start(context, app_url, "two@phones.test")
        time.sleep(1.1)  # the list is ordered by start, to the second
        newer, newer_number = start(context, app_url, "two@phones.test")

        # Both are listed, oldest first, with who asks and a countdown; neither opens itself.
        items = phone.locator("#requests li")
        expect(items).to_have_count(2, timeout=10_000)
        expect(phone.locator("#request")).to_be_hidden()
        for item in (items.nth(0), items.nth(1)):
            expect(item.locator(".app")).to_have_text("Payroll")
            expect(item.locator(".org")).to_have_text("Phones Org · two@phones.test")
            expect(item.locator(".where")).to_contain_text(re.compile(r"From 127\.0\.0\.1 · \w+"))
            expect(item.locator(".left")).to_have_text(re.compile(r"^Expires in \d+s$"))
        focus_is_not_on_an_answer(phone)
        first_left = items.nth(0).locator(".left").inner_text()
        expect(items.nth(0).locator(".left")).not_to_have_text(first_left, timeout=5_000)
        shoot(phone, "simulator-list")

        items.nth(0).get_by_role("button", name=re.compile("^Review")).click()
        expect(phone.locator("#request")).to_be_visible()
        expect(phone.locator("#request-app")).to_have_text("Payroll")
        expect(phone.locator("#request-org")).to_have_text("Phones Org")
        expect(phone.locator("#request-account")).to_have_text("two@phones.test")
        expect(phone.locator("#request-left")).to_have_text(re.compile(r"^Expires in \d+s$"))
        expect(phone.locator("#request-title")).to_be_focused()
        focus_is_not_on_an_answer(phone)
        # A stray Enter answers nothing: the request stays open and both pages keep waiting.
        phone.keyboard.press("Enter")
        phone.wait_for_timeout(500)
        expect(phone.locator("#request")).to_be_visible()
        expect(phone.locator("#outcome")).to_be_hidden()
        shoot(phone, "simulator-request-chosen")

        phone.fill("#typed", str(older_number))
        phone.click("#type-form button[type=submit]")
        expect(phone.locator("#outcome")).to_have_text(re.compile("^Approved"))
        expect(phone.locator("#outcome")).to_be_focused()
        focus_is_not_on_an_answer(phone)
        shoot(phone, "simulator-approved")
        expect(older.locator("#claims")).to_be_visible()
        assert {"mfa", "hwk"} <= set(claims_on(older)["amr"])

        # The newer one still waits, on its page and in the list, until the person answers it.
        expect(items).to_have_count(1, timeout=10_000)
        expect(newer.locator("#number")).to_have_text(str(newer_number))
        expect(newer.locator("#claims")).to_have_count(0)
        items.nth(0).get_by_role("button", name=re.compile("^Review")).click()
        phone.click("#deny")
        expect(phone.locator("#outcome")).to_have_text(re.compile("^Denied"))
        expect(items).to_have_count(0)
        expect(phone.locator("#inbox-status")).to_have_text("No sign-in requests.")
    finally:
        context.close()


def test_a_request_that_ends_elsewhere_leaves_the_screen_and_says_so(browser, app_url, svc, stack):
    context = browser.new_context()
    try:
        phone = enrolled_simulator(context, svc, stack, "gone@phones.test")
        page, _ = start(context, app_url, "gone@phones.test")
        item = phone.locator("#requests li")
        expect(item).to_have_count(1, timeout=10_000)
        item.get_by_role("button", name=re.compile("^Review")).click()
        expect(phone.locator("#request")).to_be_visible()

        page.click("#use-password")  # the page abandons the phone request

        expect(phone.locator("#outcome")).to_contain_text("has ended", timeout=10_000)
        expect(phone.locator("#request")).to_be_hidden()
        focus_is_not_on_an_answer(phone)
    finally:
        context.close()
