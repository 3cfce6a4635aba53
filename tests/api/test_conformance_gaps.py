"""What the OpenID Foundation's Basic OP test plan (oidcc-basic-certification-test-plan) asks
of the authorization and token endpoints that no other test here checked. Each test names the
conformance suite's module it stands for; docs/integrate.md ("Conformance") maps every module
of the plan to its test.

A browser is played as the suite's is: GET /authorize, and on the sign-in page the password
step the page would POST with the request's fields (its data-* attributes); a browser that
signed in before sends its session cookie and gets the code without the page.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest

from chalicelib.domain import tokens
from tools.admin import flows as admin

BASE_URL = "https://signin.example.test"
ISSUER = f"{BASE_URL}/t/acme"
PORTAL = "https://app.acme.test/cb"
PASSWORD = "correct horse battery staple"
CSRF = {"Cookie": "psi_csrf=csrf-token-1", "X-CSRF-Token": "csrf-token-1"}
CODE = "authorization_code"


@pytest.fixture
def alice(svc, new_account):
    account = new_account()
    admin.set_password(svc, "acme", "alice@acme.test", PASSWORD)
    return account


def request_query(tenant, **changes) -> list[tuple[str, str]]:
    """The suite's authorization request for acme's web client (client_secret_basic, no PKCE),
    as ordered pairs; None in `changes` drops a parameter."""
    params = {
        "client_id": tenant["client_id"],
        "redirect_uri": PORTAL,
        "response_type": "code",
        "scope": "openid",
        "state": "s-1",
        "nonce": "n-1",
        **changes,
    }
    return [(name, value) for name, value in params.items() if value is not None]


def authorize(api, pairs: list[tuple[str, str]], cookie: str | None = None):
    headers = {"Cookie": f"psi_session={cookie}"} if cookie else {}
    return api.http.get(f"/t/acme/authorize?{urlencode(pairs)}", headers=headers)


def page_fields(response) -> dict[str, str]:
    """The sign-in page's copy of the request (its main element's data-* attributes)."""
    assert response.status_code == 200, response.body
    page = response.body.decode()
    assert 'id="signin"' in page
    return {
        name: html.unescape(value) for name, value in re.findall(r'data-([a-z-]+)="([^"]*)"', page)
    }


def sign_in_on_page(api, fields: dict[str, str], method: str | None = None) -> tuple[str, str]:
    """The page's password step with the request's fields: (code, session cookie)."""
    body = {
        "client_id": fields["client-id"],
        "redirect_uri": fields["redirect-uri"],
        "scope": fields["scope"],
        "username": "alice@acme.test",
        "password": PASSWORD,
    }
    if fields["nonce"]:
        body["nonce"] = fields["nonce"]
    if fields["code-challenge"]:
        body |= {"code_challenge": fields["code-challenge"], "code_challenge_method": "S256"}
    response = api.http.post(
        "/t/acme/password",
        headers={"Content-Type": "application/json", "Origin": BASE_URL, **CSRF},
        body=json.dumps(body),
    )
    assert response.status_code == 200, response.body
    answer = json.loads(response.body)
    assert answer["status"] == "approved", answer
    return answer["code"], session_cookie(response.headers)


def session_cookie(headers: dict) -> str:
    sent = headers.get("Set-Cookie", [])
    jar = SimpleCookie()
    for line in [sent] if isinstance(sent, str) else sent:
        jar.load(line)
    return jar["psi_session"].value


def redirected(response) -> dict[str, str]:
    """The answer a silent /authorize sends the app (Core 3.1.2.5): its query."""
    assert response.status_code == 302, response.body
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == PORTAL
    return {name: values[0] for name, values in parse_qs(location.query).items()}


def redeem(token, tenant, code: str, **extra) -> dict:
    form = {"grant_type": CODE, "code": code, "redirect_uri": PORTAL, **extra}
    status, body = token(form, client=(tenant["client_id"], tenant["client_secret"]))
    assert status == 200, body
    return body


def id_claims(api, tenant, tokens_: dict) -> dict:
    """As the suite checks an ID token: the JWKS key its kid names, iss, aud (acme-web
    registered ES256). The tests' clock moves, so iat and exp are left to other tests."""
    keys = jwt.PyJWKSet.from_dict(api.http.get("/t/acme/jwks.json").json_body)
    key = keys[jwt.get_unverified_header(tokens_["id_token"])["kid"]]
    return jwt.decode(
        tokens_["id_token"], key.key, algorithms=["ES256"], audience=tenant["client_id"],
        issuer=ISSUER, options={"verify_iat": False, "verify_exp": False},
    )  # fmt: skip


