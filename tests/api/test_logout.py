"""RP-Initiated Logout 1.0 at {issuer}/logout, and the id_token_hint at /authorize.

An app sends the browser to /logout, best with the ID token it got: with a hint this tenant
issued (either algorithm, expired or not, for the app that names itself), the browser's
session ends if it is the hint's person's, the cookie is deleted, and the browser goes to the
app's post-logout URI only if the app registered it, with its state. Without a valid hint the
person confirms on our page (CSRF double submit and Origin), and nobody is redirected to a URI
the request could not tie to an app's registration."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import jwt
import pytest

from chalicelib.domain import tokens
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.secret_codes import b64url
from chalicelib.domain.tenants import Policy
from tests.fixtures.core import BASE_URL
from tests.fixtures.logout_receiver import receiving
from tests.fixtures.logout_world import (
    ISSUER,
    PASSWORD,
    PORTAL_HOME,
    WIKI_HOME,
    answer,
    authorize,
    cookie_from,
    id_token,
    logout,
    register_apps,
    set_cookie_line,
    sign_in,
    silent_id_token,
    still_signed_in,
)
from tools.admin import flows as admin


@pytest.fixture
def receiver():
    with receiving() as listening:
        yield listening


@pytest.fixture
def apps(svc, tenant, receiver):
    return register_apps(svc, receiver)


@pytest.fixture
def alice(svc, new_account):
    new_account("alice@acme.test")
    admin.set_password(svc, "acme", "alice@acme.test", PASSWORD)


@pytest.fixture
def session(api, token, apps, alice):
    """Alice signed in to the portal on the hosted page, then to the wiki through the session:
    (cookie, the portal's ID token (ES256), the wiki's ID token (RS256))."""
    cookie, code = sign_in(api, apps["portal"])
    portal_token = id_token(token, apps["portal"], code)
    return cookie, portal_token, silent_id_token(api, token, apps["wiki"], cookie)


def test_discovery_names_the_logout_endpoint_and_back_channel_logout(api, tenant):
    found = api.http.get("/t/acme/.well-known/openid-configuration").json_body
    assert found["end_session_endpoint"] == f"{ISSUER}/logout"
    assert found["backchannel_logout_supported"] is True
    assert found["backchannel_logout_session_supported"] is True


@pytest.mark.parametrize("which", ["portal", "wiki"], ids=["ES256", "RS256"])
def test_a_valid_hint_ends_the_session_and_returns_to_the_registered_uri_with_state(
    api, apps, session, which
):
    """Either algorithm's ID token: the session item is gone (the next prompt=none is
    login_required), the cookie deleted, and the browser sent to the app's own URI."""
    cookie, portal_token, wiki_token = session
    hint = {"portal": portal_token, "wiki": wiki_token}[which]
    home = {"portal": PORTAL_HOME, "wiki": WIKI_HOME}[which]
    response = logout(api, cookie, id_token_hint=hint, post_logout_redirect_uri=home, state="st")
    assert response.status_code == 302
    assert response.headers["Location"] == home + ("&" if "?" in home else "?") + "state=st"
    assert not still_signed_in(api, apps["portal"], cookie)


def test_the_session_cookie_is_deleted_with_its_own_path_and_attributes(api, session):
    """Max-Age=0 on a line otherwise as the one that set it: a browser drops a cookie only
    when name, Path and Domain match."""
    cookie, portal_token, _ = session
    line = set_cookie_line(logout(api, cookie, id_token_hint=portal_token).headers, "psi_session")
    assert line == "psi_session=; Path=/t/acme; Max-Age=0; HttpOnly; SameSite=Lax; Secure"


def test_an_expired_hint_is_still_a_hint(api, apps, session, clock):
    """ID tokens live 5 minutes, sessions hours: the spec asks providers to take expired ones."""
    cookie, portal_token, _ = session
    clock.advance(tokens.ID_TOKEN_SECONDS * 6)
    response = logout(api, cookie, id_token_hint=portal_token, post_logout_redirect_uri=PORTAL_HOME)
    assert response.headers["Location"] == PORTAL_HOME
    assert not still_signed_in(api, apps["portal"], cookie)


