"""Single sign-on: a browser that signed a person in to one app of a tenant signs them in to
the tenant's other apps without asking again, within the session's lifetimes, unless the app
asks for a new sign-in (prompt=login, max_age, acr_values), and never after the session has
ended (the account disabled, the device removed, the password reset)."""

from __future__ import annotations

import json
import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import jwt
import pytest

from chalicelib.domain import tokens
from chalicelib.domain.tenants import Policy
from tests.fixtures.account_page import query_of
from tools.admin import flows as admin

BASE_URL = "https://signin.example.test"
ISSUER = f"{BASE_URL}/t/acme"
PASSWORD = "correct horse battery staple"
CSRF = {"Cookie": "psi_csrf=csrf-token-1", "X-CSRF-Token": "csrf-token-1"}
PORTAL = "https://app.acme.test/cb"
WIKI = "https://wiki.acme.test/cb"


@pytest.fixture
def wiki(svc, tenant):
    """A second app of acme: (client id, secret)."""
    made = admin.add_client(svc, "acme", "acme-wiki", "Acme Wiki", [WIKI])
    return made["client_id"], made["client_secret"]


@pytest.fixture
def alice(new_account, svc):
    account = new_account()
    admin.set_password(svc, "acme", "alice@acme.test", PASSWORD)
    return account


def _cookie(headers: dict, name: str) -> str | None:
    sent = headers.get("Set-Cookie", [])
    jar = SimpleCookie()
    for line in [sent] if isinstance(sent, str) else sent:
        jar.load(line)
    morsel = jar.get(name)
    return None if morsel is None else morsel.value


def _set_cookie_line(headers: dict, name: str) -> str:
    sent = headers.get("Set-Cookie", [])
    lines = [sent] if isinstance(sent, str) else sent
    return next(line for line in lines if line.startswith(name))


@pytest.fixture
def signed_in(api, tenant, alice):
    """Alice signs in to the portal with her password on the hosted page: the session cookie."""
    body = {
        "client_id": tenant["client_id"],
        "username": "alice@acme.test",
        "password": PASSWORD,
        "redirect_uri": PORTAL,
    }
    response = api.http.post(
        "/t/acme/password",
        headers={"Content-Type": "application/json", "Origin": BASE_URL, **CSRF},
        body=json.dumps(body),
    )
    assert response.status_code == 200, response.body
    assert "sso_signin" not in json.loads(response.body)  # the hand-over is never sent
    session = _cookie(response.headers, "psi_session")
    assert session
    return session


def _authorize(api, client_id: str, redirect_uri: str, cookie: str | None, **extra):
    query = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "openid",
        "state": "s-1",
        "nonce": "n-1",
        **extra,
    }
    headers = {"Cookie": f"psi_session={cookie}"} if cookie else {}
    return api.http.get(f"/t/acme/authorize?{urlencode(query)}", headers=headers)


def _answer(response) -> dict[str, str]:
    assert response.status_code == 302, response.body
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def _id_token(api, token, client: tuple[str, str], code: str, redirect_uri: str) -> dict:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    status, body = token(form, client=client)
    assert status == 200, body
    keys = jwt.PyJWKSet.from_dict(api.http.get("/t/acme/jwks.json").json_body)
    key = keys[jwt.get_unverified_header(body["id_token"])["kid"]]
    return jwt.decode(
        body["id_token"], key.key, algorithms=["ES256", "RS256"], audience=client[0],
        issuer=ISSUER, options={"verify_iat": False, "verify_exp": False},  # the tests' clock
    )  # fmt: skip


def test_a_second_app_signs_in_silently_with_the_real_sign_in_s_time_and_method(
    api, token, tenant, wiki, signed_in, clock
):
    """The wiki gets its code without the page; its ID token says when and how the person
    really signed in (auth_time, amr, acr of the password sign-in) and names the session."""
    signed_in_at = int(clock())
    clock.advance(600)
    answer = _answer(_authorize(api, wiki[0], WIKI, signed_in))
    assert answer["state"] == "s-1" and answer["iss"] == ISSUER
    claims = _id_token(api, token, wiki, answer["code"], WIKI)
    assert claims["auth_time"] == signed_in_at
    assert claims["amr"] == ["pwd"] and claims["acr"] == tokens.ACR_PASSWORD
    assert claims["nonce"] == "n-1" and claims["sid"]