def userinfo(api, tokens_: dict) -> dict:
    response = api.http.get(
        "/t/acme/userinfo", headers={"Authorization": f"Bearer {tokens_['access_token']}"}
    )
    assert response.status_code == 200, response.body
    return response.json_body


def test_a_code_flow_request_without_a_nonce_signs_in(api, token, tenant, alice):
    """oidcc-ensure-request-without-nonce-succeeds-for-code-flow: nonce is optional in the
    code flow (Core 3.1.2.1), on the page and through the session; the ID token has none."""
    fields = page_fields(authorize(api, request_query(tenant, nonce=None)))
    assert fields["nonce"] == ""
    code, cookie = sign_in_on_page(api, fields)
    assert "nonce" not in id_claims(api, tenant, redeem(token, tenant, code))

    silent = redirected(authorize(api, request_query(tenant, nonce=None), cookie))
    assert silent["state"] == "s-1"
    assert "nonce" not in id_claims(api, tenant, redeem(token, tenant, silent["code"]))


ACR_VALUES = " ".join(
    [tokens.ACR_TWO_STEP, tokens.ACR_PASSKEY, tokens.ACR_PASSWORD, tokens.ACR_RECOVERY]
)
# Parameters an OP may ignore but must not fail on (Core 15.1, RFC 6749 3.1), by the module
# that sends them with the values it sends.
HARMLESS = {
    "oidcc-display-page": {"display": "page"},
    "oidcc-display-popup": {"display": "popup"},
    "oidcc-ensure-request-with-unknown-parameter-succeeds": {"extra": "foobar"},
    "oidcc-ui-locales": {"ui_locales": "se"},
    "oidcc-claims-locales": {"claims_locales": "se"},
    "oidcc-login-hint": {"login_hint": "alice@acme.test"},
    "oidcc-claims-essential": {"claims": json.dumps({"userinfo": {"name": {"essential": True}}})},
    "oidcc-ensure-request-with-acr-values-succeeds": {"acr_values": ACR_VALUES},
}


@pytest.mark.parametrize("module", HARMLESS)
def test_a_parameter_the_service_may_ignore_does_not_stop_a_sign_in(
    api, token, tenant, alice, module
):
    """The request gets the sign-in page (not an error), the sign-in ends in tokens, and a
    browser with a session gets its code without the page, the same parameter sent."""
    extra = HARMLESS[module]
    fields = page_fields(authorize(api, request_query(tenant, **extra)))
    code, cookie = sign_in_on_page(api, fields)
    first = redeem(token, tenant, code)
    silent = redirected(authorize(api, request_query(tenant, **extra), cookie))
    assert "error" not in silent and silent["state"] == "s-1"
    again = redeem(token, tenant, silent["code"])

    for issued in (first, again):
        claims = id_claims(api, tenant, issued)
        assert claims["sub"] == alice["sub"] and claims["nonce"] == "n-1"
        # The suite wants the acr to be one of those asked for (a warning otherwise).
        assert claims["acr"] in ACR_VALUES.split()
        assert userinfo(api, issued)["sub"] == alice["sub"]
    if module == "oidcc-login-hint":
        assert fields["login-hint"] == "alice@acme.test"


