"""A person signs in through the hosted page in real Chromium, to a relying party built with
Authlib, while a reference phone answers: in English and in Dutch (the browser's locale, so
its Accept-Language), each test whose checks depend on the language in both. Each state is
screenshot into build/screenshots and checked with axe-core (tests/e2e/accessibility.py)."""

from __future__ import annotations

import json
import logging
import re
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from chalicelib.domain import language
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from chalicelib.domain.totp import code_at, from_base32
from chalicelib.web import page_text
from tools.admin import flows as admin

from . import relying_party
from .accessibility import assert_accessible, violations
from .conftest import claims_on, poll_now, shoot, simulator_polls_now, t

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
LOCALES = {"en-US": "en", "nl-NL": "nl"}


# A test that checks the page's words, or a state of the page with axe-core, runs in each
# language; one that checks what the words do not change runs once, some in English (the
# `locale` fixture's) and some in Dutch, so that both languages stay exercised.
IN_EACH_LANGUAGE = pytest.mark.parametrize("locale", list(LOCALES))
IN_DUTCH = pytest.mark.parametrize("locale", ["nl-NL"])


@pytest.fixture
def locale() -> str:
    """The browser's locale: Chromium sends it as Accept-Language."""
    return "en-US"


@pytest.fixture
def lang(locale) -> str:
    return LOCALES[locale]


@pytest.fixture
def alice(lang) -> str:
    """Alice signs in a dozen times a minute here, in each language: one account for each,
    to stay under a push limit."""
    return f"alice-{lang}@web.test"


@pytest.fixture
def dave(lang) -> str:
    """Dave, at the two-step tenant: one account for each language, as a TOTP code is taken
    once and a test may run in both languages within one code's 30 seconds."""
    return f"dave-{lang}@strict.test"


@pytest.fixture
def page(browser, locale):
    """A tab in the locale, its clock installed (Playwright's, at real speed): a test can skip
    to the page's next poll (poll_now) instead of waiting for it."""
    context = browser.new_context(locale=locale)
    opened = context.new_page()
    opened.clock.install()
    yield opened
    context.close()


def look(page, name: str) -> None:
    """A state of the page: screenshot it (named with its language) and check it with axe."""
    shoot(page, f"{name}-{page.locator('html').get_attribute('lang')}")
    assert_accessible(page, name)


@pytest.fixture(scope="module")
def world(svc, stack, make_phone, clock):
    """Three tenants: phone sign-in on, two-step required, and phone sign-in off. Alice signs
    in a dozen times a minute here: more pushes than the default per-account limit."""
    clients, phones = {}, {}
    server = relying_party.bind()
    busy = {"pushes_per_minute": 20, "pushes_per_day": 1000}
    for tenant_id, policy in (
        ("web", Policy(**busy)),
        ("strict", Policy(require_two_step=True, **busy)),
        ("nophone", Policy(phone_signin=False)),
    ):
        admin.create_tenant(svc, tenant_id, f"{tenant_id.title()} Inc", policy)
        redirect = f"http://127.0.0.1:{server.port}/callback/{tenant_id}"
        client = admin.add_client(svc, tenant_id, f"{tenant_id}-rp", "Payroll", [redirect])
        clients[tenant_id] = {
            "issuer": stack.issuer(tenant_id),
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        }
    for tenant_id, username, with_phone in (
        ("web", "alice-en@web.test", True),
        ("web", "alice-nl@web.test", True),
        ("web", "carol@web.test", False),
        ("strict", "dave-en@strict.test", True),
        ("strict", "dave-nl@strict.test", True),
        ("nophone", "erin@nophone.test", False),
    ):
        admin.create_account(svc, tenant_id, username, AccountKind.WORK)
        admin.set_password(svc, tenant_id, username, PASSWORD)
        if with_phone:
            phone = make_phone(tenant_id)
            phone.enrol(admin.issue_activation_code(svc, tenant_id, username)["activation_code"])
            phones[username] = phone
    app = relying_party.build(clients)
    with relying_party.serve(app, server) as rp_url:
        yield {"rp": rp_url, "phones": phones, "clock": clock}


