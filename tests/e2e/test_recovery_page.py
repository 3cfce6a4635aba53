"""A person who lost their phone and forgot their password signs in with a recovery code on the
hosted page, in real Chromium, in English and in Dutch (the browser's locale): the page asks
them to add a new method before it goes back to the app, and the relying party (Authlib)
shows an ID token that says a recovery code was used. Each state is checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chalicelib.domain import tokens
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from chalicelib.usecases import recovery_codes
from tools.admin import flows as admin

from . import relying_party
from .accessibility import assert_accessible
from .conftest import claims_on, shoot
from .test_browser import LOCALES, PASSWORD, focused_id, t, tab_to

pytestmark = pytest.mark.e2e


@pytest.fixture(params=list(LOCALES), scope="module")
def locale(request) -> str:
    return request.param


@pytest.fixture
def lang(locale) -> str:
    return LOCALES[locale]


@pytest.fixture
def page(browser, locale):
    context = browser.new_context(locale=locale)
    opened = context.new_page()
    yield opened
    context.close()


def look(page, name: str) -> None:
    shoot(page, f"{name}-{page.locator('html').get_attribute('lang')}")
    assert_accessible(page, name)


@pytest.fixture(scope="module")
def world(svc, stack):
    """Tenant "lost": Rosa (a password she forgot, no phone left) and her recovery codes;
    tenant "lost2" requires two steps."""
    server = relying_party.bind()
    clients = {}
    for tenant_id, policy in (("lost", Policy()), ("lost2", Policy(require_two_step=True))):
        admin.create_tenant(svc, tenant_id, f"{tenant_id.title()} Inc", policy)
        redirect = f"http://127.0.0.1:{server.port}/callback/{tenant_id}"
        client = admin.add_client(svc, tenant_id, f"{tenant_id}-rp", "Payroll", [redirect])
        clients[tenant_id] = {
            "issuer": stack.issuer(tenant_id),
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        }
        admin.create_account(svc, tenant_id, f"rosa@{tenant_id}.test", AccountKind.WORK)
        admin.set_password(svc, tenant_id, f"rosa@{tenant_id}.test", PASSWORD)
    codes = recovery_codes.generate(svc, "lost", "rosa@lost.test", actor="admin")
    with relying_party.serve(relying_party.build(clients), server) as rp_url:
        yield {"rp": rp_url, "codes": codes, "issuer": clients["lost"]["issuer"], "svc": svc}


def to_recovery_step(page, world, tenant: str = "lost") -> None:
    page.goto(f"{world['rp']}/login/{tenant}")
    page.fill("#username", f"rosa@{tenant}.test")
    page.click("#username-step button[type=submit]")
    expect(page.locator("#password-step")).to_be_visible()  # no phone: the password first
    page.click("#use-recovery")
    expect(page.locator("#recovery-heading")).to_be_focused()


def test_a_recovery_code_signs_in_asks_for_a_new_method_and_reaches_the_app(page, world, lang):
    """Needs the recovery step and the prompt after it (signin.js recovered): without them the
    person is sent straight back to the app with one code fewer and no word about adding a
    method. Errors are shown by code in the page's language, axe finds nothing on any state,
    and the token says what was proven (amr otp, acr recovery)."""
    codes = world["codes"]
    to_recovery_step(page, world)
    expect(page.locator("#recovery-user")).to_have_text("rosa@lost.test")
    look(page, "recovery")

    page.fill("#recovery-code", "ABCDE")  # too short: the page says what a code looks like
    page.click("#recovery-step button[type=submit]")
    expect(page.locator("#recovery-error")).to_have_text(
        t(lang, "Enter the 10 letters and digits of a recovery code, like ABCDE-FGHJK.")
    )
    expect(page.locator("#recovery-code")).to_be_focused()
    wrong = "00000-00000" if "00000-00000" not in codes else "11111-11111"
    page.fill("#recovery-code", wrong)
    page.click("#recovery-step button[type=submit]")
    expect(page.locator("#recovery-error")).to_have_text(
        t(lang, "That recovery code did not work. Check the username and the code: each code "
          "works once.")
    )  # fmt: skip
    look(page, "recovery-wrong")

    left = recovery_codes.remaining(world["svc"], "lost", "rosa@lost.test") - 1
    page.fill("#recovery-code", codes[left].lower())  # as typed from paper
    page.click("#recovery-step button[type=submit]")
    expect(page.locator("#recovered-heading")).to_be_focused()
    expect(page.locator("#recovered-heading")).to_have_text(
        t(lang, "Signed in with a recovery code")
    )
    expect(page.locator("#recovered-step")).to_contain_text(
        t(lang, "You used a recovery code; {count} are left.", count=left)
    )
    expect(page.locator("#recovered-step")).to_contain_text(
        t(lang, "Add a new sign-in method so you don't get locked out.")
    )
    expect(page.locator("#add-method")).to_have_attribute("href", f"{world['issuer']}/account")
    expect(page.locator("#cancel-line")).to_be_hidden()  # signed in: nothing to cancel
    look(page, "recovered")

    page.click("#continue-to-app")
    expect(page.locator("#claims")).to_be_visible()
    claims = claims_on(page)
    assert claims["amr"] == ["otp"]
    assert claims["acr"] == tokens.ACR_RECOVERY
    assert claims["iss"].endswith("/t/lost")


@pytest.mark.parametrize("locale", ["nl-NL"])  # no words checked: one language is enough
def test_a_keyboard_alone_uses_a_recovery_code_and_continues_to_the_app(page, world):
    """No mouse: Tab reaches "Use a recovery code" from the password, the step's heading
    takes the focus, Enter in the code field signs in, the prompt's heading takes the focus,
    and Tab reaches "Add a method now", then "Continue to the app"."""
    page.goto(f"{world['rp']}/login/lost")
    page.keyboard.type("rosa@lost.test")
    page.keyboard.press("Enter")
    expect(page.locator("#password")).to_be_focused()
    tab_to(page, "use-recovery")
    page.keyboard.press("Enter")
    expect(page.locator("#recovery-heading")).to_be_focused()
    tab_to(page, "recovery-code")
    left = recovery_codes.remaining(world["svc"], "lost", "rosa@lost.test") - 1
    page.keyboard.type(world["codes"][left])
    page.keyboard.press("Enter")
    expect(page.locator("#recovered-heading")).to_be_focused()
    assert tab_to(page, "continue-to-app") == ["add-method", "continue-to-app"]
    page.keyboard.press("Enter")
    expect(page.locator("#claims")).to_be_visible()
    assert claims_on(page)["acr"] == tokens.ACR_RECOVERY


def test_a_tenant_that_requires_two_steps_says_a_code_alone_is_not_enough(page, world, lang):
    """Needs recovery_codes.sign_in's policy check and its error shown by code: without them
    one factor would sign in where two are required, or the person would read nothing."""
    to_recovery_step(page, world, "lost2")
    page.fill("#recovery-code", "ABCDE-FGHJK")
    page.click("#recovery-step button[type=submit]")
    expect(page.locator("#recovery-error")).to_have_text(
        t(lang, "Your organisation requires two-step verification, so a recovery code alone "
          "cannot sign you in. Use your password, or ask your administrator for an activation "
          "code.")
    )  # fmt: skip
    look(page, "recovery-two-step")
    page.click("#recovery-to-password")
    expect(page.locator("#password")).to_be_focused()
    assert focused_id(page) == "password"


@pytest.mark.parametrize("locale", ["en-US"])  # no words checked: one language is enough
def test_add_a_method_now_opens_the_security_info_page_without_another_code(page, world):
    """Needs the security-info page to take the browser's fresh single sign-on session
    (max_age=300, not prompt=login): without it, "Add a method now" asks the person who has
    just used a recovery code to sign in again, and spends a second code."""
    svc = world["svc"]
    left = recovery_codes.remaining(svc, "lost", "rosa@lost.test")
    to_recovery_step(page, world)
    page.fill("#recovery-code", world["codes"][left - 1])
    page.click("#recovery-step button[type=submit]")
    expect(page.locator("#recovered-heading")).to_be_focused()
    page.click("#add-method")
    expect(page.locator("#phones-heading")).to_be_visible()
    assert page.url == f"{world['issuer']}/account"
    assert recovery_codes.remaining(svc, "lost", "rosa@lost.test") == left - 1
