"""Nobody can lock a person out: whatever a stranger who knows the username sends, the owner
still signs in with the phone, and a browser that signed the owner in before keeps its
password path (usecases/fatigue.py, domain/browsers.py, usecases/password_signin.py).

Requests come from distinct networks the way the deployed service sees them: behind CloudFront,
whose viewer address the service believes only with the origin secret.

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from http.cookies import SimpleCookie

import pytest

from chalicelib.adapters.dynamodb.limits import LimitStore
from chalicelib.domain import browsers
from chalicelib.domain.accounts import user_key
from chalicelib.domain.metering import day_of
from chalicelib.domain.tenants import Policy
from chalicelib.usecases import fatigue
from chalicelib.usecases import password_signin as password
from chalicelib.usecases.fatigue import DAY
from tools.admin import flows as admin

BASE_URL = "https://signin.example.test"
CALLBACK = "https://app.acme.test/cb"
PASSWORD = "correct horse battery staple"
ORIGIN_SECRET = "the-secret-cloudfront-adds"
CSRF = "csrf-token-1"
HOME, CAFE, STRANGER = "198.51.100.7", "192.0.2.44", "203.0.113.66"


@pytest.fixture(autouse=True)
def behind_cloudfront(svc, monkeypatch, clock):
    """CloudFront in front (so each test can speak from several networks), from 00:05 UTC."""
    digest = hashlib.sha256(ORIGIN_SECRET.encode()).hexdigest()
    settings = dataclasses.replace(svc.settings, cloudfront_secret_sha256=digest)
    monkeypatch.setattr(svc, "settings", settings)
    clock.now = float((int(clock()) // DAY + 1) * DAY + 300)


@dataclasses.dataclass
class Browser:
    """A browser on a network, keeping the cookies the service sets, as the page calls."""

    api: object
    client_id: str
    ip: str
    jar: dict = dataclasses.field(default_factory=dict)
    user_agent: str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36"

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        cookies = "; ".join(f"{k}={v}" for k, v in {"psi_csrf": CSRF, **self.jar}.items())
        headers = {
            "Content-Type": "application/json",
            "Origin": BASE_URL,
            "X-CSRF-Token": CSRF,
            "Cookie": cookies,
            "User-Agent": self.user_agent,
            "X-Origin-Secret": ORIGIN_SECRET,
            "CloudFront-Viewer-Address": f"{self.ip}:50123",
        }
        response = self.api.http.post(f"/t/acme{path}", headers=headers, body=json.dumps(body))
        sent = response.headers.get("Set-Cookie", [])
        for line in [sent] if isinstance(sent, str) else sent:
            jar = SimpleCookie()
            jar.load(line)
            self.jar |= {name: morsel.value for name, morsel in jar.items()}
        return response.status_code, json.loads(response.body or b"{}")

    def start(self, username: str = "alice@acme.test") -> tuple[int, dict]:
        fields = {"client_id": self.client_id, "username": username, "redirect_uri": CALLBACK}
        return self.post("/signin", fields)

    def result(self, started: dict) -> dict:
        status, body = self.post(f"/signin/{started['signin_id']}/result", started_secret(started))
        assert status == 200, body
        return body

    def cancel(self, started: dict) -> None:
        self.post(f"/signin/{started['signin_id']}/cancel", started_secret(started))

    def password(self, secret: str, username: str = "alice@acme.test") -> tuple[int, dict]:
        return self.post(
            "/password",
            {
                "client_id": self.client_id,
                "username": username,
                "password": secret,
                "redirect_uri": CALLBACK,
            },
        )


def started_secret(started: dict) -> dict:
    return {"secret": started["secret"]}


@pytest.fixture
def browser(api, tenant):
    def make(ip: str) -> Browser:
        return Browser(api, tenant["client_id"], ip)

    return make


@pytest.fixture
def alice(enrolled, svc):
    """Alice: a phone with push, and a password."""
    phone, _ = enrolled(push_token="apns-token-alice")
    admin.set_password(svc, "acme", "alice@acme.test", PASSWORD)
    return phone


def approve_on_the_phone(phone, started: dict) -> None:
    """The owner answers on the phone with the number their own page shows: from the list
    when it was pushed, by entering the number in the app when it was held."""
    if started["held"]:
        _, body = phone.api.pending(phone.key, started["number"])
        (found,) = [s for s in body["signins"] if s["held"]]
        assert found["signin_id"] == started["signin_id"]
    assert phone.respond(started["signin_id"], "approve", started["number"]) == (
        200,
        {"status": "approved"},
    )


def signed_in_by_phone(owner: Browser, phone) -> dict:
    status, started = owner.start()
    assert (status, started["method"]) == (200, "phone"), started
    approve_on_the_phone(phone, started)
    answer = owner.result(started)
    assert answer["status"] == "approved", answer
    return started


def redeem(token, tenant, code: str) -> dict:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    status, body = token(form, client=(tenant["client_id"], tenant["client_secret"]))
    assert status == 200, body
    return body


# --- The stranger's script ---------------------------------------------------------------------


def test_a_strangers_day_of_starts_cancels_and_wrong_passwords_does_not_lock_the_owner_out(
    alice, browser, published, token, tenant, svc, clock
):
    """Needs every limit a stranger can reach to hold back only the stranger: starts counted
    per source, pushes held (not refused) past the shared allowance, the password backoff
    apart for a recognised browser. Without any one of them, this day ends with the owner
    unable to sign in: before, about 130 requests did it (a day's pushes used up, and the
    password backoff locked)."""
    the_day = day_of(clock())
    home = browser(HOME)
    signed_in_by_phone(home, alice)  # this browser is now recognised: it has signed Alice in
    assert browsers.COOKIE in home.jar
    stranger = browser(STRANGER)
    started_by_stranger, refused_starts, failures = 0, 0, 0

    # All day: guess the password, waiting as told, and between guesses start sign-ins and
    # cancel them (each one a push, while the allowance lasts).
    while failures < password.MAX_FAILURES:
        status, body = stranger.password(f"guess number {failures}")
        if status == 401:
            failures += 1
            wait = 0
        else:
            assert (status, body["error"]) == (429, "too_many_attempts"), body
            wait = int(body["error_description"].split()[-2]) * (
                60 if "minutes" in body["error_description"] else 1
            )
        for _ in range(3):
            status, started = stranger.start()
            if status == 429:
                refused_starts += 1
                continue
            assert status == 200, started
            started_by_stranger += 1
            stranger.cancel(started)
        clock.advance(max(wait, 1))
    assert day_of(clock()) == the_day  # all of it in one day: the day's counters are full
    assert stranger.password(PASSWORD)[0] == 429  # locked for the day, even the right one
    # The owner's first sign-in (not yet recognised) and the stranger's share the day's pushes;
    # past them, the stranger's held starts stop at the source's day limit.
    assert len(published) == svc.directory.get("acme").tenant.policy.pushes_per_day
    assert started_by_stranger == len(published) - 1 + fatigue.STARTS_PER_SOURCE_PER_DAY
    assert refused_starts > 150

    # The owner, at a café, in a browser never used before: the phone still signs them in.
    cafe = browser(CAFE)
    status, started = cafe.start()
    assert (status, started["held"]) == (200, True)  # no push: the day's allowance is gone
    approve_on_the_phone(alice, started)
    tokens = redeem(token, tenant, cafe.result(started)["code"])
    assert tokens["id_token"]

    # At home, the recognised browser is pushed to, and its password still works.
    status, started = home.start()
    assert (status, started["held"]) == (200, False)
    approve_on_the_phone(alice, started)
    assert home.result(started)["status"] == "approved"
    status, body = home.password(PASSWORD)
    assert (status, body["status"]) == (200, "approved")
    redeem(token, tenant, body["code"])


# --- Starts: per account and source, before anything is written ------------------------------


def test_a_start_past_its_sources_limit_writes_no_signin_and_other_sources_go_on(
    alice, browser, snapshot
):
    """Needs the start limit per (account, source), taken before the sign-in is written:
    per account alone, the stranger's flood would refuse the owner's start too; after the
    write, each refusal would still leave a sign-in behind."""
    stranger = browser(STRANGER)
    for _ in range(3 + fatigue.STARTS_PER_SOURCE_PER_MINUTE):  # 3 pushed, then held ones
        assert stranger.start()[0] == 200
    before = snapshot()

    status, body = stranger.start()

    assert (status, body["error"]) == (429, "too_many_attempts")
    after = snapshot()
    assert after["test-signins"] == before["test-signins"]
    status, started = browser(CAFE).start()
    assert (status, started["method"]) == (200, "phone")


def test_starts_for_unknown_usernames_store_nothing_anywhere(browser, new_account, snapshot):
    """Needs `start` to store nothing for a username no phone can answer: a flood of them
    must not land in any partition (an account's, or one a phone reads)."""
    new_account("bob@acme.test")  # no phone
    before = snapshot()

    for username in ["bob@acme.test"] * 20 + [f"nobody-{n}@acme.test" for n in range(20)]:
        assert browser(STRANGER).start(username) == (200, {"method": "password"})

    assert snapshot()["test-signins"] == before["test-signins"]


def test_a_flood_of_held_starts_leaves_the_phones_list_one_short_read(alice, browser, svc, clock):
    """Needs held sign-ins outside the list's key range (and the list's bounded read): the
    phone's read of what is waiting stays as small as it was, however many were held."""
    admin.set_policy(svc, "acme", Policy(pushes_per_minute=1, pushes_per_day=1))
    for minute in range(40):  # 40 minutes of a stranger's starts: 1 pushed, the rest held
        for _ in range(fatigue.STARTS_PER_SOURCE_PER_MINUTE):
            browser(f"203.0.113.{minute + 1}").start()
        clock.advance(60)
    tables, scanned = [], []
    events = svc.signins._client.meta.events
    events.register(
        "provide-client-params.dynamodb.Query", lambda params, **_: tables.append(params)
    )
    events.register(
        "after-call.dynamodb.Query", lambda parsed, **_: scanned.append(parsed["ScannedCount"])
    )

    assert alice.pending()[1]["signins"] == []  # the one pushed has expired

    reads = [
        n for params, n in zip(tables, scanned, strict=True) if "signins" in params["TableName"]
    ]
    assert reads == [1]  # one item read: the notice of Alice's own enrolment, not 199 held


# --- Recognised browsers ------------------------------------------------------------------------


def test_a_browser_that_signed_someone_in_gets_a_signed_httponly_cookie(alice, browser, api):
    """Needs the cookie HttpOnly (no script reads it), SameSite=Strict (no other site's
    request carries it), Secure on https and scoped to the tenant's path."""
    home = browser(HOME)
    _, started = home.start()
    approve_on_the_phone(alice, started)
    headers = {
        "Content-Type": "application/json",
        "Origin": BASE_URL,
        "X-Origin-Secret": ORIGIN_SECRET,
        "CloudFront-Viewer-Address": f"{HOME}:50123",
    }
    response = api.http.post(
        f"/t/acme/signin/{started['signin_id']}/result",
        headers=headers,
        body=json.dumps(started_secret(started)),
    )

    jar = SimpleCookie()
    for line in response.headers["Set-Cookie"]:
        jar.load(line)
    cookie = jar[browsers.COOKIE]
    assert cookie["httponly"] is True and cookie["secure"] is True
    assert (cookie["samesite"], cookie["path"]) == ("Strict", "/t/acme")
    assert int(cookie["max-age"]) == browsers.LIFETIME_SECONDS


FORGERIES = {
    "made up": lambda value: "0123456789abcdef.AAAAAAAAAAAAAAAA.6a000000." + "A" * 22,
    "tampered mac": lambda value: value[:-1] + ("A" if value[-1] != "A" else "B"),
    "another person's": lambda value: value.replace(value[:16], "f" * 16, 1),
    "too old": None,  # the real cookie, past its lifetime
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_or_stale_cookie_is_a_stranger(forgery, alice, browser, svc, clock):
    """Needs the cookie's HMAC under the tenant's key, its person and its age checked: a
    stranger who could make one up would get the owner's own allowances."""
    home = browser(HOME)
    signed_in_by_phone(home, alice)
    value = home.jar[browsers.COOKIE]
    if forgery == "too old":
        clock.advance(browsers.LIFETIME_SECONDS)
    else:
        value = FORGERIES[forgery](value)
    tenant = svc.directory.get("acme")
    key = browsers.cookie_key(tenant.data_key)

    alice_key = user_key("alice@acme.test")
    assert browsers.recognised(key, value, alice_key, int(clock())) is None
    other_tenant_key = browsers.cookie_key(b"another tenant's data key 32 by")
    genuine = home.jar[browsers.COOKIE]
    assert browsers.recognised(other_tenant_key, genuine, alice_key, int(clock())) is None
    assert "alice" not in genuine and alice_key not in genuine  # the person is a keyed hash


def test_a_recognised_browser_is_pushed_to_past_the_strangers_allowance(
    alice, browser, published, svc, clock
):
    """Needs a recognised browser's pushes counted on their own: the stranger's starts would
    otherwise use up the owner's pushes too."""
    home = browser(HOME)
    signed_in_by_phone(home, alice)
    stranger = browser(STRANGER)
    for _ in range(3):  # the account's pushes this minute, used up, and cancelled
        _, started = stranger.start()
        stranger.cancel(started)
    assert stranger.start()[1]["held"] is True
    pushed = len(published)

    status, started = home.start()

    assert (status, started["held"]) == (200, False)
    assert len(published) == pushed + 1


def test_the_lock_holds_a_recognised_browser_too_and_its_person_still_signs_in(
    alice, browser, result, published, svc, clock
):
    """Needs the lock applied to every source: a browser can be shared, or a phishing proxy
    the person approved once; after "this wasn't me" nothing may push from it. Held, its
    person still signs in by entering the number."""
    home = browser(HOME)
    signed_in_by_phone(home, alice)
    _, started = home.start()
    assert alice.respond(started["signin_id"], "report_fraud")[0] == 200
    clock.advance(60)
    pushed = len(published)

    status, started = home.start()

    assert (status, started["held"]) == (200, True)
    assert len(published) == pushed
    approve_on_the_phone(alice, started)
    assert home.result(started)["status"] == "approved"


def test_a_recognised_browser_keeps_its_password_past_the_strangers_backoff_and_cap(
    alice, browser, svc
):
    """Needs the password backoff counted apart for a recognised browser, and the per-network
    cap not applied to it: otherwise a stranger's wrong guesses make the owner wait."""
    home = browser(HOME)
    signed_in_by_phone(home, alice)
    stranger = browser(HOME)  # even on the same network (a shared address)
    while True:
        status, _ = stranger.password("wrong")
        if status == 429:
            break
    assert stranger.password(PASSWORD)[0] == 429

    status, body = home.password(PASSWORD)

    assert (status, body["status"]) == (200, "approved")


def test_the_per_network_password_cap_is_claimed_before_the_password_is_checked(svc, clock):
    """Needs claim_hit's conditional write before the check: read-then-write let every
    attempt already in flight pass a cap that had room for one."""
    now = int(clock())
    container_a = LimitStore(svc.limits._client, svc.limits._table)
    container_b = LimitStore(svc.limits._client, svc.limits._table)
    for _ in range(password.FAILURES_PER_NETWORK - 1):
        assert container_a.claim_hit("acme", "pwd-ip", STRANGER, 900, now, 50) is None

    in_flight = container_a.claim_hit("acme", "pwd-ip", STRANGER, 900, now, 50)
    racing = container_b.claim_hit("acme", "pwd-ip", STRANGER, 900, now, 50)

    assert in_flight is None and racing is not None


# --- The operator's way out -------------------------------------------------------------------


def test_an_administrator_can_lift_a_lock_and_reset_an_accounts_limits(alice, browser, svc, clock):
    """Needs admin.unlock_phone and admin.reset_limits: without them, support could only
    tell a locked-out person to wait."""
    stranger = browser(STRANGER)
    _, started = stranger.start()
    assert alice.respond(started["signin_id"], "report_fraud")[0] == 200
    while stranger.password("wrong")[0] != 429:
        pass
    for _ in range(10):
        stranger.start()
    cafe = browser(CAFE)
    assert cafe.start()[1]["held"] is True  # locked by the fraud report
    clock.advance(60)

    sub = svc.accounts.get("acme", "alice@acme.test").account_id
    assert svc.limits.hit("acme", "phone-failures", sub, DAY, int(clock())) == 2

    admin.unlock_phone(svc, "acme", "alice@acme.test")
    admin.reset_limits(svc, "acme", "alice@acme.test", STRANGER)
    clock.advance(30)  # every container asks the table again within half a minute

    assert svc.limits.hit("acme", "phone-failures", sub, DAY, int(clock())) == 1  # afresh
    assert cafe.start()[1]["held"] is False
    assert stranger.start()[0] == 200
    assert stranger.password(PASSWORD)[0] == 200  # the network's password cap too
    assert browser(CAFE).password(PASSWORD)[0] == 200
    today = day_of(clock())
    events = [e["event"] for e in admin.audit_log(svc, "acme", today, today)["events"]]
    assert {"phone_signin_unlocked", "limits_reset"} <= set(events)


# --- The audit log: every limit and lock with its source --------------------------------------


def test_limits_locks_and_password_successes_are_audited_with_their_source(
    alice, browser, svc, clock
):
    """Needs the source in every limit and lock event (network, browser recognised or not,
    readable device): an operator facing a push-bombing must see where it comes from."""
    admin.set_policy(svc, "acme", Policy(deny_lock_after=10))
    stranger = browser(STRANGER)
    held = fatigue.STARTS_PER_SOURCE_PER_MINUTE
    answers = [stranger.start() for _ in range(3 + held + 1)]
    assert [status for status, _ in answers] == [200] * (3 + held) + [429]
    assert [body["held"] for _, body in answers[:-1]] == [False] * 3 + [True] * held
    assert alice.respond(answers[0][1]["signin_id"], "report_fraud")[0] == 200
    assert browser(CAFE).password(PASSWORD)[0] == 200

    today = day_of(clock())
    logged = admin.audit_log(svc, "acme", today, today)["events"]
    events = {e["event"]: e.get("detail", {}) for e in logged}
    for event in ("push_held", "start_refused", "phone_signin_locked"):
        assert events[event]["network"] == STRANGER, event
        assert events[event]["device"] == "Chrome on Windows", event
    assert (events["push_held"]["limit"], events["start_refused"]["limit"]) == (
        "pushes_per_minute",
        "starts_per_minute",
    )
    assert events["password_signin"]["network"] == CAFE
    assert events["password_signin"]["recognised_browser"] is False


def test_password_signins_by_someone_who_knows_the_password_do_not_hide_a_waiting_one(
    alice, browser, svc
):
    """Needs password-only sign-ins filed outside the phone's query (unlisted ids): the
    phone's list reads at most 100 items, newest first, and 150 sign-ins approved by the
    password in its ten minutes would otherwise push the owner's waiting one out of it."""
    stranger = browser(STRANGER)
    for _ in range(150):
        status, body = stranger.password(PASSWORD)
        assert (status, body["status"]) == (200, "approved")
    status, started = browser(CAFE).start()
    assert (status, started["held"]) == (200, False)

    (listed,) = alice.pending()[1]["signins"]

    assert listed["signin_id"] == started["signin_id"]


def test_a_right_password_buys_no_flood_of_held_second_steps(alice, browser, svc):
    """Needs held second steps counted per source like a page's held starts: a right
    password resets its own backoff, so without it someone who knows the password could file
    held sign-ins into the owner's partition as fast as the service answers."""
    admin.set_policy(svc, "acme", Policy(require_two_step=True, pushes_per_minute=1))
    stranger = browser(STRANGER)
    answers = [
        stranger.password(PASSWORD) for _ in range(1 + fatigue.STARTS_PER_SOURCE_PER_MINUTE + 1)
    ]

    assert [status for status, _ in answers] == [200] * 6 + [429]
    assert [body.get("held") for _, body in answers[:6]] == [False] + [True] * 5


def test_a_malformed_cookie_of_another_site_costs_neither_the_csrf_token_nor_recognition(
    alice, browser
):
    """Needs the lenient cookie reading (bodies.cookies): SimpleCookie dropped every cookie of
    the header at the first one it disliked, and the page's calls then failed as cross-site,
    and the owner's browser was a stranger."""
    home = browser(HOME)
    signed_in_by_phone(home, alice)
    home.jar = {"theme": "dark mode", **home.jar, "x": '"unbalanced'}

    status, body = home.password(PASSWORD)

    assert (status, body["status"]) == (200, "approved")


def test_a_ciba_request_cannot_be_followed_at_the_pages_endpoints(alice, ask, post):
    """Needs the page's result and cancel to refuse sign-ins the page did not start: a CIBA
    client holding its auth_req_id could otherwise collect a page's answer for the person
    (and a recognised-browser cookie for them)."""
    asked = ask()
    signin_id, secret = asked["auth_req_id"].split(".")
    assert alice.respond(signin_id, "approve", asked["number"])[0] == 200

    for action in ("result", "cancel"):
        status, body = post(f"/t/acme/signin/{signin_id}/{action}", {"secret": secret})
        assert (status, body["error"]) == (404, "not_found"), action