def test_scope_and_parameters_in_another_order_sign_in_alike(api, token, tenant, alice):
    """oidcc-alternate-happy-flow: the scope's values reversed and the query's parameters in
    reverse alphabetical order (RFC 6749 3.3: their order does not matter)."""
    pairs = sorted(request_query(tenant, scope="email profile openid"), reverse=True)
    assert [name for name, _ in pairs][:2] == ["state", "scope"]
    fields = page_fields(authorize(api, pairs))
    code, cookie = sign_in_on_page(api, fields)
    tokens_ = redeem(token, tenant, code)

    assert tokens_["scope"] == "openid profile email"
    assert userinfo(api, tokens_) == {
        "sub": alice["sub"],
        "preferred_username": "alice@acme.test",
        "email": "alice@acme.test",
        "email_verified": False,
    }
    silent = redirected(authorize(api, pairs, cookie))
    assert redeem(token, tenant, silent["code"])["scope"] == "openid profile email"


def test_a_confidential_client_may_send_pkce_too(api, token, tenant, alice):
    """oidcc-ensure-request-with-valid-pkce-succeeds: a client_secret_basic client that also
    sends S256 PKCE signs in, on the page and through the session, with its verifier."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    pkce = {"code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256"}

    fields = page_fields(authorize(api, request_query(tenant, **pkce)))
    code, cookie = sign_in_on_page(api, fields)
    assert redeem(token, tenant, code, code_verifier=verifier)["id_token"]
    silent = redirected(authorize(api, request_query(tenant, **pkce), cookie))
    assert redeem(token, tenant, silent["code"], code_verifier=verifier)["id_token"]


ANEW = {"oidcc-prompt-login": {"prompt": "login"}, "oidcc-max-age-1": {"max_age": "1"}}


@pytest.mark.parametrize("module", ANEW)
def test_a_request_for_a_new_sign_in_shows_the_page_and_the_new_auth_time_is_later(
    api, token, tenant, alice, clock, module
):
    """prompt=login, or max_age=1 two seconds after the sign-in (as the suite waits): the page
    again, not a code; the second ID token's auth_time is that second sign-in's."""
    code, cookie = sign_in_on_page(api, page_fields(authorize(api, request_query(tenant))))
    first = id_claims(api, tenant, redeem(token, tenant, code))
    clock.advance(2)

    fields = page_fields(authorize(api, request_query(tenant, **ANEW[module]), cookie))
    code, _ = sign_in_on_page(api, fields)
    second = id_claims(api, tenant, redeem(token, tenant, code))

    assert second["sub"] == first["sub"]
    assert second["auth_time"] == first["auth_time"] + 2


SILENT = {
    "oidcc-prompt-none-logged-in": {"prompt": "none"},
    "oidcc-id-token-hint": {"prompt": "none"},  # and the first ID token as id_token_hint
    "oidcc-max-age-10000": {"max_age": "10000"},
}


@pytest.mark.parametrize("module", SILENT)
def test_a_second_request_through_the_session_signs_in_the_same_person_at_once(
    api, token, tenant, alice, clock, module
):
    """The same app asks again a minute later: a code without the page, and an ID token with
    the first one's sub and auth_time (the sign-in the session holds)."""
    code, cookie = sign_in_on_page(api, page_fields(authorize(api, request_query(tenant))))
    first_tokens = redeem(token, tenant, code)
    first = id_claims(api, tenant, first_tokens)
    clock.advance(60)
    extra = dict(SILENT[module])
    if module == "oidcc-id-token-hint":
        extra["id_token_hint"] = first_tokens["id_token"]

    silent = redirected(authorize(api, request_query(tenant, **extra), cookie))
    second = id_claims(api, tenant, redeem(token, tenant, silent["code"]))

    assert silent["state"] == "s-1" and silent["iss"] == ISSUER
    assert (second["sub"], second["auth_time"]) == (first["sub"], first["auth_time"])


