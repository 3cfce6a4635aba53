"""The security-info page's list and changes: what a session may do, what refuses it (each
refusal changes nothing), adding a phone by its enrolment link, removing one, and the
last-method rule."""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest

from authenticator import cli
from chalicelib.domain import account_sessions, enrolment
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.metering import day_of
from chalicelib.domain.tenants import Policy
from chalicelib.usecases import recovery_codes
from tests.fixtures.account_page import HOME, Browser, csrf_of, error_of, signed_in
from tools.admin import flows as admin

PHONES = f"{HOME}/phones"


@pytest.fixture
def browser(api):
    return Browser(api)


@pytest.fixture
def alice_in(api, browser, enrolled):
    """Alice with one phone (push on), signed in to her page: (phone, the page's CSRF)."""
    phone, _ = enrolled(push_token="alice-push-1")
    page = signed_in(api, browser, phone)
    return phone, csrf_of(page)


def another_phone(make_phone, svc):
    """Another phone for Alice, enrolled with an administrator's code."""
    phone = make_phone()
    code = admin.issue_activation_code(svc, "acme", "alice@acme.test")["activation_code"]
    assert phone.enrol(code, push_token="alice-push-2")[0] == 200
    return phone


@pytest.fixture
def second_phone(alice_in, make_phone, svc):
    return another_phone(make_phone, svc)


def audit_events(svc, event: str) -> list:
    return [e for e in svc.audit.day("acme", day_of(svc.now())) if e.event == event]


def notices_of(phone) -> list[dict]:
    status, body = phone.pending()
    assert status == 200, body
    return body["notices"]


def link_on(page: str) -> str:
    found = re.search(r'id="link" type="text" readonly value="([^"]+)"', page)
    assert found, page[:500]
    return found[1].replace("&amp;", "&").replace("&#x27;", "'")


# --- The session rules: each refusal changes nothing ------------------------------------------


def test_a_session_of_one_tenant_is_useless_at_another(
    api, browser, alice_in, globex, enrolled, snapshot
):
    """Needs the tenant in the cookie's MAC, under the tenant's own key: a cookie of acme's
    page must not open or change globex's page for a person of the same name."""
    _, csrf = alice_in
    enrolled("alice@acme.test", tenant_id="globex")
    before = snapshot()

    page = browser.get("/t/globex/account")
    change = browser.post("/t/globex/account/phones", {"csrf": csrf})

    assert page.status_code == 302 and "/t/globex/authorize?" in page.headers["location"]
    assert change.status_code == 401 and error_of(change) == "login_required"
    assert snapshot() == before


def test_a_tampered_session_cookie_is_refused(browser, alice_in, snapshot):
    """Needs the cookie's MAC: a session naming someone else must not be accepted."""
    _, csrf = alice_in
    payload, mac = browser.jar[account_sessions.SESSION_COOKIE].split(".")
    fields = json.loads(account_sessions.secret_codes.b64url_decode(payload))
    forged = account_sessions.secret_codes.b64url(
        json.dumps({**fields, "username": "bob@acme.test"}).encode()
    )
    before = snapshot()
    for cookie in (f"{forged}.{mac}", f"{payload}.{mac[:-2]}AA", payload, "x"):
        browser.jar[account_sessions.SESSION_COOKIE] = cookie

        change = browser.post(PHONES, {"csrf": csrf})

        assert change.status_code == 401 and error_of(change) == "login_required", cookie
    assert snapshot() == before


def test_an_expired_session_is_refused(browser, alice_in, clock, snapshot):
    """Needs open_session's expiry check: the cookie's Max-Age is only the browser's word."""
    _, csrf = alice_in
    clock.advance(account_sessions.SESSION_SECONDS)
    before = snapshot()

    change = browser.post(PHONES, {"csrf": csrf})

    assert change.status_code == 401 and error_of(change) == "login_required"
    assert browser.get(HOME).status_code == 302  # back to signing in
    assert snapshot() == before


@pytest.mark.parametrize("csrf", [None, "", "not-the-token"])
def test_a_change_without_the_sessions_csrf_token_is_refused(browser, alice_in, snapshot, csrf):
    """Needs change()'s CSRF check: another site's form can carry the cookie, not the token."""
    before = snapshot()

    change = browser.post(PHONES, {} if csrf is None else {"csrf": csrf})

    assert change.status_code == 403 and error_of(change) == "cross_site_request"
    assert snapshot() == before


def test_the_token_may_come_in_the_header(browser, alice_in):
    """The CSRF token is accepted in X-CSRF-Token too (the page's script sends it there)."""
    _, csrf = alice_in

    change = browser.post(PHONES, {}, headers={"X-CSRF-Token": csrf})

    assert change.status_code == 200


@pytest.mark.parametrize("origin", [None, "https://evil.test", "http://signin.example.test"])
def test_a_change_without_the_exact_origin_is_refused(browser, alice_in, snapshot, origin):
    """Needs change()'s Origin check (present, and exactly the service's): a token leaked to
    another origin is still no use there."""
    _, csrf = alice_in
    before = snapshot()

    change = browser.post(PHONES, {"csrf": csrf}, origin=origin)

    assert change.status_code == 403 and error_of(change) == "cross_site_request"
    assert snapshot() == before