def enter_username(
    page, world, tenant: str, username: str, look_at: str = "", query: str = ""
) -> None:
    page.goto(f"{world['rp']}/login/{tenant}{query}")
    expect(page.locator("#username")).to_be_focused()
    if look_at:
        look(page, look_at)
    page.fill("#username", username)
    page.click("#username-step button[type=submit]")


def shown_number(page) -> int:
    expect(page.locator("#number-step")).to_be_visible()
    expect(page.locator("#number")).to_have_text(re.compile(r"^\d\d$"))
    return int(page.locator("#number").inner_text())


@IN_EACH_LANGUAGE
def test_phone_sign_in_reaches_the_app_with_a_verified_two_step_id_token(page, world, lang, alice):
    enter_username(page, world, "web", alice, look_at="username")
    number = shown_number(page)
    expect(page.locator("#status")).to_have_text(t(lang, "Waiting for your phone…"))
    look(page, "number-page")
    phone = world["phones"][alice]
    waiting = phone.wait_for_signin(number)
    assert waiting["app"] == "Payroll"
    assert phone.answer(waiting["signin_id"], "approve", number) == {"status": "approved"}
    poll_now(page)
    expect(page.locator("#claims")).to_be_visible()
    claims = claims_on(page)
    shoot(page, f"signed-in-{lang}")
    assert {"mfa", "hwk"} <= set(claims["amr"])
    assert claims["aud"] == "web-rp" and claims["iss"].endswith("/t/web")


@IN_EACH_LANGUAGE
def test_denied_on_the_phone(page, world, lang, alice):
    enter_username(page, world, "web", alice)
    number = shown_number(page)
    phone = world["phones"][alice]
    phone.answer(phone.wait_for_signin(number)["signin_id"], "deny")
    poll_now(page)
    expect(page.locator("#status")).to_have_text(t(lang, "The sign-in was denied on your phone."))
    expect(page.locator("#resend")).to_be_visible()
    look(page, "denied")


@IN_EACH_LANGUAGE
def test_wrong_number_stops_the_sign_in(page, world, lang, alice):
    enter_username(page, world, "web", alice)
    number = shown_number(page)
    phone = world["phones"][alice]
    waiting = phone.wait_for_signin(number)
    phone.answer(waiting["signin_id"], "approve", 10 + (number - 9) % 90)  # another number
    poll_now(page)
    expect(page.locator("#status")).to_have_text(
        t(lang, "That wasn't the number shown here, so the sign-in was stopped.")
    )
    look(page, "wrong-number")


@IN_EACH_LANGUAGE
def test_expired_sign_in(page, world, lang, alice):
    enter_username(page, world, "web", alice)
    shown_number(page)
    world["phones"][alice].wait_for_signin()
    world["clock"].offset += 700  # past the longest sign-in lifetime
    try:
        poll_now(page)
        expect(page.locator("#status")).to_have_text(
            t(lang, "The request expired before it was approved."), timeout=10_000
        )
        expect(page.locator("#number-heading")).to_have_text(t(lang, "Request expired"))
        expect(page.locator("#number")).to_be_hidden()
        look(page, "expired")
    finally:
        world["clock"].offset -= 700


@IN_EACH_LANGUAGE
def test_password_fallback_then_remembered_then_use_an_app_instead(page, world, alice):
    enter_username(page, world, "web", alice)
    shown_number(page)
    page.click("#use-password")
    expect(page.locator("#password")).to_be_focused()
    look(page, "password")
    page.fill("#password", PASSWORD)
    page.click("#password-step button[type=submit]")
    expect(page.locator("#claims")).to_be_visible()
    assert claims_on(page)["amr"] == ["pwd"]

    # Next time (the app asks for a new sign-in: prompt=login), the same browser is offered
    # the password first.
    enter_username(page, world, "web", alice, query="?prompt=login")
    expect(page.locator("#password-step")).to_be_visible()
    expect(page.locator("#number-step")).to_be_hidden()
    # "Use an app instead" goes back to the phone.
    page.click("#use-app")
    number = shown_number(page)
    phone = world["phones"][alice]
    phone.answer(phone.wait_for_signin(number)["signin_id"], "approve", number)
    poll_now(page)
    expect(page.locator("#claims")).to_be_visible()
    assert "hwk" in claims_on(page)["amr"]