def test_prompt_none_succeeds_with_a_session_and_says_login_required_without(
    api, tenant, wiki, signed_in
):
    """prompt=none answers at once: a code with the session, login_required without one."""
    assert "code" in _answer(_authorize(api, wiki[0], WIKI, signed_in, prompt="none"))
    refused = _answer(_authorize(api, wiki[0], WIKI, None, prompt="none"))
    assert refused["error"] == "login_required" and refused["state"] == "s-1"


@pytest.mark.parametrize(
    "extra",
    [{"prompt": "login"}, {"max_age": "0"}, {"acr_values": tokens.ACR_TWO_STEP},
     {"login_hint": "bob@acme.test"}, {"prompt": "select_account"}],
    ids=["prompt-login", "max-age-0", "stronger-acr", "another-person", "select-account"],
)  # fmt: skip
def test_a_request_that_needs_a_new_sign_in_shows_the_page(api, tenant, wiki, signed_in, extra):
    """prompt=login, max_age passed, a stronger acr or another person: the page, not a code."""
    response = _authorize(api, wiki[0], WIKI, signed_in, **extra)
    assert response.status_code == 200
    assert b'id="signin"' in response.body or b"data-client-id" in response.body


def test_max_age_within_the_session_and_a_weaker_acr_are_silent(
    api, tenant, wiki, signed_in, clock
):
    """max_age not yet passed, and acr_values the session meets, keep it silent."""
    clock.advance(100)
    assert "code" in _answer(_authorize(api, wiki[0], WIKI, signed_in, max_age="3600"))
    weak = f"{tokens.ACR_PASSWORD} {tokens.ACR_TWO_STEP}"
    assert "code" in _answer(_authorize(api, wiki[0], WIKI, signed_in, acr_values=weak))


def test_prompt_none_names_why_it_cannot_be_silent(api, tenant, wiki, signed_in, clock):
    """A stronger acr is interaction_required; max_age passed is login_required."""
    stronger = _authorize(api, wiki[0], WIKI, signed_in, prompt="none",
                          acr_values=tokens.ACR_PASSKEY)  # fmt: skip
    assert _answer(stronger)["error"] == "interaction_required"
    clock.advance(120)
    old = _authorize(api, wiki[0], WIKI, signed_in, prompt="none", max_age="60")
    assert _answer(old)["error"] == "login_required"


def test_the_session_ends_when_idle_and_at_its_absolute_lifetime(
    api, svc, tenant, wiki, signed_in, clock
):
    """Unused for session_idle_seconds, or session_max_seconds after the sign-in however
    used, the session signs nobody in."""
    policy = Policy()
    clock.advance(policy.session_idle_seconds - 60)
    assert "code" in _answer(_authorize(api, wiki[0], WIKI, signed_in, prompt="none"))
    clock.advance(policy.session_idle_seconds + 1)
    assert _answer(_authorize(api, wiki[0], WIKI, signed_in, prompt="none"))["error"]

    # A fresh session used every hour still ends at the absolute lifetime.
    again = _fresh_session(api, tenant)
    used = 0
    while used + 3600 < policy.session_max_seconds:
        clock.advance(3600)
        used += 3600
        assert "code" in _answer(_authorize(api, wiki[0], WIKI, again, prompt="none"))
    clock.advance(policy.session_max_seconds - used)
    assert _answer(_authorize(api, wiki[0], WIKI, again, prompt="none"))["error"]


def _fresh_session(api, tenant) -> str:
    body = {"client_id": tenant["client_id"], "username": "alice@acme.test",
            "password": PASSWORD, "redirect_uri": PORTAL}  # fmt: skip
    response = api.http.post(
        "/t/acme/password",
        headers={"Content-Type": "application/json", "Origin": BASE_URL, **CSRF},
        body=json.dumps(body),
    )
    return _cookie(response.headers, "psi_session")