def test_a_disabled_accounts_session_stops_working(browser, alice_in, svc, snapshot):
    """Needs account_of on every request: the session cookie outlives an administrator's
    disable by up to ten minutes otherwise."""
    _, csrf = alice_in
    admin.set_account_disabled(svc, "acme", "alice@acme.test", True)
    before = snapshot()

    change = browser.post(PHONES, {"csrf": csrf})

    assert change.status_code == 401 and error_of(change) == "login_required"
    assert browser.get(HOME).status_code == 302
    assert snapshot() == before


# --- The list ---------------------------------------------------------------------------------


def test_the_page_lists_each_phone_and_warns_when_only_one_method_is_left(
    api, browser, enrolled, make_phone, svc
):
    """Needs overview: the person sees their methods, and is told when losing one would leave
    only the password."""
    enrolled(push_token="alice-push-1")
    page = signed_in(api, browser, another_phone(make_phone, svc))

    assert page.count('class="method"') == 2
    assert "Last used" in page and "Not used yet" in page  # the second phone signed in
    assert "Notifications on" in page
    assert 'id="one-method"' not in page
    assert 'id="recovery-left"' in page and "Recovery codes left: 0" in page

    recovery_codes.generate(svc, "acme", "alice@acme.test", actor="admin")
    assert "Recovery codes left: 10" in browser.get(HOME).body.decode()


def test_with_one_phone_the_page_warns_and_offers_no_remove(browser, alice_in):
    """Needs the page to follow the last-method rule: no button that can only fail, and a
    warning that one lost phone leaves only the password."""
    page = browser.get(HOME).body.decode()

    assert 'id="one-method"' in page
    assert "/remove" not in page


# --- Adding a phone by its link ----------------------------------------------------------------


@pytest.fixture
def reference_phone(post, tmp_path, monkeypatch):
    """The reference phone's command line (python -m authenticator) talking to the test app."""
    monkeypatch.setattr(cli, "http_transport", lambda _base: post)

    def run(*argv: str, state: str = "phone.json") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(["--state", str(tmp_path / state), "--pin", "2468", *argv])
        return status, out.getvalue(), err.getvalue()

    return run


def test_the_reference_phone_enrols_from_the_pages_link(browser, alice_in, reference_phone, svc):
    """Needs add_phone's code and link, and the phone's --link: the QR code's link is all a
    phone needs to join the account."""
    phone, csrf = alice_in
    page = browser.post(PHONES, {"csrf": csrf})
    assert page.status_code == 200
    text = page.body.decode()
    link = link_on(text)
    assert link.startswith("https://signin.example.test/t/acme/enrol#code=")
    assert enrolment.parse_link(link).code in text  # the code as text too
    assert '<div class="qr" role="img"' in text and "<svg" in text

    status, out, err = reference_phone("enrol", "--link", link, "--no-push")

    assert status == 0, err
    assert json.loads(out)["enrolled"] == "alice@acme.test"
    assert len(svc.accounts.get("acme", "alice@acme.test").devices) == 2
    assert browser.get(HOME).body.decode().count('class="method"') == 2
    issued = audit_events(svc, "activation_code_issued")
    assert sorted(e.actor for e in issued) == ["admin", "self"]  # admin: the fixture
    kinds = {n["kind"] for n in notices_of(phone)}
    assert {"activation_code_issued", "device_enrolled"} <= kinds


def test_a_newer_link_revokes_the_older_one(browser, alice_in, reference_phone):
    """Needs activation.issue's newest-revokes-older: a link left on a screen stops working
    once another is made."""
    _, csrf = alice_in
    older = link_on(browser.post(PHONES, {"csrf": csrf}).body.decode())
    newer = link_on(browser.post(PHONES, {"csrf": csrf}).body.decode())

    status, _, err = reference_phone("enrol", "--link", older, "--no-push", state="a.json")
    assert status == 1 and "invalid_activation_code" in err
    assert reference_phone("enrol", "--link", newer, "--no-push", state="b.json")[0] == 0


def test_the_one_work_account_per_phone_rule_holds_through_the_link(
    browser, alice_in, globex, new_account, same_phone, make_phone
):
    """Needs enrol's installation claim: a phone that holds a work account elsewhere must not
    take a second one, however it got the code."""
    _, csrf = alice_in
    elsewhere = make_phone("globex")
    bob = new_account("bob@globex.test", AccountKind.WORK, "globex")
    assert elsewhere.enrol(bob["activation_code"])[0] == 200
    link = enrolment.parse_link(link_on(browser.post(PHONES, {"csrf": csrf}).body.decode()))

    status, body = same_phone(elsewhere).enrol(link.code)

    assert (status, body["error"]) == (409, "work_account_already_enrolled")