@IN_EACH_LANGUAGE
def test_wrong_password_is_refused_without_saying_which_part_was_wrong(page, world, lang):
    enter_username(page, world, "web", "nobody@web.test")
    expect(page.locator("#password-step")).to_be_visible()  # no phone: straight to password
    page.fill("#password", "not the password")
    page.click("#password-step button[type=submit]")
    expect(page.locator("#password-error")).to_have_text(
        t(lang, "The username or password is incorrect.")
    )
    look(page, "password-wrong")


@IN_DUTCH
def test_account_without_a_phone_goes_straight_to_the_password(page, world):
    enter_username(page, world, "web", "carol@web.test")
    expect(page.locator("#password-step")).to_be_visible()
    page.fill("#password", PASSWORD)
    page.click("#password-step button[type=submit]")
    expect(page.locator("#claims")).to_be_visible()
    assert claims_on(page)["amr"] == ["pwd"]


@IN_EACH_LANGUAGE
def test_two_step_tenant_takes_a_totp_code_after_the_password(page, world, lang, dave):
    enter_username(page, world, "strict", dave)
    page.click("#use-password")
    page.fill("#password", PASSWORD)
    page.click("#password-step button[type=submit]")
    expect(page.locator("#number-heading")).to_have_text(
        t(lang, "One more step: approve on your phone")
    )
    page.click("#use-code")
    expect(page.locator("#code")).to_be_focused()
    look(page, "second-step-code")
    phone = world["phones"][dave]
    page.fill("#code", code_at(from_base32(phone.totp_secret), world["clock"]()))
    page.click("#code-step button[type=submit]")
    expect(page.locator("#claims")).to_be_visible()
    assert claims_on(page)["amr"] == ["pwd", "mfa", "otp"]


def test_two_step_tenant_takes_a_phone_approval_after_the_password(page, world, lang, dave):
    """In English: the TOTP code's test above checks this step's heading in each language."""
    enter_username(page, world, "strict", dave)
    page.click("#use-password")
    page.fill("#password", PASSWORD)
    page.click("#password-step button[type=submit]")
    expect(page.locator("#number-heading")).to_have_text(
        t(lang, "One more step: approve on your phone")
    )
    number = shown_number(page)
    phone = world["phones"][dave]
    # The phone sign-in the username step started was cancelled when the password was chosen.
    waiting = phone.wait_for_signin(number)
    assert [s["signin_id"] for s in phone.api.pending(phone.key)[1]["signins"]] == [
        waiting["signin_id"]
    ]
    phone.answer(waiting["signin_id"], "approve", number)
    poll_now(page)
    expect(page.locator("#claims")).to_be_visible()
    assert claims_on(page)["amr"] == ["pwd", "mfa", "hwk", "user"]


@IN_EACH_LANGUAGE
def test_phone_sign_in_disabled_by_policy_goes_to_the_password(page, world):
    enter_username(page, world, "nophone", "erin@nophone.test")
    expect(page.locator("#password-step")).to_be_visible()
    expect(page.locator("#use-app-line")).to_be_hidden()
    look(page, "policy-password-only")
    page.fill("#password", PASSWORD)
    page.click("#password-step button[type=submit]")
    expect(page.locator("#claims")).to_be_visible()
    assert claims_on(page)["amr"] == ["pwd"]


def simulator(context, svc, stack, username: str):
    """A new account at tenant web, and a tab of the phone simulator enrolled for it (it
    focuses the PIN on opening with a code): the tab, on its home screen."""
    admin.create_account(svc, "web", username, AccountKind.WORK)
    code = admin.issue_activation_code(svc, "web", username)["activation_code"]
    phone = context.new_page()
    phone.goto(f"{stack.api_url}/phone?tenant=web&code={code}")
    expect(phone.locator("#new-pin")).to_be_focused()
    phone.fill("#new-pin", "2468")
    phone.click("#enrol-form button[type=submit]")
    expect(phone.locator("#home-account")).to_have_text(username)
    return phone


