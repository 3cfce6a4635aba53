"""The security-info page, /t/{tenant}/account: getting in (the service as its own relying
party), its session cookie, and the rules every change passes (session, CSRF, Origin)."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import pytest

from chalicelib.domain import account_sessions
from chalicelib.usecases import account_signin, code_grant
from tests.fixtures.account_page import (
    HOME,
    ISSUER,
    Browser,
    approved_code,
    error_of,
    query_of,
    signed_in,
)
from tests.fixtures.core import BASE_URL
from tools.admin import flows as admin


@pytest.fixture
def browser(api):
    return Browser(api)


@pytest.fixture
def sign_in(api, browser):
    def run(phone, username: str = "alice@acme.test", tenant_id: str = "acme"):
        return signed_in(api, browser, phone, username, tenant_id)

    return run


# --- Getting in -------------------------------------------------------------------------------


def test_without_a_session_the_page_sends_the_browser_to_sign_in_with_its_own_client(
    browser, tenant
):
    """Needs begin's request: the built-in public client, its callback, PKCE S256, state,
    nonce and max_age=300 (a session serves only that fresh), and a login cookie only this
    page's path gets."""
    response = browser.get(HOME)

    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(f"{ISSUER}/authorize?")
    request = query_of(location)
    assert request["client_id"] == "account"
    assert request["redirect_uri"] == f"{ISSUER}/account/callback"
    assert (request["response_type"], request["scope"], request["max_age"]) == (
        "code", "openid", "300",
    )  # fmt: skip
    assert "prompt" not in request
    assert request["code_challenge_method"] == "S256" and len(request["code_challenge"]) == 43
    assert len(request["state"]) >= 22 and len(request["nonce"]) >= 22
    (cookie,) = browser.set_cookies
    assert cookie.startswith(account_sessions.LOGIN_COOKIE + "=")
    for attribute in ("Path=/t/acme/account;", "HttpOnly", "SameSite=Lax", "Secure"):
        assert attribute in cookie


def test_the_built_in_client_works_at_authorize_and_no_other_redirect_does(api, tenant, browser):
    """Needs ActiveTenant.client's built-in client: every tenant's page can sign in, and only
    back to its own callback."""
    request = query_of(browser.get(HOME).headers["location"])

    page = api.http.get(f"/t/acme/authorize?{urlencode(request)}")
    assert page.status_code == 200
    assert "Sign in to Security info" in page.body.decode()

    elsewhere = {**request, "redirect_uri": "https://evil.test/account/callback"}
    refused = api.http.get(f"/t/acme/authorize?{urlencode(elsewhere)}")
    assert refused.status_code == 400


def test_a_signed_in_person_gets_a_short_strict_session_and_sees_their_phone(
    sign_in, browser, alice
):
    """Needs the callback's session cookie: HttpOnly, SameSite=Strict, Secure on https, the
    page's path only, ten minutes; and the login cookie spent."""
    page = sign_in(alice)

    assert "alice@acme.test" in page
    assert page.count('class="method"') == 1
    (session,) = [c for c in browser.history if c.startswith("psi_account=")]
    for attribute in ("Path=/t/acme/account;", "Max-Age=600", "HttpOnly", "SameSite=Strict"):
        assert attribute in session
    assert session.endswith("; Secure")
    assert any(c.startswith("psi_account_login=;") and "Max-Age=0" in c for c in browser.history)
    assert account_sessions.LOGIN_COOKIE not in browser.jar
    assert browser.get(HOME).status_code == 200  # the session holds: no new sign-in


def test_a_sign_in_older_than_five_minutes_opens_no_session(
    api, browser, alice, monkeypatch, snapshot
):
    """Needs finish's auth_time check (at most MAX_AUTH_AGE): the code's own minute is not
    what the page relies on."""
    redeem = code_grant.redeem_code

    def stale(*args, **kwargs):
        signin = redeem(*args, **kwargs)
        return replace(signin, decided_at=signin.decided_at - account_sessions.MAX_AUTH_AGE - 1)

    monkeypatch.setattr(account_signin.code_grant, "redeem_code", stale)
    request = query_of(browser.get(HOME).headers["location"])
    code = approved_code(api, alice, "alice@acme.test", "acme", request)

    back = browser.get(f"{HOME}/callback?{urlencode({'code': code, 'state': request['state']})}")

    assert back.status_code == 401 and error_of(back) == "login_required"
    assert account_sessions.SESSION_COOKIE not in browser.jar


