"""The phone simulator with several sign-in requests waiting, in real Chromium: it lists every
one with who asks and a countdown, the person chooses which to answer, it says what happened,
and it never puts the focus on an answer (a stray Enter answers nothing). In English and in
Dutch: the browser's language chooses, ?ui_locales= overrides it (the page's switch links
there), and the expected sentences are looked up in the catalogs, as the simulator does."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from playwright.sync_api import expect

from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin
from tools.simulator.text import SCRIPT_TEXT

from . import relying_party
from .conftest import claims_on, poll_now, shoot, simulator_polls_now, t

pytestmark = pytest.mark.e2e
TENANT = "phones"
ANSWERS = "input, button, select, textarea, [role=button]"
LOCALES = {"en-US": "en", "nl-NL": "nl"}


@pytest.fixture(params=list(LOCALES))
def locale(request) -> str:
    """The browser's locale: Chromium sends it as Accept-Language and as navigator.language."""
    return request.param


@pytest.fixture
def lang(locale) -> str:
    return LOCALES[locale]


@pytest.fixture
def context(browser, locale):
    """A browser in the locale, its clock installed so that its tabs can skip to their next
    poll (poll_now, simulator_polls_now): one clock for all of them."""
    opened = browser.new_context(locale=locale)
    opened.clock.install()
    yield opened
    opened.close()


def sentence(lang: str, message: str, **fields: str) -> re.Pattern:
    """The whole sentence in the language, each {field} matched by the pattern given."""
    expected = re.escape(t(lang, message))
    for name, pattern in fields.items():
        expected = expected.replace(re.escape("{" + name + "}"), pattern)
    return re.compile(f"^{expected}$")


def review(lang: str) -> re.Pattern:
    """The Review button's accessible name: "Review: Payroll, From ..." in the language."""
    return re.compile("^" + re.escape(t(lang, SCRIPT_TEXT["review"])))


@pytest.fixture(scope="module")
def tenant(svc) -> str:
    """Tenant `phones` ("Phones Org"), for the simulators to enrol in."""
    admin.create_tenant(svc, TENANT, "Phones Org", Policy(pushes_per_minute=20))
    return TENANT


@pytest.fixture(scope="module")
def app_url(svc, stack, tenant):
    """Tenant `phones`' app "Payroll", served by an Authlib app."""
    server = relying_party.bind()
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


def simulator_for(context, svc, stack, username: str):
    """A new account, and a simulator tab on its set-up screen with a fresh activation code."""
    admin.create_account(svc, TENANT, username, AccountKind.WORK)
    code = admin.issue_activation_code(svc, TENANT, username)["activation_code"]
    phone = context.new_page()
    phone.goto(f"{stack.api_url}/phone?tenant={TENANT}&code={code}")
    return phone


def enrolled_simulator(context, svc, stack, username: str):
    phone = simulator_for(context, svc, stack, username)
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


def test_two_waiting_requests_the_person_approves_the_older_one(context, lang, app_url, svc, stack):
    """The person chooses which of two requests to answer, by who asks and the number; the
    other keeps waiting until answered. Every sentence in the browser's language."""
    username = f"two-{lang}@phones.test"
    phone = enrolled_simulator(context, svc, stack, username)
    older, older_number = start(context, app_url, username)
    time.sleep(1.1)  # the list is ordered by start, to the second
    newer, newer_number = start(context, app_url, username)
    simulator_polls_now(phone)

    # Both are listed, oldest first, with who asks and a countdown; neither opens itself.
    items = phone.locator("#requests li")
    expect(items).to_have_count(2, timeout=10_000)
    expect(phone.locator("#request")).to_be_hidden()
    expect(phone.locator("#inbox-status")).to_have_text(
        sentence(lang, SCRIPT_TEXT["manyWaiting"], count="2")
    )
    expires_in = sentence(lang, SCRIPT_TEXT["expiresIn"], seconds=r"\d+")
    for item in (items.nth(0), items.nth(1)):
        expect(item.locator(".app")).to_have_text("Payroll")
        expect(item.locator(".org")).to_have_text(f"Phones Org · {username}")
        expect(item.locator(".where")).to_have_text(
            sentence(lang, SCRIPT_TEXT["fromIp"], ip=r"127\.0\.0\.1", device=r"\w+.*")
        )
        expect(item.locator(".left")).to_have_text(expires_in)
    focus_is_not_on_an_answer(phone)
    first_left = items.nth(0).locator(".left").inner_text()
    expect(items.nth(0).locator(".left")).not_to_have_text(first_left, timeout=5_000)
    shoot(phone, f"simulator-list-{lang}")

    items.nth(0).get_by_role("button", name=review(lang)).click()
    expect(phone.locator("#request")).to_be_visible()
    expect(phone.locator("#request-title")).to_have_text(t(lang, "Approve sign-in?"))
    expect(phone.locator("#request-app")).to_have_text("Payroll")
    expect(phone.locator("#request-org")).to_have_text("Phones Org")
    expect(phone.locator("#request-account")).to_have_text(username)
    expect(phone.locator("#request-left")).to_have_text(expires_in)
    expect(phone.locator("#request-prompt")).to_have_text(t(lang, SCRIPT_TEXT["promptType"]))
    expect(phone.locator("#request-title")).to_be_focused()
    focus_is_not_on_an_answer(phone)
    # A stray Enter answers nothing: the request stays open and both pages keep waiting.
    phone.keyboard.press("Enter")
    phone.wait_for_timeout(500)
    expect(phone.locator("#request")).to_be_visible()
    expect(phone.locator("#outcome")).to_be_hidden()
    shoot(phone, f"simulator-request-chosen-{lang}")

    phone.fill("#typed", str(older_number))
    phone.click("#type-form button[type=submit]")
    expect(phone.locator("#outcome")).to_have_text(t(lang, SCRIPT_TEXT["outcomes"]["approve"]))
    expect(phone.locator("#outcome")).to_be_focused()
    focus_is_not_on_an_answer(phone)
    shoot(phone, f"simulator-approved-{lang}")
    poll_now(older)
    expect(older.locator("#claims")).to_be_visible()
    assert {"mfa", "hwk"} <= set(claims_on(older)["amr"])

    # The newer one still waits, on its page and in the list, until the person answers it.
    expect(items).to_have_count(1, timeout=10_000)
    expect(phone.locator("#inbox-status")).to_have_text(t(lang, SCRIPT_TEXT["oneWaiting"]))
    expect(newer.locator("#number")).to_have_text(str(newer_number))
    expect(newer.locator("#claims")).to_have_count(0)
    items.nth(0).get_by_role("button", name=review(lang)).click()
    phone.click("#deny")
    expect(phone.locator("#outcome")).to_have_text(t(lang, SCRIPT_TEXT["outcomes"]["deny"]))
    expect(items).to_have_count(0)
    expect(phone.locator("#inbox-status")).to_have_text(t(lang, SCRIPT_TEXT["noRequests"]))