def test_two_tabs_and_nothing_else_the_phone_simulator_enrols_and_approves(
    browser, world, svc, stack, page, lang
):
    """The demo's promise: one tab signs in, a second tab plays the phone (here in English:
    tests/e2e/test_simulator.py speaks to it in both languages)."""
    context = browser.new_context()
    context.clock.install()
    try:
        phone = simulator(context, svc, stack, f"sim-{lang}@web.test")
        expect(phone.locator("#totp-code")).to_have_text(re.compile(r"^\d{6}$"))
        shoot(phone, f"simulator-home-{lang}")

        signin = page
        enter_username(signin, world, "web", f"sim-{lang}@web.test")
        number = shown_number(signin)
        simulator_polls_now(phone)
        review = phone.get_by_role("button", name=re.compile("^Review"))  # chosen from a list
        expect(review).to_be_visible(timeout=10_000)
        review.click()
        expect(phone.locator("#request-app")).to_have_text("Payroll")
        shoot(phone, f"simulator-request-{lang}")
        expect(phone.locator("#request-title")).to_be_focused()  # never the number (Enter)
        phone.fill("#typed", str(number))
        phone.click("#type-form button[type=submit]")
        expect(phone.locator("#outcome")).to_be_visible()
        poll_now(signin)
        expect(signin.locator("#claims")).to_be_visible()
        assert {"mfa", "hwk"} <= set(claims_on(signin)["amr"])
    finally:
        context.close()


@IN_EACH_LANGUAGE
def test_a_held_sign_in_is_approved_by_entering_its_number_in_the_simulator(
    browser, world, svc, stack, clock, page, lang
):
    """When no notification may be sent (here: phone sign-in locked after a fraud report),
    the page says so and shows six digits; the person enters them in the app, which finds
    the request and approves it."""
    context = browser.new_context()
    try:
        username = f"held-{lang}@web.test"
        phone = simulator(context, svc, stack, username)
        now = int(clock())
        svc.accounts.lock_phone("web", username, now + 900, now)

        signin = page
        enter_username(signin, world, "web", username)
        expect(signin.locator("#number-heading")).to_have_text(
            t(lang, "Open the app on your phone")
        )
        expect(signin.locator("#number")).to_have_text(re.compile(r"^\d{6}$"))
        intro = page_text.SCRIPT_TEXT["introHeld"]
        expect(signin.locator("#number-intro")).to_have_text(t(lang, intro))
        look(signin, "held")
        phone.fill("#find-number", signin.locator("#number").inner_text())
        phone.click("#find-form button[type=submit]")
        expect(phone.locator("#outcome")).to_be_visible()
        poll_now(signin)
        expect(signin.locator("#claims")).to_be_visible()
        assert {"mfa", "hwk"} <= set(claims_on(signin)["amr"])
    finally:
        context.close()


def page_state(page) -> str:
    return page.locator("#signin").get_attribute("data-state")


def back_at_the_app(page, state: str) -> dict:
    """The app's callback got an error: the query the page sent the browser back with."""
    expect(page.locator("#error")).to_be_visible()
    query = dict(parse_qsl(urlsplit(page.url).query))
    assert query["state"] == state and query["iss"].endswith("/t/web")
    return query


@IN_DUTCH
def test_cancel_on_the_number_step_ends_the_sign_in_and_tells_the_app(page, world, alice):
    """OpenID Connect Core 3.1.2.6: access_denied with the app's state (and iss, RFC 9207)."""
    enter_username(page, world, "web", alice)
    number = shown_number(page)
    phone = world["phones"][alice]
    waiting = phone.wait_for_signin(number)
    state = page_state(page)
    page.click("#cancel")
    assert back_at_the_app(page, state)["error"] == "access_denied"
    expect(page.locator("#error")).to_contain_text("access_denied")
    listed = [s["signin_id"] for s in phone.api.pending(phone.key)[1]["signins"]]
    assert waiting["signin_id"] not in listed  # the phone stopped listing it