def test_an_unregistered_uri_is_never_followed_and_the_person_is_asked(api, apps, session):
    """An unregistered URI, or another app's, is not followed (no open redirector), even with
    a valid hint: the person is asked "Sign out?" (the form carries no URI), and nothing ends
    until they confirm."""
    cookie, portal_token, _ = session
    for uri in ("https://evil.test/", WIKI_HOME, PORTAL_HOME + "/"):
        cookie, _ = sign_in(api, apps["portal"])
        response = logout(api, cookie, id_token_hint=portal_token, post_logout_redirect_uri=uri)
        page = response.body.decode()
        assert response.status_code == 200 and "Location" not in response.headers
        assert "Sign out of Acme Corp?" in page and 'name="post_logout_redirect_uri"' not in page
        assert still_signed_in(api, apps["portal"], cookie)
    csrf = cookie_from(response.headers, "psi_csrf")
    confirmed = confirm(api, cookie, {"csrf": csrf}, csrf=csrf)
    assert confirmed.status_code == 200 and "You&#x27;re signed out" in confirmed.body.decode()
    assert not still_signed_in(api, apps["portal"], cookie)


def forged_hints(svc, portal_token: str) -> dict[str, str]:
    """Hints that must not be believed, for the wiki and of Alice (so that, believed, they
    would end her session), each made to pass every check but one."""
    alice = jwt.decode(portal_token, options={"verify_signature": False})["sub"]
    claims = {"iss": ISSUER, "sub": alice, "aud": "acme-wiki", "iat": 1, "exp": 2, "auth_time": 1}
    globex, acme = svc.directory.get("globex"), svc.directory.get("acme")
    other, mine = globex.signer("RS256"), acme.signer("RS256")
    head, _, signature = portal_token.split(".")
    access = tokens.access_token_claims(
        issuer=ISSUER, subject=alice, client_id="acme-wiki", now=1, rng=svc.rng, scope="openid"
    )
    return {
        "another tenant's key": tokens.sign(claims, other.key, other.kid),
        "another tenant's issuer": tokens.sign(
            {**claims, "iss": globex.issuer}, mine.key, mine.kid
        ),
        "a changed payload": f"{head}.{b64url(json.dumps(claims).encode())}.{signature}",
        "an access token": tokens.sign(
            {**access, "aud": "acme-wiki"}, mine.key, mine.kid, typ="at+jwt"
        ),
        "not a JWT": "x.y.z",
    }


@pytest.mark.parametrize(
    "kind",
    ["another tenant's key", "another tenant's issuer", "a changed payload", "an access token",
     "not a JWT", "another app's ID token"],
)  # fmt: skip
def test_a_hint_that_does_not_hold_is_not_used(api, svc, globex, apps, session, kind):
    """Forged, another tenant's, an access token, or the portal's ID token sent as the wiki's:
    nothing ends without the person's word, and nobody is redirected."""
    cookie, portal_token, _ = session
    hint = forged_hints(svc, portal_token).get(kind, portal_token)
    response = logout(
        api, cookie, id_token_hint=hint, client_id="acme-wiki", post_logout_redirect_uri=WIKI_HOME
    )
    assert response.status_code == 200 and "Location" not in response.headers
    page = response.body.decode()
    assert 'id="confirm"' in page and "id_token_hint" in page  # the note for developers
    assert WIKI_HOME not in page  # the confirmation will not redirect there either
    assert set_cookie_line(response.headers, "psi_session") is None
    assert still_signed_in(api, apps["portal"], cookie)


def bobs_wiki_token(api, svc, token, apps) -> str:
    """Bob signs in to the wiki in a browser of his own: his ID token."""
    admin.create_account(svc, "acme", "bob@acme.test", AccountKind.WORK)
    admin.set_password(svc, "acme", "bob@acme.test", PASSWORD)
    _, code = sign_in(api, apps["wiki"], "bob@acme.test")
    return id_token(token, apps["wiki"], code)


