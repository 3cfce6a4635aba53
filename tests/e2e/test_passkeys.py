"""Passkeys in real Chromium, with the DevTools protocol's virtual authenticator (a platform
authenticator with user verification, as Windows Hello or Touch ID is): a passkey registered
through usecases/passkeys.py and the browser's own navigator.credentials.create on the sign-in
page's origin (the security-info page's screens come later), then "Sign in with a passkey" on
the hosted page, back to a relying party built with Authlib, in English and in Dutch.

Browsers refuse an IP address as a passkey's RP ID, so this module serves the service as
http://localhost:<port> (the same server; PUBLIC_BASE_URL, and with it every issuer, says
localhost for the module's duration).
"""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from chalicelib import service
from chalicelib.adapters import aws
from chalicelib.domain import tokens
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from chalicelib.usecases import passkeys
from tools.admin import flows as admin

from . import relying_party
from .accessibility import assert_accessible
from .conftest import add_platform_authenticator, claims_on, shoot, t

pytestmark = pytest.mark.e2e
LOCALES = {"en-US": "en", "nl-NL": "nl"}
# navigator.credentials.create with the service's options (JSON, binary members base64url),
# answered as PublicKeyCredential.toJSON() would: what the security-info page's script sends.
CREATE = """async (options) => {
  const bytes = (text) =>
    Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const text = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const publicKey = {
    ...options,
    challenge: bytes(options.challenge),
    user: { ...options.user, id: bytes(options.user.id) },
    excludeCredentials: (options.excludeCredentials || []).map((c) => ({ ...c, id: bytes(c.id) })),
  };
  const made = await navigator.credentials.create({ publicKey });
  return {
    id: made.id, rawId: text(made.rawId), type: made.type,
    response: {
      clientDataJSON: text(made.response.clientDataJSON),
      attestationObject: text(made.response.attestationObject),
      transports: made.response.getTransports(),
    },
    clientExtensionResults: {},
  };
}"""


@pytest.fixture(scope="module")
def local(stack, svc, clock):
    """The service as http://localhost:<port>: its own Services with that public base URL,
    for as long as the module runs."""
    base = f"http://localhost:{urlsplit(stack.api_url).port}"
    settings = replace(svc.settings, public_base_url=base)
    built = service.build(settings, aws.lazy("dynamodb"), aws.lazy("sns"), aws.lazy("kms"), clock)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "get", lambda: built)
        yield built, base


@pytest.fixture(scope="module")
def world(local):
    """Tenant "keys" (passkeys on) and "nokeys" (off), each with a relying party's client;
    an account per language."""
    built, base = local
    server = relying_party.bind()
    clients = {}
    for tenant_id, policy in (("keys", Policy()), ("nokeys", Policy(passkeys=False))):
        admin.create_tenant(built, tenant_id, f"{tenant_id.title()} Inc", policy)
        redirect = f"http://127.0.0.1:{server.port}/callback/{tenant_id}"
        client = admin.add_client(built, tenant_id, f"{tenant_id}-rp", "Payroll", [redirect])
        clients[tenant_id] = {
            "issuer": f"{base}/t/{tenant_id}",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        }
    for lang in LOCALES.values():
        admin.create_account(built, "keys", f"kim-{lang}@keys.test", AccountKind.WORK)
    with relying_party.serve(relying_party.build(clients), server) as rp_url:
        yield {"rp": rp_url, "svc": built}


@pytest.fixture(params=list(LOCALES), scope="module")
def locale(request) -> str:
    return request.param


@pytest.fixture
def page(browser, locale):
    """A browser in the locale, with a virtual platform authenticator that verifies the user
    (as Windows Hello's PIN or a fingerprint would) and keeps discoverable credentials."""
    context = browser.new_context(locale=locale)
    opened = context.new_page()
    opened.authenticator = add_platform_authenticator(context, opened)  # type: ignore[attr-defined]
    yield opened
    context.close()


def open_signin_page(page, world, tenant_id: str) -> None:
    page.goto(f"{world['rp']}/login/{tenant_id}")
    expect(page.locator("#username")).to_be_focused()