@pytest.mark.parametrize("step", ["username", "password"])
def test_cancel_on_the_username_and_password_steps_goes_back_to_the_app(page, world, step):
    page.goto(f"{world['rp']}/login/web")
    if step == "password":
        page.fill("#username", "carol@web.test")
        page.click("#username-step button[type=submit]")
        expect(page.locator("#password-step")).to_be_visible()
    expect(page.locator("#cancel")).to_be_visible()
    state = page_state(page)
    page.click("#cancel")
    assert back_at_the_app(page, state)["error"] == "access_denied"


@IN_EACH_LANGUAGE
def test_after_a_deny_the_person_goes_back_to_the_app_the_same_way(page, world, lang, alice):
    enter_username(page, world, "web", alice)
    number = shown_number(page)
    phone = world["phones"][alice]
    phone.answer(phone.wait_for_signin(number)["signin_id"], "deny")
    poll_now(page)
    expect(page.locator("#status")).to_have_text(t(lang, "The sign-in was denied on your phone."))
    expect(page.locator("#cancel")).to_have_accessible_name(
        t(lang, "Go back to {app_name}", app_name="Payroll")
    )
    state = page_state(page)
    page.click("#cancel")
    assert back_at_the_app(page, state)["error"] == "access_denied"


def test_the_number_step_names_the_account_and_not_you_goes_back(page, world, alice):
    enter_username(page, world, "web", alice)
    number = shown_number(page)
    expect(page.locator("#number-user")).to_have_text(alice)
    phone = world["phones"][alice]
    waiting = phone.wait_for_signin(number)
    page.click("#number-change-user")
    expect(page.locator("#username")).to_be_focused()
    expect(page.locator("#number-step")).to_be_hidden()
    deadline = time.monotonic() + 5
    while waiting["signin_id"] in [
        s["signin_id"] for s in phone.api.pending(phone.key)[1]["signins"]
    ]:
        assert time.monotonic() < deadline, "the phone still lists the abandoned sign-in"
        time.sleep(0.2)


@pytest.mark.parametrize(
    "answer, heading",
    [("deny", "Sign-in denied"), ("wrong", "Sign-in stopped"), ("report_fraud", "Sign-in blocked")],
)
@IN_EACH_LANGUAGE
def test_an_ended_sign_in_says_what_happened_and_what_next(
    page, world, svc, make_phone, answer, heading, lang
):
    """Each its own account: a fraud report pauses phone sign-in for the one reported."""
    heading = t(lang, heading)
    username = f"ended-{answer}-{lang}@web.test"
    admin.create_account(svc, "web", username, AccountKind.WORK)
    phone = make_phone("web")
    phone.enrol(admin.issue_activation_code(svc, "web", username)["activation_code"])
    enter_username(page, world, "web", username)
    number = shown_number(page)
    signin_id = phone.wait_for_signin(number)["signin_id"]
    if answer == "wrong":
        phone.answer(signin_id, "approve", 10 + (number - 9) % 90)
    else:
        phone.answer(signin_id, answer)
    poll_now(page)
    expect(page.locator("#number-heading")).to_have_text(heading)
    expect(page.locator("#number")).to_be_hidden()
    expect(page.locator("#countdown")).to_have_text("")
    outcome = {"deny": "denied", "wrong": "wrong_number", "report_fraud": "fraud_reported"}[answer]
    hint = page_text.SCRIPT_TEXT["ended"][outcome]["hint"]
    expect(page.locator("#number-intro")).to_have_text(t(lang, hint))
    again = page.get_by_role("button", name=t(lang, "Try again"))
    expect(again).to_be_visible()
    card, button = page.locator("#signin").bounding_box(), again.bounding_box()
    assert card["x"] <= button["x"] and button["x"] + button["width"] <= card["x"] + card["width"]
    look(page, f"ended-{answer}")
    again.click()
    expect(page.locator("#number")).to_have_text(re.compile(r"^\d+$"))  # after fraud: held
    expect(page.locator("#number-heading")).not_to_have_text(heading)
    expect(page.locator("#resend")).to_be_hidden()


NO_PHONE = "Your phone can't be asked this time, so sign in with your password."