def test_another_person_s_hint_leaves_the_browser_s_session_alone(api, svc, token, apps, session):
    """Bob's ID token in Alice's browser: Alice stays signed in, her cookie is kept."""
    cookie, _, _ = session
    bobs = bobs_wiki_token(api, svc, token, apps)
    response = logout(api, cookie, id_token_hint=bobs, post_logout_redirect_uri=WIKI_HOME)
    assert response.headers["Location"] == WIKI_HOME
    assert set_cookie_line(response.headers, "psi_session") is None
    assert still_signed_in(api, apps["portal"], cookie)


def confirm(api, cookie: str | None, form: dict, origin: str | None = BASE_URL, csrf="c-1"):
    jar = f"psi_csrf={csrf}" + (f"; psi_session={cookie}" if cookie else "")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": jar}
    if origin is not None:
        headers["Origin"] = origin
    return api.http.post("/t/acme/logout", headers=headers, body=urlencode(form))


def test_without_a_hint_the_person_confirms_on_a_page_that_posts_back(api, apps, session):
    """The page's form carries a CSRF token (also set as psi_csrf, SameSite=Strict), the
    app's registered URI and state, and its policy lets the form's redirect go there."""
    cookie, _, _ = session
    response = logout(
        api, cookie, client_id="acme-wiki", post_logout_redirect_uri=WIKI_HOME, state="st"
    )
    page = response.body.decode()
    assert response.status_code == 200 and "Sign out of Acme Corp?" in page
    csrf = cookie_from(response.headers, "psi_csrf")
    assert f'name="csrf" value="{csrf}"' in page and "SameSite=Strict" in set_cookie_line(
        response.headers, "psi_csrf"
    )
    assert 'name="post_logout_redirect_uri" value="https://wiki.acme.test/bye?from=idp"' in page
    assert (
        "form-action 'self' https://wiki.acme.test;" in response.headers["Content-Security-Policy"]
    )
    assert response.headers["Referrer-Policy"] == "same-origin"  # so the POST carries Origin
    assert still_signed_in(api, apps["portal"], cookie)  # nothing ended yet

    form = {"csrf": csrf, "client_id": "acme-wiki", "post_logout_redirect_uri": WIKI_HOME,
            "state": "st", "ui_locales": "en"}  # fmt: skip
    confirmed = confirm(api, cookie, form, csrf=csrf)
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"] == WIKI_HOME + "&state=st"
    assert set_cookie_line(confirmed.headers, "psi_session").endswith(
        "Max-Age=0; HttpOnly; SameSite=Lax; Secure"
    )
    assert not still_signed_in(api, apps["portal"], cookie)


@pytest.mark.parametrize(
    ("origin", "sent", "kept"),
    [(None, "c-1", "c-1"), ("https://evil.test", "c-1", "c-1"), (BASE_URL, "c-1", "c-2"),
     (BASE_URL, "c-1", "")],
    ids=["no Origin", "foreign Origin", "another token", "no cookie"],
)  # fmt: skip
def test_a_confirmation_without_our_origin_and_token_ends_nothing(
    api, apps, session, origin, sent, kept
):
    """A cross-site form (no or a foreign Origin), or a token that is not the page's: 403
    cross_site_request, the page again, and the session still there."""
    cookie, _, _ = session
    response = confirm(api, cookie, {"csrf": sent}, origin=origin, csrf=kept)
    assert response.status_code == 403 and 'data-error="cross_site_request"' in (
        response.body.decode()
    )
    assert set_cookie_line(response.headers, "psi_session") is None
    assert still_signed_in(api, apps["portal"], cookie)


@pytest.mark.parametrize(
    "form",
    [{"post_logout_redirect_uri": WIKI_HOME},
     {"client_id": "acme-web", "post_logout_redirect_uri": WIKI_HOME},
     {"client_id": "nobody", "post_logout_redirect_uri": WIKI_HOME}],
    ids=["no client_id", "another app's URI", "unknown client"],
)  # fmt: skip
def test_a_confirmed_logout_redirects_only_to_a_uri_its_app_registered(api, apps, session, form):
    """Without client_id nothing says whose URI it is; with one, it must be that app's."""
    cookie, _, _ = session
    page = logout(api, cookie, **form).body.decode()
    assert WIKI_HOME not in page
    response = confirm(api, cookie, {"csrf": "c-1", **form})
    assert response.status_code == 200 and "Location" not in response.headers
    assert not still_signed_in(api, apps["portal"], cookie)