@pytest.mark.parametrize("change", ["disable", "reset_password", "end_sessions"])
def test_disabling_the_account_or_resetting_its_password_ends_its_sessions_at_once(
    api, svc, tenant, wiki, signed_in, change
):
    """The very next request through the session is refused: the session item is gone. The
    admin's end-sessions does it alone, and says how many ended."""
    if change == "disable":
        admin.set_account_disabled(svc, "acme", "alice@acme.test", True)
    elif change == "reset_password":
        admin.set_password(svc, "acme", "alice@acme.test", "a brand new password here")
    else:
        ended = admin.end_sessions(svc, "acme", "alice@acme.test")
        assert ended == {"username": "alice@acme.test", "sessions_ended": 1}
    refused = _answer(_authorize(api, wiki[0], WIKI, signed_in, prompt="none"))
    assert refused["error"] == "login_required"
    assert _authorize(api, wiki[0], WIKI, signed_in).status_code == 200  # the page


def test_removing_the_phone_that_signed_in_ends_that_session_only(
    api, svc, tenant, wiki, enrolled, start
):
    """A phone sign-in's session ends when that phone is revoked; a password session of the
    same person in another browser stays."""
    phone, _ = enrolled()
    admin.set_password(svc, "acme", "alice@acme.test", PASSWORD)
    started = start()
    assert phone.respond(started["signin_id"], "approve", started["number"])[0] == 200
    response = api.http.post(
        f"/t/acme/signin/{started['signin_id']}/result",
        headers={"Content-Type": "application/json", "Origin": BASE_URL},
        body=json.dumps({"secret": started["secret"]}),
    )
    by_phone = _cookie(response.headers, "psi_session")
    by_password = _fresh_session(api, tenant)
    assert by_phone and by_password
    admin.revoke_device(svc, "acme", phone.device_id)
    assert _answer(_authorize(api, wiki[0], WIKI, by_phone, prompt="none"))["error"]
    assert "code" in _answer(_authorize(api, wiki[0], WIKI, by_password, prompt="none"))


def test_a_cookie_with_the_wrong_secret_or_another_shape_opens_nothing(
    api, tenant, wiki, signed_in
):
    """The cookie's secret is checked against the stored hash; anything else is no session."""
    account_id, session_id, secret = signed_in.split(".")
    forged = f"{account_id}.{session_id}.{'A' * len(secret)}"
    for cookie in (forged, "nonsense", f"{account_id}.{session_id}"):
        assert _answer(_authorize(api, wiki[0], WIKI, cookie, prompt="none"))["error"]


def test_the_session_cookie_is_httponly_lax_secure_and_scoped_to_the_tenant(api, tenant, alice):
    """HttpOnly (no script reads it), SameSite=Lax (sent on the app's top-level redirect to
    /authorize, not on cross-site subrequests), Secure on https, Path=/t/acme."""
    body = {"client_id": tenant["client_id"], "username": "alice@acme.test",
            "password": PASSWORD, "redirect_uri": PORTAL}  # fmt: skip
    response = api.http.post(
        "/t/acme/password",
        headers={"Content-Type": "application/json", "Origin": BASE_URL, **CSRF},
        body=json.dumps(body),
    )
    line = _set_cookie_line(response.headers, "psi_session")
    for attribute in ("HttpOnly", "SameSite=Lax", "Secure", "Path=/t/acme;"):
        assert attribute in line, line


def test_form_post_delivers_the_silent_code_as_a_form_to_the_app(api, tenant, wiki, signed_in):
    """response_mode=form_post: a page whose form posts code, state and iss to the redirect
    URI, and whose policy lets a form go there and nowhere else."""
    response = _authorize(api, wiki[0], WIKI, signed_in, response_mode="form_post")
    assert response.status_code == 200
    page = response.body.decode()
    assert f'action="{WIKI}"' in page and 'name="code"' in page and 'value="s-1"' in page
    assert (
        "form-action 'self' https://wiki.acme.test;" in response.headers["Content-Security-Policy"]
    )
    refused = _authorize(api, wiki[0], WIKI, None, response_mode="form_post", prompt="none")
    assert refused.status_code == 200 and 'value="login_required"' in refused.body.decode()