def test_a_callback_with_another_browsers_state_is_refused(api, browser, alice):
    """Needs the state check against the login cookie: a code sent to someone else's browser
    (login CSRF) must not sign that browser in."""
    request = query_of(browser.get(HOME).headers["location"])
    code = approved_code(api, alice, "alice@acme.test", "acme", request)
    other = Browser(api)
    other.get(HOME)  # a login cookie of its own

    back = other.get(f"{HOME}/callback?{urlencode({'code': code, 'state': request['state']})}")

    assert back.status_code == 401 and error_of(back) == "login_required"
    assert account_sessions.SESSION_COOKIE not in other.jar


def test_a_password_alone_does_not_open_the_page_of_an_account_with_a_phone(
    api, browser, alice, svc
):
    """Needs finish's amr check: whoever stole a password must not add their own phone."""
    admin.set_password(svc, "acme", "alice@acme.test", "correct horse battery staple")
    request = query_of(browser.get(HOME).headers["location"])
    answer = api.http.post(
        "/t/acme/password",
        headers={"Content-Type": "application/json", "Origin": BASE_URL, "X-CSRF-Token": "t",
                 "Cookie": "psi_csrf=t"},
        body=__import__("json").dumps({
            "username": "alice@acme.test", "password": "correct horse battery staple",
            "code_challenge_method": "S256",
            **{k: request[k] for k in ("client_id", "nonce", "redirect_uri", "code_challenge")},
        }),
    )  # fmt: skip
    code = __import__("json").loads(answer.body)["code"]

    back = browser.get(f"{HOME}/callback?{urlencode({'code': code, 'state': request['state']})}")

    assert back.status_code == 403 and error_of(back) == "stronger_signin_required"
    assert account_sessions.SESSION_COOKIE not in browser.jar


def test_nobody_gets_tokens_for_the_built_in_client(api, alice, browser, token):
    """Needs the token endpoint's refusal: the page's codes are redeemed by the page alone."""
    request = query_of(browser.get(HOME).headers["location"])
    code = approved_code(api, alice, "alice@acme.test", "acme", request)

    status, body = token({
        "grant_type": "authorization_code", "code": code, "client_id": "account",
        "redirect_uri": request["redirect_uri"], "code_verifier": "x" * 43,
    })  # fmt: skip

    assert (status, body["error"]) == (400, "unauthorized_client")


def test_no_tenant_client_can_take_the_built_in_clients_id(svc, tenant):
    """Needs add_client's reserved ids: a tenant's own `account` client would receive the
    page's codes."""
    with pytest.raises(Exception, match="service's own"):
        admin.add_client(svc, "acme", "account", "Mine", ["https://app.acme.test/cb"])


@pytest.mark.parametrize(
    "query",
    [
        "",
        "code=x",
        "state=x",
        "code=x&state=x",
        "error=access_denied&state=STATE",
        "code=" + "A" * 100 + "&state=STATE",
        "code=%FF%FE&state=STATE",
        "code=a&code=b&state=STATE",
        "state=" + "s" * 600,
    ],
)
def test_a_callback_with_bad_input_is_a_clear_refusal_that_changes_nothing(
    browser, tenant, snapshot, query
):
    """Needs finish's checks before and around the redeem: whatever comes back to the
    callback, the answer is a 4xx with its code, never a 500, and nothing is written."""
    request = query_of(browser.get(HOME).headers["location"])
    before = snapshot()

    back = browser.get(f"{HOME}/callback?{query.replace('STATE', request['state'])}")

    assert 400 <= back.status_code < 500
    assert error_of(back) in ("login_required", "invalid_request")
    assert account_sessions.SESSION_COOKIE not in browser.jar
    assert snapshot() == before


def test_an_unknown_tenants_page_is_a_404_page(api, tenant):
    """Needs html_view: an unknown tenant is a clean 404 in the page's own words."""
    page = api.http.get("/t/nobody/account")

    assert page.status_code == 404
    assert 'data-error="unknown_tenant"' in page.body.decode()
