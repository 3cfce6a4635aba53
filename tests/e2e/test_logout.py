"""Logout in real Chromium: an Authlib relying party (tests/e2e/relying_party.py) signs a person
out with RP-Initiated Logout, the service ends the browser's single sign-on session, and every
app of that session gets a logout token at its back-channel endpoint on 127.0.0.1, which it
verifies against the JWKS. The confirmation page (no hint) in English and Dutch."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tools.admin import flows as admin

from . import relying_party
from .accessibility import assert_accessible
from .conftest import claims_on, t

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
APPS = ("portal", "wiki")
TENANT_NAME = "Bye Inc"


@pytest.fixture(scope="module")
def world(svc, stack):
    """Tenant `bye` with two apps of one relying party, each registered for logout: its
    signed-out page as post-logout URI and its back-channel endpoint. Alice has a password."""
    server = relying_party.bind()
    rp = f"http://127.0.0.1:{server.port}"
    admin.create_tenant(svc, "bye", TENANT_NAME, Policy())
    clients = {}
    for app in APPS:
        client = admin.add_client(
            svc, "bye", f"bye-{app}", app.title(), [f"{rp}/callback/{app}"],
            post_logout_redirect_uris=(f"{rp}/signed-out/{app}",),
            backchannel_logout_uri=f"{rp}/backchannel-logout/{app}",
        )  # fmt: skip
        clients[app] = {"issuer": stack.issuer("bye"), "client_id": client["client_id"],
                        "client_secret": client["client_secret"]}  # fmt: skip
    for username in ("alice-en@bye.test", "alice-nl@bye.test"):
        admin.create_account(svc, "bye", username, AccountKind.WORK)
        admin.set_password(svc, "bye", username, PASSWORD)
    app = relying_party.build(clients)
    with relying_party.serve(app, server) as rp_url:
        yield {"rp": rp_url, "tokens": app.config["LOGOUT_TOKENS"]}


@pytest.fixture(params=["en-US", "nl-NL"])
def localised(browser, request):
    """A page in a browser speaking English or Dutch (Accept-Language): (page, language)."""
    context = browser.new_context(locale=request.param)
    yield context.new_page(), request.param[:2]
    context.close()


def signed_in_to_both(page, world, username: str) -> str:
    """Alice signs in to the portal with her password, then the wiki through the session:
    the session's sid."""
    page.goto(f"{world['rp']}/login/portal")
    page.fill("#username", username)
    page.click("#username-step button[type=submit]")
    page.fill("#password", PASSWORD)
    page.click("#password-step button[type=submit]")
    expect(page.locator("#claims")).to_be_visible()
    sid = claims_on(page)["sid"]
    page.goto(f"{world['rp']}/login/wiki")
    expect(page.locator("#claims")).to_be_visible()
    assert claims_on(page)["sid"] == sid
    return sid


def tokens_for(world, sid: str, timeout: float = 5.0) -> dict[str, dict]:
    """The verified logout tokens the apps received for the session, by app."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = {name: claims for name, claims in world["tokens"] if claims["sid"] == sid}
        if len(found) == len(APPS):
            return found
        time.sleep(0.1)
    return {name: claims for name, claims in world["tokens"] if claims["sid"] == sid}


def assert_signed_out(page, world) -> None:
    """The session cookie is gone, and the wiki's prompt=none is login_required."""
    assert "psi_session" not in {c["name"] for c in page.context.cookies()}
    page.goto(f"{world['rp']}/login/wiki?prompt=none")
    expect(page.locator("#error")).to_contain_text("login_required")


def test_logout_with_the_id_token_ends_the_session_and_tells_both_apps(page, world):
    """The portal's logout link: straight back to its signed-out page with its state, no
    question asked; both apps' back-channel endpoints got a token for this session that
    verifies against the JWKS (the RP refuses any other)."""
    sid = signed_in_to_both(page, world, "alice-en@bye.test")
    page.goto(f"{world['rp']}/logout/portal")
    expect(page.locator("#state")).to_have_text("state ok")
    received = tokens_for(world, sid)
    assert set(received) == set(APPS)
    assert received["portal"]["aud"] == "bye-portal" and received["wiki"]["aud"] == "bye-wiki"
    assert received["portal"]["sub"] == received["wiki"]["sub"]
    assert_signed_out(page, world)


def test_without_the_id_token_the_person_confirms_in_their_language(localised, world):
    """No hint: "Sign out of Bye Inc?" in the browser's language, checked by axe; the button
    posts the form (with our Origin, under the page's same-origin referrer policy, and the
    CSRF token), the session ends, and the app's registered page follows with its state."""
    page, lang = localised
    sid = signed_in_to_both(page, world, f"alice-{lang}@bye.test")
    page.goto(f"{world['rp']}/logout/wiki?hint=no")
    heading = t(lang, "Sign out of {tenant_name}?", tenant_name=TENANT_NAME)
    expect(page.locator("h1")).to_have_text(heading)
    assert page.locator("html").get_attribute("lang") == lang
    assert_accessible(page, f"logout-confirm-{lang}")
    page.click("#confirm button[type=submit]")
    expect(page.locator("#state")).to_have_text("state ok")
    assert set(tokens_for(world, sid)) == set(APPS)
    assert_signed_out(page, world)