@pytest.mark.parametrize("username", ["nobody@web.test", "carol@web.test", "alice@web.test"])
@IN_EACH_LANGUAGE
def test_when_the_phone_cannot_be_asked_one_sentence_says_so_whatever_the_cause(
    page, world, username, lang
):
    """No such account, no phone, or (alice, here made to hit it) a limit: the same sentence."""
    if username == "alice@web.test":
        answer = '{"error":"too_many_attempts","error_description":"Too many sign-in attempts."}'
        page.route(
            re.compile(r".*/t/web/signin$"),
            lambda route: route.fulfill(status=429, body=answer, content_type="application/json"),
        )
    enter_username(page, world, "web", username)
    expect(page.locator("#password-step")).to_be_visible()
    expect(page.locator("#no-phone-note")).to_have_text(t(lang, NO_PHONE))
    expect(page.locator("#password-error")).to_be_hidden()
    look(page, "no-phone")
    page.click("#change-user")
    page.fill("#username", username)
    page.click("#username-step button[type=submit]")
    expect(page.locator("#no-phone-note")).to_have_text(t(lang, NO_PHONE))


@IN_DUTCH
def test_choosing_the_password_shows_no_such_sentence(page, world, alice):
    enter_username(page, world, "web", alice)
    shown_number(page)
    page.click("#use-password")
    expect(page.locator("#password-step")).to_be_visible()
    expect(page.locator("#no-phone-note")).to_be_hidden()


def phone_lists(phone, signin_id: str) -> bool:
    return signin_id in [s["signin_id"] for s in phone.api.pending(phone.key)[1]["signins"]]


@pytest.mark.parametrize("leave", ["reload", "away"])
@IN_DUTCH
def test_leaving_or_reloading_the_page_cancels_its_waiting_sign_in(
    page, world, leave, caplog, alice
):
    """navigator.sendBeacon on pagehide: a JSON Blob, so the cancel route takes it, Origin
    and all (the route refuses another site's Origin)."""
    caplog.set_level(logging.INFO, logger="phonesignin")
    enter_username(page, world, "web", alice)
    number = shown_number(page)
    phone = world["phones"][alice]
    signin_id = phone.wait_for_signin(number)["signin_id"]
    if leave == "reload":
        page.reload()
        expect(page.locator("#username")).to_be_focused()
    else:
        page.goto(f"{world['rp']}/nowhere")
    deadline = time.monotonic() + 5
    while phone_lists(phone, signin_id):
        assert time.monotonic() < deadline, "the phone still lists the sign-in the page left"
        time.sleep(0.2)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "phonesignin"]
    assert [x["status"] for x in lines if x["view"] == "cancel_signin"] == [200]


@IN_EACH_LANGUAGE
def test_screen_readers_hear_the_number_and_are_warned_before_it_expires(page, world, lang, alice):
    enter_username(page, world, "web", alice)
    number = shown_number(page)
    announce = page.locator("#announce")
    expect(announce).to_have_attribute("aria-live", "assertive")
    expect(announce).to_have_text(
        t(lang, "Your number is {number}. Enter it on your phone.", number=" ".join(str(number)))
    )
    page.clock.fast_forward("01:35")  # of the 120 seconds a sign-in lasts by default
    expect(announce).to_have_text(
        t(lang, "Less than {seconds} seconds left to answer on your phone.", seconds=30)
    )
    page.click("#cancel")  # tidy: the phone stops listing it


def test_the_password_form_carries_the_username_for_password_managers(page, world):
    enter_username(page, world, "web", "carol@web.test")
    hidden = page.locator("#password-step input[autocomplete=username]")
    expect(hidden).to_have_value("carol@web.test")
    expect(hidden).to_be_hidden()


@IN_EACH_LANGUAGE
def test_without_javascript_the_page_says_so_and_never_puts_the_username_in_a_url(
    browser, world, locale, lang
):
    context = browser.new_context(java_script_enabled=False, locale=locale)
    try:
        page = context.new_page()
        page.goto(f"{world['rp']}/login/web")
        needs_js = (
            "This sign-in page needs JavaScript. Turn on JavaScript in your browser, or use "
            "another browser, then reload this page."
        )
        expect(page.locator("#needs-js")).to_have_text(t(lang, needs_js))
        expect(page.locator("#needs-js")).to_be_visible()
        expect(page.locator("#username")).to_be_hidden()
        for form in ("#username-step", "#password-step", "#code-step"):
            assert page.locator(form).get_attribute("method") == "post"
    finally:
        context.close()