def register_passkey(page, world, username: str) -> dict:
    """As the security-info page will: the service's options, the browser's create, the
    service's check; on the page's origin, which a passkey is bound to."""
    svc = world["svc"]
    asked = passkeys.registration_options(svc, "keys", username)
    made = page.evaluate(CREATE, asked["publicKey"])
    return passkeys.register(svc, "keys", username, asked["challenge_id"], made, "Chromium")


def test_a_passkey_signs_in_from_the_button_with_the_passkey_claims(page, world, locale):
    """Needs the whole path: the button (signin.js passkey), the options the browser accepts,
    fido2's verification of what Chromium's authenticator signs on this origin, and the
    sign-in's amr and acr; the field offers autofill (autocomplete="username webauthn")."""
    lang = LOCALES[locale]
    username = f"kim-{lang}@keys.test"
    open_signin_page(page, world, "keys")
    button = page.locator("#use-passkey")
    expect(button).to_have_text(t(lang, "Sign in with a passkey"))
    assert page.locator("#username").get_attribute("autocomplete") == "username webauthn"
    shoot(page, f"passkey-button-{lang}")
    assert_accessible(page, "passkey-button")
    listed = register_passkey(page, world, username)
    assert listed["synced"] is False  # a platform authenticator's own key

    button.click()

    expect(page.locator("#claims")).to_be_visible()
    claims = claims_on(page)
    account = world["svc"].accounts.get("keys", username)
    assert claims["sub"] == account.account_id
    assert claims["amr"] == ["mfa", "hwk", "user"]
    assert claims["acr"] == tokens.ACR_PASSKEY
    assert claims["aud"] == "keys-rp" and claims["iss"].endswith("/t/keys")
    (stored,) = passkeys.listed(world["svc"], "keys", username)
    assert stored["last_used_at"] is not None


def test_a_passkey_the_service_does_not_know_is_refused_on_the_page(page, world, locale):
    """A passkey removed on the security-info page still sits in the browser: the page says
    it could not be used, in the person's language, and stays on the username step."""
    lang = LOCALES[locale]
    username = f"kim-{lang}@keys.test"
    open_signin_page(page, world, "keys")
    listed = register_passkey(page, world, username)
    passkeys.remove(world["svc"], "keys", username, listed["credential_id"], actor="self")
    # A fresh page: the autofill request the old one had waiting could have been answered
    # with the passkey before it was removed (a race, not the case under test).
    page.reload()
    expect(page.locator("#username-step")).to_be_visible()

    page.locator("#use-passkey").click()

    error = page.locator("#username-error")
    message = "That passkey could not be used. Try again, or sign in another way."
    expect(error).to_have_text(t(lang, message))
    expect(page.locator("#username-step")).to_be_visible()
    assert_accessible(page, "passkey-refused")


@pytest.mark.parametrize("locale", ["en-US"])  # no words checked: one language is enough
def test_a_tenant_without_passkeys_shows_no_button(page, world):
    """Needs data-passkeys from Policy.passkeys: no button where the tenant turned them off."""
    open_signin_page(page, world, "nokeys")
    expect(page.locator("#username-step")).to_be_visible()
    expect(page.locator("#use-passkey")).to_be_hidden()


@pytest.mark.parametrize("locale", ["nl-NL"])  # no words checked: one language is enough
def test_the_options_reach_the_browser_unchanged(page, world):
    """Needs request_options' JSON to be what a browser parses (its own
    parseRequestOptionsFromJSON agrees), for the page's RP ID: localhost here."""
    open_signin_page(page, world, "keys")
    csrf = page.locator("#signin").get_attribute("data-csrf")
    answer = page.evaluate(
        """async (csrf) => {
          const r = await fetch("passkey/options", {method: "POST", body: "{}",
            headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}});
          const body = await r.json();
          return PublicKeyCredential.parseRequestOptionsFromJSON
            ? {parsed: PublicKeyCredential.parseRequestOptionsFromJSON(body.publicKey).rpId, body}
            : {parsed: body.publicKey.rpId, body};
        }""",
        csrf,
    )
    assert answer["parsed"] == "localhost"
    assert json.dumps(answer["body"]["publicKey"]["userVerification"]) == '"required"'
