"""Back-Channel Logout 1.0: when a session ends, by a logout or otherwise, every app that took
part in it and registered a back-channel logout URI gets a logout token, POSTed as a form to a
real server on 127.0.0.1 (tests/fixtures/logout_receiver.py); each delivery bounded in time and
attempts, all in parallel, a failed one audited, and none ever failing the logout."""

from __future__ import annotations

import time

import pytest

from chalicelib.adapters.http_logout import HttpLogoutChannel
from chalicelib.domain import logout as rules
from tests.fixtures.logout_receiver import receiving
from tests.fixtures.logout_world import (
    PASSWORD,
    App,
    answer,
    authorize,
    id_token,
    logout,
    register_apps,
    sign_in,
    silent_id_token,
    verified,
)
from tools.admin import flows as admin

EVENT = "http://schemas.openid.net/event/backchannel-logout"


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
    """Alice in the portal (hosted page) and the wiki (through the session): (cookie, the
    portal's ID token, the wiki's ID token)."""
    cookie, code = sign_in(api, apps["portal"])
    portal_token = id_token(token, apps["portal"], code)
    return cookie, portal_token, silent_id_token(api, token, apps["wiki"], cookie)


def failures(svc, clock) -> list[dict]:
    day = time.strftime("%Y-%m-%d", time.gmtime(clock()))
    events = admin.audit_log(svc, "acme", day, day)["events"]
    return [e for e in events if e["event"] == "backchannel_logout_failed"]


def test_each_app_of_the_session_gets_a_logout_token_it_can_verify(
    api, apps, session, receiver, clock
):
    """A form POST of logout_token: typ logout+jwt, signed as the app's ID tokens (ES256 for
    the portal, RS256 for the wiki) by a key in the JWKS; iss, aud, iat, a 2-minute exp, a
    jti, the person's sub and the session's sid (those of the app's ID token), the event,
    and no nonce."""
    cookie, portal_token, wiki_token = session
    assert logout(api, cookie, id_token_hint=portal_token).status_code == 200
    assert sorted(r.path for r in receiver.received) == ["/portal/logout", "/wiki/logout"]
    for name, id_token_raw in (("portal", portal_token), ("wiki", wiki_token)):
        app = apps[name]
        (sent,) = [r for r in receiver.received if r.path == f"/{name}/logout"]
        assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert set(sent.form) == {"logout_token"}
        claims = verified(api, sent.form["logout_token"][0], app.client_id, app.alg, "logout+jwt")
        id_claims = verified(api, id_token_raw, app.client_id, app.alg)
        assert claims["sub"] == id_claims["sub"] and claims["sid"] == id_claims["sid"]
        assert claims["events"] == {EVENT: {}} and "nonce" not in claims
        assert claims["iat"] == int(clock()) and claims["exp"] == claims["iat"] + 120
        assert len(claims["jti"]) >= 16
    tokens = receiver.tokens()
    assert len(set(tokens)) == 2  # a jti of its own each


@pytest.mark.parametrize("how", ["disabled", "password reset", "signed in as another person"])
def test_every_other_end_of_a_session_tells_the_apps_too(
    api, svc, apps, session, receiver, new_account, how
):
    """Not only a logout: the account disabled, the password reset, or the browser signing
    in as someone else ends the session, and its apps hear of it."""
    cookie, _, _ = session
    if how == "disabled":
        admin.set_account_disabled(svc, "acme", "alice@acme.test", True)
    elif how == "password reset":
        admin.set_password(svc, "acme", "alice@acme.test", "a brand new password here")
    else:
        new_account("bob@acme.test")
        admin.set_password(svc, "acme", "bob@acme.test", PASSWORD)
        sign_in(api, apps["portal"], "bob@acme.test", cookie=cookie)
    assert sorted(r.path for r in receiver.received) == ["/portal/logout", "/wiki/logout"]


def test_an_app_without_a_back_channel_uri_is_not_called(api, svc, apps, session, receiver):
    admin.add_client(svc, "acme", "acme-wiki", "Acme Wiki", [apps["wiki"].redirect_uri])
    cookie, portal_token, _ = session
    logout(api, cookie, id_token_hint=portal_token)
    assert [r.path for r in receiver.received] == ["/portal/logout"]


@pytest.mark.parametrize(
    ("answers", "posts", "failed"),
    [([500], 2, 500), ([503, 200], 2, None), ([400], 1, 400), ([302], 1, 302), ([204], 1, None)],
    ids=["server error twice", "server error then 200", "refused", "redirect", "204"],
)
def test_a_delivery_is_tried_at_most_twice_and_a_failure_is_audited(
    api, svc, apps, session, receiver, clock, answers, posts, failed
):
    """Another try only where one may land (no answer, 5xx); a 4xx or a redirect is final
    (the redirect is not followed). The logout goes on whatever the app answers."""
    receiver.statuses["/wiki/logout"] = answers
    receiver.location = receiver.uri("/elsewhere")
    cookie, portal_token, _ = session
    assert logout(api, cookie, id_token_hint=portal_token).status_code == 200
    assert [r.path for r in receiver.received].count("/wiki/logout") == posts
    assert "/elsewhere" not in [r.path for r in receiver.received]
    found = failures(svc, clock)
    if failed is None:
        assert found == []
    else:
        (event,) = found
        assert event["detail"] == {"client_id": "acme-wiki", "sid": event["detail"]["sid"],
                                   "status": failed, "attempts": posts}  # fmt: skip


def test_slow_apps_are_waited_for_in_parallel_and_not_for_long(
    api, svc, tenant, receiver, alice, token, clock, monkeypatch
):
    """Six apps that never answer in time: the logout takes about two timeouts (two
    attempts, all apps at once), not twelve, and each is audited as no_answer."""
    monkeypatch.setattr(rules, "DELIVERY_TIMEOUT_SECONDS", 0.3)
    receiver.delay = 1.0
    apps = register_apps(svc, receiver)
    cookie, code = sign_in(api, apps["portal"])
    hint = id_token(token, apps["portal"], code)
    for n in range(5):
        uri = f"https://app{n}.acme.test/cb"
        admin.add_client(svc, "acme", f"acme-{n}", f"App {n}", [uri],
                         backchannel_logout_uri=receiver.uri(f"/{n}/logout"))  # fmt: skip
        app = App(f"acme-{n}", "", uri, "RS256")
        assert "code" in answer(authorize(api, app, cookie, prompt="none"))
    started = time.monotonic()
    assert logout(api, cookie, id_token_hint=hint).status_code == 200
    elapsed = time.monotonic() - started
    assert elapsed < 6 * 0.3, elapsed  # sequentially it would be 12 * 0.3
    found = failures(svc, clock)
    assert len(found) == 6
    assert {e["detail"]["status"] for e in found} == {"no_answer"}
    assert {e["detail"]["attempts"] for e in found} == {2}


def test_the_channel_opens_only_http_and_https():
    """urllib would read a file: URL; the adapter refuses any scheme but http(s)."""
    channel = HttpLogoutChannel()
    assert channel.post_form("file:///etc/passwd", {"logout_token": "x"}, 1.0) is None
    assert channel.post_form("ftp://127.0.0.1/", {"logout_token": "x"}, 1.0) is None


def test_the_channel_answers_none_when_nobody_listens(receiver):
    """A refused connection is an answer (None), not an exception in the logout."""
    closed = "http://127.0.0.1:9/logout"  # the discard port: nothing listens in the tests
    assert HttpLogoutChannel().post_form(closed, {"logout_token": "x"}, 0.5) is None