@IN_EACH_LANGUAGE
def test_an_error_page_uses_plain_words_and_shows_a_request_id(page, stack, caplog, lang):
    caplog.set_level(logging.INFO, logger="phonesignin")
    response = page.goto(f"{stack.issuer('web')}/authorize?client_id=nobody&response_type=code")
    assert response.status == 400
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_text(t(lang, "We can't sign you in from here"))
    plain = (
        "The link that brought you here doesn't work for signing in. Go back to the app or "
        "website you came from and sign in from there again."
    )
    expect(page.get_by_role("alert")).to_have_text(t(lang, plain))
    look(page, "error-page")
    request_id = page.locator("#request-id").inner_text()
    assert re.fullmatch(r"[0-9a-f-]{8,}", request_id)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "phonesignin"]
    assert request_id in [x["request_id"] for x in lines if x["view"] == "authorize"]


@IN_EACH_LANGUAGE
def test_the_root_and_the_favicon_answer_without_a_console_error(page, stack, world, lang):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    response = page.goto(f"{stack.api_url}/")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text(t(lang, "Phone sign-in"))
    look(page, "home")
    assert page.request.get(f"{stack.api_url}/favicon.ico").status == 204
    enter_username(page, world, "web", "carol@web.test")
    expect(page.locator("#password-step")).to_be_visible()
    page.wait_for_timeout(500)  # the browser's own favicon request
    assert problems == []


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_to(page, element_id: str, most: int = 12) -> list[str]:
    """Tab until the element has the focus; the ids passed on the way."""
    passed = []
    for _ in range(most):
        page.keyboard.press("Tab")
        passed.append(focused_id(page))
        if passed[-1] == element_id:
            return passed
    raise AssertionError(f"Tab never reached #{element_id}: {passed}")


@IN_DUTCH
def test_a_keyboard_alone_signs_in_by_phone_and_by_password(page, world, lang, alice):
    """No mouse: the username has the focus, Enter starts the phone sign-in, the heading takes
    the focus (a screen reader reads the new step), Tab reaches "Use your password instead",
    the password field takes the focus, Enter signs in. Then a phone approval, by keyboard
    on the page too."""
    page.goto(f"{world['rp']}/login/web")
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type(alice)
    page.keyboard.press("Enter")
    shown_number(page)
    expect(page.locator("#number-heading")).to_be_focused()
    passed = tab_to(page, "use-password")
    assert passed[0] == "number-change-user", passed  # "Not you?" first, then the way out
    page.keyboard.press("Enter")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#claims")).to_be_visible()
    assert claims_on(page)["amr"] == ["pwd"]

    # A new sign-in (prompt=login, else the browser's session signs in): password first now.
    page.goto(f"{world['rp']}/login/web?prompt=login")
    page.keyboard.type(alice)
    page.keyboard.press("Enter")
    expect(page.locator("#password")).to_be_focused()
    tab_to(page, "use-app")
    page.keyboard.press("Enter")
    number = shown_number(page)
    expect(page.locator("#number-heading")).to_be_focused()
    phone = world["phones"][alice]
    phone.answer(phone.wait_for_signin(number)["signin_id"], "approve", number)
    poll_now(page)
    expect(page.locator("#claims")).to_be_visible()
    assert "hwk" in claims_on(page)["amr"]