@pytest.mark.parametrize(
    ("extra", "error"),
    [({"request": "eyJ.e30."}, "request_not_supported"),
     ({"request_uri": "https://app.acme.test/r"}, "request_uri_not_supported"),
     ({"registration": "{}"}, "registration_not_supported"),
     ({"prompt": "consent"}, "invalid_request"),
     ({"prompt": "none login"}, "invalid_request"),
     ({"response_mode": "fragment"}, "invalid_request"),
     ({"max_age": "-1"}, "invalid_request")],
)  # fmt: skip
def test_unsupported_parameters_are_refused_with_their_own_error(
    api, tenant, wiki, signed_in, extra, error
):
    """Core 3.1.2.6: request objects and registration get their own errors; prompt=consent is
    refused honestly (no consent screen), and no silent sign-in happens on a bad request."""
    answer = _answer(_authorize(api, wiki[0], WIKI, signed_in, **extra))
    assert answer["error"] == error and "code" not in answer


def test_sessions_are_per_tenant(api, svc, tenant, globex, signed_in):
    """Another tenant's /authorize never reads acme's session: the cookie is not even sent
    there (Path), and a copied one names no session of globex."""
    query = {"client_id": globex["client_id"], "redirect_uri": "https://globex.test/cb",
             "response_type": "code", "scope": "openid", "prompt": "none"}  # fmt: skip
    response = api.http.get(
        f"/t/globex/authorize?{urlencode(query)}", headers={"Cookie": f"psi_session={signed_in}"}
    )
    assert _answer(response)["error"] == "login_required"


def test_every_session_start_use_and_end_is_audited(api, svc, tenant, wiki, signed_in, clock):
    """session_signin and session_ended, with the session id and apps (the sign-in that opens
    a session is audited by its own event)."""
    _answer(_authorize(api, wiki[0], WIKI, signed_in))
    admin.set_account_disabled(svc, "acme", "alice@acme.test", True)
    day = time.strftime("%Y-%m-%d", time.gmtime(clock()))
    events = admin.audit_log(svc, "acme", day, day)["events"]
    assert {"session_signin", "session_ended"} <= {e["event"] for e in events}
    ended = next(e for e in events if e["event"] == "session_ended")
    assert ended["detail"]["reason"] == "account_disabled"
    assert sorted(ended["detail"]["clients"]) == sorted([tenant["client_id"], wiki[0]])


def test_a_posted_authorization_request_comes_back_by_get_and_signs_in_through_the_session(
    api, tenant, wiki, signed_in
):
    """Core 3.1.2.1: the endpoint takes POST. It answers 303 with the same request by GET, so
    the browser's SameSite=Lax session cookie (held back from a cross-site POST) is sent."""
    form = {"client_id": wiki[0], "redirect_uri": WIKI, "response_type": "code",
            "scope": "openid", "state": "s-1", "prompt": "none"}  # fmt: skip
    posted = api.http.post(
        "/t/acme/authorize",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode(form),
    )
    assert posted.status_code == 303
    location = posted.headers["Location"]
    assert location.startswith("authorize?") and dict(parse_qsl(urlsplit(location).query)) == form
    again = api.http.get(f"/t/acme/{location}", headers={"Cookie": f"psi_session={signed_in}"})
    assert "code" in _answer(again)


def test_the_security_info_page_takes_a_fresh_session_and_not_an_older_one(
    api, tenant, signed_in, clock
):
    """The page asks for max_age=300: a session of the last five minutes opens it without a
    new sign-in (a person who just used a recovery code is not asked for another); an older
    one sends the person to the sign-in page."""
    begun = api.http.get("/t/acme/account")
    request = query_of(begun.headers["Location"])
    cookie = begun.headers["Set-Cookie"].split(";")[0]
    query = urlencode(request)
    fresh = api.http.get(
        f"/t/acme/authorize?{query}", headers={"Cookie": f"psi_session={signed_in}"}
    )
    answer = _answer(fresh)
    opened = api.http.get(
        f"/t/acme/account/callback?{urlencode(answer)}", headers={"Cookie": cookie}
    )
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/t/acme/account")
    clock.advance(301)
    later = api.http.get(
        f"/t/acme/authorize?{query}", headers={"Cookie": f"psi_session={signed_in}"}
    )
    assert later.status_code == 200  # the sign-in page