def test_the_phone_refuses_what_is_not_an_enrolment_link(reference_phone):
    """Needs the phone's parse_link: a link of another shape sends its code nowhere."""
    status, _, err = reference_phone("enrol", "--link", "https://evil.test/code=ABCD")

    assert status == 1 and "not an enrolment link" in err


def test_an_enrolment_link_opened_in_a_browser_says_to_use_the_app(api, tenant):
    """Needs GET {issuer}/enrol: the link's target exists, in the person's language, and
    reads nothing (the code stays in the fragment)."""
    page = api.http.get("/t/acme/enrol", headers={"Accept-Language": "nl"})

    assert page.status_code == 200
    assert "Open deze link met de authenticator-app" in page.body.decode()


# --- Removing a phone ---------------------------------------------------------------------------


def test_removing_a_phone_is_unregistering_it(
    browser, alice_in, second_phone, svc, endpoints, snapshot
):
    """Needs remove_phone to call device_api.remove_device: the record, the account's entry,
    the work-account claim and the SNS endpoint all go; the audit log and the other phone
    hear of it."""
    phone, csrf = alice_in
    arn = svc.devices.get("acme", second_phone.device_id).endpoint_arn
    assert arn in endpoints

    gone = browser.post(f"{PHONES}/{second_phone.device_id}/remove", {"csrf": csrf})

    assert gone.status_code == 303 and gone.headers["location"].startswith(HOME)
    assert svc.devices.get("acme", second_phone.device_id) is None
    assert second_phone.device_id not in svc.accounts.get("acme", "alice@acme.test").devices
    assert arn not in endpoints
    (removed,) = audit_events(svc, "device_removed")
    assert (removed.actor, removed.device) == ("self", second_phone.device_id)
    assert any(n["kind"] == "device_removed" for n in notices_of(phone))


def test_the_last_method_stays_unless_the_tenant_allows_password_only_accounts(
    browser, alice_in, svc, snapshot, endpoints
):
    """Needs the last-method rule both ways: by default a person cannot leave themselves
    with a password alone; a tenant that allows it lets them."""
    phone, csrf = alice_in
    before = snapshot()

    kept = browser.post(f"{PHONES}/{phone.device_id}/remove", {"csrf": csrf})

    assert kept.status_code == 409 and error_of(kept) == "last_method"
    assert snapshot() == before

    admin.set_policy(svc, "acme", Policy(password_only_accounts=True))
    assert f"{phone.device_id}/remove" in browser.get(HOME).body.decode()  # now offered
    gone = browser.post(f"{PHONES}/{phone.device_id}/remove", {"csrf": csrf})

    assert gone.status_code == 303
    assert svc.accounts.get("acme", "alice@acme.test").devices == {}
    assert "You have no phone or passkey" in browser.get(HOME).body.decode()


def test_another_persons_phone_cannot_be_removed(browser, alice_in, enrolled, svc, snapshot):
    """Needs remove_phone's ownership check: a device id is no capability."""
    _, csrf = alice_in
    bob, _ = enrolled("bob@acme.test")
    before = snapshot()

    refused = browser.post(f"{PHONES}/{bob.device_id}/remove", {"csrf": csrf})

    assert refused.status_code == 404 and error_of(refused) == "not_found"
    assert snapshot() == before


# --- Recovery codes -----------------------------------------------------------------------------


def test_new_recovery_codes_are_shown_once_and_replace_the_old_set(browser, alice_in, svc):
    """Needs the page's route to generate for the session's account: ten codes shown now
    and never again, the older set stopped, audited as the person's own act."""
    _, csrf = alice_in
    old = recovery_codes.generate(svc, "acme", "alice@acme.test", actor="admin")

    page = browser.post(f"{HOME}/recovery-codes", {"csrf": csrf})

    assert page.status_code == 200
    codes = re.findall(r'<code class="code">([^<]+)</code>', page.body.decode())
    assert len(codes) == 10 and not set(codes) & set(old)
    listed = browser.get(HOME).body.decode()
    assert "Recovery codes left: 10" in listed and codes[0] not in listed
    actors = sorted(e.actor for e in audit_events(svc, "recovery_codes_generated"))
    assert actors == ["admin", "self"]


def test_recovery_codes_need_the_sessions_token(browser, alice_in, svc, snapshot):
    """Needs change() on this route too: another site must not replace the person's codes."""
    before = snapshot()

    refused = browser.post(f"{HOME}/recovery-codes", {"csrf": "not-the-token"})

    assert refused.status_code == 403 and error_of(refused) == "cross_site_request"
    assert snapshot() == before


def test_a_two_step_tenant_offers_no_recovery_codes(browser, alice_in, svc):
    """A tenant that requires two steps refuses recovery codes at sign-in: the page does not
    offer to make codes that cannot be used."""
    admin.set_policy(svc, "acme", Policy(require_two_step=True))

    page = browser.get(HOME).body.decode()

    assert re.search(r'action="[^"]*/recovery-codes" hidden>', page)