def test_a_code_used_once_is_refused_thirty_seconds_later(api, token, tenant, alice, clock):
    """oidcc-codereuse-30seconds: the second redemption, 30 s after the first (the code's
    minute not yet over), is invalid_grant."""
    code, _ = sign_in_on_page(api, page_fields(authorize(api, request_query(tenant))))
    redeem(token, tenant, code)
    clock.advance(30)

    status, body = token(
        {"grant_type": CODE, "code": code, "redirect_uri": PORTAL},
        client=(tenant["client_id"], tenant["client_secret"]),
    )

    assert (status, body["error"]) == (400, "invalid_grant")


def test_a_request_object_does_not_make_an_unregistered_redirect_uri_good(api, tenant):
    """oidcc-ensure-request-object-with-redirect-uri: an unsigned request object holding the
    registered redirect URI, beside an unregistered redirect_uri parameter. Request objects are
    not supported, so the parameter is the one checked: our error page, no redirect anywhere."""
    claims = {"client_id": tenant["client_id"], "redirect_uri": PORTAL, "response_type": "code",
              "scope": "openid", "state": "s-1", "nonce": "n-1"}  # fmt: skip
    request = jwt.encode(claims, key=None, algorithm="none")
    pairs = request_query(tenant, redirect_uri=PORTAL + "/elsewhere", request=request)

    response = authorize(api, pairs)

    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Location" not in response.headers


def test_no_refresh_token_is_issued_even_for_offline_access(api, token, tenant, alice):
    """oidcc-refresh-token is skipped when the token response has no refresh_token: none is
    issued, offline_access is dropped from the granted scope (RFC 6749 3.3)."""
    fields = page_fields(authorize(api, request_query(tenant, scope="openid offline_access")))
    code, _ = sign_in_on_page(api, fields)

    tokens_ = redeem(token, tenant, code)

    assert "refresh_token" not in tokens_ and tokens_["scope"] == "openid"


# --- RP-Initiated Logout (oidcc-rp-initiated-logout-certification-test-plan) -------------------
# The suite's logout requests carry id_token_hint, post_logout_redirect_uri and state, never
# client_id; each module drops or changes one of them.

SIGNED_OUT = "https://app.acme.test/signed-out"


@pytest.fixture
def rp(svc, tenant):
    """acme's web client registered again with a post-logout URI, as the suite's client is."""
    made = admin.add_client(
        svc, "acme", tenant["client_id"], "Acme Portal", [PORTAL],
        id_token_signed_response_alg="ES256", post_logout_redirect_uris=(SIGNED_OUT,),
    )  # fmt: skip
    return {**tenant, "client_secret": made["client_secret"]}


@pytest.fixture
def session(api, token, rp, alice):
    """Alice signed in to the app on the hosted page: (session cookie, her ID token)."""
    code, cookie = sign_in_on_page(api, page_fields(authorize(api, request_query(rp))))
    return cookie, redeem(token, rp, code)["id_token"]


def end_session(api, cookie: str, **params: str):
    return api.http.get(f"/t/acme/logout?{urlencode(params)}", headers=session_header(cookie))


def session_header(cookie: str, csrf: str | None = None) -> dict:
    jar = f"psi_session={cookie}" + (f"; psi_csrf={csrf}" if csrf else "")
    return {"Cookie": jar}


def confirm(api, cookie: str, question) -> object:
    """The person presses "Sign out" on the page: its form, POSTed from our origin."""
    page = question.body.decode()
    assert question.status_code == 200 and 'id="confirm"' in page, page
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    form = {name: html.unescape(value) for name, value in form.items()}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": BASE_URL}
    headers |= session_header(cookie, form["csrf"])
    return api.http.post("/t/acme/logout", headers=headers, body=urlencode(form))


def signed_in(api, rp, cookie: str) -> bool:
    """The suite's check after a logout: prompt=none through the browser gets a code."""
    return "code" in redirected(authorize(api, request_query(rp, prompt="none"), cookie))