def test_a_request_that_ends_elsewhere_leaves_the_screen_and_says_so(
    context, lang, app_url, svc, stack
):
    """A request the sign-in page abandons closes on the phone, which says why."""
    username = f"gone-{lang}@phones.test"
    phone = enrolled_simulator(context, svc, stack, username)
    page, _ = start(context, app_url, username)
    simulator_polls_now(phone)
    item = phone.locator("#requests li")
    expect(item).to_have_count(1, timeout=10_000)
    item.get_by_role("button", name=review(lang)).click()
    expect(phone.locator("#request")).to_be_visible()

    with page.expect_response(re.compile(r".*/cancel$")):
        page.click("#use-password")  # the page abandons the phone request
    simulator_polls_now(phone)

    expect(phone.locator("#outcome")).to_have_text(
        t(lang, SCRIPT_TEXT["endedElsewhere"]), timeout=10_000
    )
    expect(phone.locator("#request")).to_be_hidden()
    focus_is_not_on_an_answer(phone)


@pytest.mark.parametrize("locale", ["nl-NL"])
def test_a_dutch_browser_gets_the_simulator_in_dutch_and_the_switch_changes_it(
    context, tenant, svc, stack
):
    """A Dutch phone's person reads Dutch: <html lang>, the page's words and the script's
    (data-text); the switch, named in each language itself, gives English and keeps the
    set-up link's organisation and code."""
    phone = simulator_for(context, svc, stack, "switch-nl@phones.test")
    code = phone.locator("#activation-code").input_value()

    expect(phone.locator("html")).to_have_attribute("lang", "nl")
    expect(phone).to_have_title("Telefoonsimulator")
    expect(phone.locator("#enrol-title")).to_have_text(t("nl", "Set up phone sign-in"))
    assert t("nl", "Set up phone sign-in") != "Set up phone sign-in"  # a Dutch catalog speaks
    expect(phone.locator("#enrol-form button[type=submit]")).to_have_text("Instellen")
    phone.fill("#new-pin", "12")
    phone.click("#enrol-form button[type=submit]")  # the script's sentence, in Dutch
    expect(phone.locator("#enrol-error")).to_have_text(t("nl", SCRIPT_TEXT["pinTooShort"]))
    expect(phone.locator(".languages [aria-current=true]")).to_have_text("Nederlands")
    shoot(phone, "simulator-enrol-nl")

    phone.get_by_role("link", name="English").click()

    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.locator("#enrol-title")).to_have_text("Set up phone sign-in")
    expect(phone.locator(".languages [aria-current=true]")).to_have_text("English")
    expect(phone.get_by_role("link", name="Nederlands")).to_have_attribute("hreflang", "nl")
    expect(phone.locator("#tenant")).to_have_value(TENANT)
    expect(phone.locator("#activation-code")).to_have_value(code)
    phone.fill("#new-pin", "12")
    phone.click("#enrol-form button[type=submit]")
    expect(phone.locator("#enrol-error")).to_have_text(SCRIPT_TEXT["pinTooShort"])


def proof_claims(proof: str) -> dict:
    payload = proof.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.mark.parametrize("locale", ["nl-NL"])
def test_enrolling_from_a_dutch_browser_sends_its_language(context, tenant, svc, stack):
    """The phone tells the service its language (the enrol proof's locale claim, the
    browser's navigator.language), so the service can speak it to this phone. Read from the
    request the page sends, and the service accepts it (a service that does not know the
    claim yet ignores it)."""
    username = "locale-nl@phones.test"
    phone = simulator_for(context, svc, stack, username)
    phone.fill("#new-pin", "2468")
    with phone.expect_request(lambda sent: sent.url.endswith("/device/enrol")) as enrol:
        phone.click("#enrol-form button[type=submit]")
    expect(phone.locator("#home-account")).to_have_text(username)  # the service accepted it
    assert proof_claims(enrol.value.post_data_json["proof"])["locale"] == "nl-NL"