@IN_EACH_LANGUAGE
def test_the_page_speaks_the_browsers_language_and_its_switch_changes_it(page, world, lang):
    """Accept-Language picks the language and <html lang> says it; the switch names each other
    language in itself, keeps the app's request (its ui_locales parameter changes, nothing
    else), is reached by keyboard, and the sign-in works in the language chosen."""
    other = "en" if lang == "nl" else "nl"
    page.goto(f"{world['rp']}/login/web")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("label[for=username]")).to_have_text(t(lang, "Email or username"))
    before = dict(parse_qsl(urlsplit(page.url).query))
    link = page.locator(f".languages a[hreflang={other}]")
    expect(link).to_have_text(language.name_of(other))
    expect(page.locator(".languages [aria-current=true]")).to_have_text(language.name_of(lang))
    expect(page.locator(".languages")).to_have_attribute("aria-label", t(lang, "Language"))

    page.keyboard.press("Shift+Tab")  # the switch comes before the username
    assert page.evaluate("document.activeElement.getAttribute('hreflang')") == other
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", other)
    after = dict(parse_qsl(urlsplit(page.url).query))
    assert after == {**before, "ui_locales": other}
    expect(page.locator("label[for=username]")).to_have_text(t(other, "Email or username"))
    page.fill("#username", "carol@web.test")
    page.click("#username-step button[type=submit]")
    expect(page.locator("#password-heading")).to_have_text(t(other, "Enter your password"))
    page.fill("#password", PASSWORD)
    page.click("#password-step button[type=submit]")
    expect(page.locator("#claims")).to_be_visible()
    assert after["state"] == dict(parse_qsl(urlsplit(page.url).query))["state"]


@IN_EACH_LANGUAGE
def test_the_apps_ui_locales_wins_over_the_browsers_language(page, world, lang):
    """OpenID Connect Core 3.1.2.1: ui_locales, in order of preference; a language the service
    does not offer is passed over."""
    other = "en" if lang == "nl" else "nl"
    page.goto(f"{world['rp']}/login/web")
    asked = dict(parse_qsl(urlsplit(page.url).query)) | {"ui_locales": f"fr-CA {other}-XX"}
    page.goto(page.url.split("?")[0] + "?" + urlencode(asked))
    expect(page.locator("html")).to_have_attribute("lang", other)
    expect(page.locator("#username-step button[type=submit]")).to_have_text(t(other, "Next"))


def test_axe_finds_what_it_is_here_to_find(page):
    """The accessibility check can fail: a field without a label and an image without a text
    alternative are violations to it."""
    page.set_content('<html lang="en"><title>t</title><main><input><img src="x.png"></main>')
    found = {rule["id"] for rule in violations(page)}
    assert {"label", "image-alt"} <= found


@IN_EACH_LANGUAGE
def test_an_approved_sign_in_greys_its_number_while_the_app_takes_over(page, world, lang, alice):
    """Approved: the number stays, greyed, under "Approved" while the browser goes back to the
    app (here the app never answers, so the page can be seen in that state)."""
    # A 204 answer to a navigation leaves the page where it is.
    page.route(re.compile(r".*/callback/web\?.*"), lambda route: route.fulfill(status=204))
    enter_username(page, world, "web", alice)
    number = shown_number(page)
    phone = world["phones"][alice]
    phone.answer(phone.wait_for_signin(number)["signin_id"], "approve", number)
    poll_now(page)
    expect(page.locator("#number-heading")).to_have_text(t(lang, "Approved"))
    expect(page.locator("#status")).to_have_text(t(lang, "Approved. Signing you in…"))
    expect(page.locator("#number")).to_be_visible()
    expect(page.locator("#number")).to_have_class(re.compile(r"\bended\b"))
    expect(page.locator("#resend")).to_be_hidden()
    look(page, "approved")


def test_back_from_the_back_forward_cache_the_page_starts_over(page, world, alice):
    """A page restored from the back-forward cache (pageshow, persisted) cancelled its sign-in
    when it was left (pagehide): it shows the username step, not a dead number. The events are
    dispatched here: Chromium keeps no-store pages out of that cache, other browsers may not."""
    enter_username(page, world, "web", alice)
    number = shown_number(page)
    phone = world["phones"][alice]
    signin_id = phone.wait_for_signin(number)["signin_id"]
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: true}))")
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    expect(page.locator("#username")).to_be_focused()
    expect(page.locator("#number-step")).to_be_hidden()
    deadline = time.monotonic() + 5
    while phone_lists(phone, signin_id):
        assert time.monotonic() < deadline, "the phone still lists the sign-in the page left"
        time.sleep(0.2)