def signed_out_page(response) -> bool:
    return (
        response.status_code == 200
        and "Location" not in response.headers
        and "You&#x27;re signed out" in response.body.decode()
    )


def alg_none(id_token: str) -> str:
    """The suite's ChangeIdTokenToAlgNone: the same payload under {"alg": "none"}, unsigned."""
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    return f"{header}.{id_token.split('.')[1]}."


@pytest.mark.parametrize(
    "module", ["oidcc-rp-initiated-logout", "oidcc-rp-initiated-logout-no-state"]
)
def test_a_valid_hint_and_the_registered_uri_sign_out_and_go_back(api, rp, session, module):
    """Back to the post-logout URI with the state sent, or none; then prompt=none is
    login_required, an error that needs the person (Core 3.1.2.6)."""
    cookie, id_token = session
    state = {} if module.endswith("no-state") else {"state": "st"}

    response = end_session(
        api, cookie, id_token_hint=id_token, post_logout_redirect_uri=SIGNED_OUT, **state
    )

    assert response.status_code == 302
    assert response.headers["Location"] == SIGNED_OUT + ("?state=st" if state else "")
    after = redirected(authorize(api, request_query(rp, prompt="none"), cookie))
    assert after["error"] == "login_required"


def test_an_unsigned_copy_of_the_id_token_is_no_hint(api, rp, session):
    """oidcc-rp-initiated-logout-modified-id-token-hint: the hint changed to alg none is not
    believed: no redirect to the post-logout URI, the person is asked, nothing ended yet."""
    cookie, id_token = session
    hint = alg_none(id_token)

    response = end_session(
        api, cookie, id_token_hint=hint, post_logout_redirect_uri=SIGNED_OUT, state="st"
    )

    assert response.status_code == 200 and "Location" not in response.headers
    assert 'id="confirm"' in response.body.decode()
    assert SIGNED_OUT not in response.body.decode()
    assert signed_in(api, rp, cookie)
    assert signed_out_page(confirm(api, cookie, response))  # and no redirect after it either
    assert not signed_in(api, rp, cookie)


@pytest.mark.parametrize(
    "module", ["oidcc-rp-initiated-logout-no-params", "oidcc-rp-initiated-logout-only-state"]
)
def test_without_a_hint_or_uri_the_person_confirms_and_sees_the_signed_out_page(
    api, rp, session, module
):
    """No parameters, or only state: the person is asked, then signed out, and the browser
    stays on our "You're signed out" page."""
    cookie, _ = session
    params = {"state": "st"} if module.endswith("only-state") else {}

    done = confirm(api, cookie, end_session(api, cookie, **params))

    assert signed_out_page(done)
    assert not signed_in(api, rp, cookie)


def test_with_a_hint_and_no_uri_the_logout_happens_and_says_so(api, rp, session):
    """oidcc-rp-initiated-logout-no-post-logout-redirect-uri: the hint and state without a
    post-logout URI: signed out at once, the "You're signed out" page, no redirect."""
    cookie, id_token = session

    response = end_session(api, cookie, id_token_hint=id_token, state="st")

    assert signed_out_page(response)
    assert not signed_in(api, rp, cookie)


def test_a_registered_uri_with_a_query_added_is_not_followed(api, rp, session):
    """oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri: exact match only, so
    the URI with ?foo=bar is not followed: the person is asked whether to sign out, as the
    suite expects, and stays signed in until they confirm."""
    cookie, id_token = session

    response = end_session(
        api, cookie, id_token_hint=id_token, post_logout_redirect_uri=SIGNED_OUT + "?foo=bar",
        state="st",
    )  # fmt: skip

    page = response.body.decode()
    assert response.status_code == 200 and "Location" not in response.headers
    assert "Sign out of" in page and "foo=bar" not in page
    assert signed_in(api, rp, cookie)