def test_an_app_s_post_is_sent_on_as_the_same_get(api, apps, session):
    """RP-Initiated Logout by POST: a 303 to the GET, so the Lax session cookie is sent."""
    cookie, portal_token, _ = session
    form = {"id_token_hint": portal_token, "post_logout_redirect_uri": PORTAL_HOME, "state": "s"}
    response = api.http.post(
        "/t/acme/logout",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode(form),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "logout?" + urlencode(form)
    assert still_signed_in(api, apps["portal"], cookie)  # the GET does it


@pytest.mark.parametrize(
    "query", ["state=" + "s" * 513, "client_id=", "state=a&state=b", "ui_locales=" + "x" * 300]
)
def test_malformed_parameters_are_a_400_page_with_the_code(api, tenant, query):
    response = api.http.get(f"/t/acme/logout?{query}")
    assert response.status_code == 400
    assert 'data-error="invalid_request"' in response.body.decode()


def test_an_unknown_tenant_is_a_404_page(api, tenant):
    response = api.http.get("/t/nobody-here/logout")
    assert response.status_code == 404 and "unknown_tenant" in response.body.decode()


def test_the_pages_speak_dutch(api, apps, session):
    cookie, portal_token, _ = session
    page = logout(api, cookie, ui_locales="nl").body.decode()
    assert "Afmelden bij Acme Corp?" in page and 'lang="nl"' in page
    done = logout(api, cookie, id_token_hint=portal_token, ui_locales="nl").body.decode()
    assert "U bent afgemeld" in done


# --- The hint at /authorize (OpenID Connect Core 3.1.2.1) ---------------------------------------


def test_authorize_takes_the_app_s_own_hint_for_the_session_s_person(api, apps, session):
    cookie, _, wiki_token = session
    got = answer(authorize(api, apps["wiki"], cookie, prompt="none", id_token_hint=wiki_token))
    assert "code" in got


def test_authorize_with_another_person_s_hint_does_not_use_the_session(
    api, svc, token, apps, session
):
    """Bob's hint in Alice's browser: prompt=none is login_required, otherwise the page."""
    cookie, _, _ = session
    bobs = bobs_wiki_token(api, svc, token, apps)
    refused = answer(authorize(api, apps["wiki"], cookie, prompt="none", id_token_hint=bobs))
    assert refused["error"] == "login_required"
    assert authorize(api, apps["wiki"], cookie, id_token_hint=bobs).status_code == 200


@pytest.mark.parametrize("kind", ["another app's ID token", "not a JWT", "a changed payload"])
def test_authorize_answers_an_invalid_hint_with_invalid_request(
    api, svc, globex, apps, session, kind
):
    """Core 3.1.2.6: invalid_request to the app, with its state; no code."""
    cookie, portal_token, _ = session
    hint = forged_hints(svc, portal_token).get(kind, portal_token)
    got = answer(authorize(api, apps["wiki"], cookie, id_token_hint=hint))
    assert got["error"] == "invalid_request" and got["state"] == "s-1" and "code" not in got


def test_the_session_s_policy_lifetime_still_applies_after_a_logout_elsewhere(
    api, apps, alice, clock
):
    """Two browsers of Alice: logging out of one leaves the other's session."""
    first, _ = sign_in(api, apps["portal"])
    second, _ = sign_in(api, apps["portal"])
    page = logout(api, first)
    csrf = cookie_from(page.headers, "psi_csrf")
    confirm(api, first, {"csrf": csrf}, csrf=csrf)
    assert not still_signed_in(api, apps["portal"], first)
    clock.advance(Policy().session_idle_seconds - 60)
    assert still_signed_in(api, apps["portal"], second)
