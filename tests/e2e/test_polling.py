"""The sign-in page in real Chromium polls for its result when web/polling.py says (the
schedule the benchmark counts with), on Playwright's clock, its polls answered "pending"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from chalicelib.web import polling
from tools.admin import flows as admin

from . import relying_party

pytestmark = pytest.mark.e2e
USERNAME = "paula@polls.test"
# Every result poll's time (the page's clock), and when the start's answer arrived; a
# document that can be told it is hidden (Chromium's tab never is, here).
RECORD = r"""
window.__polls = []; window.__answered = 0; window.__hidden = false;
Object.defineProperty(Document.prototype, "hidden", { get: () => window.__hidden });
const sent = window.fetch;
window.fetch = async (url, options) => {
  const result = String(url).endsWith("/result");
  if (result) window.__polls.push(Date.now());
  try {
    const response = await sent(url, options);
    if (/(^|\/)signin$/.test(String(url))) window.__started = Date.now();
    return response;
  } finally {
    if (result) window.__answered += 1; // answered, or failed to connect
  }
};
"""


@pytest.fixture(scope="module")
def world(svc, stack, make_phone):
    server = relying_party.bind()
    admin.create_tenant(svc, "polls", "Polls Inc", Policy(pushes_per_minute=20))
    redirect = f"http://127.0.0.1:{server.port}/callback/polls"
    client = admin.add_client(svc, "polls", "polls-rp", "Payroll", [redirect])
    clients = {"polls": {"issuer": stack.issuer("polls"), **client}}
    admin.create_account(svc, "polls", USERNAME, AccountKind.WORK)
    code = admin.issue_activation_code(svc, "polls", USERNAME)["activation_code"]
    make_phone("polls").enrol(code)
    with relying_party.serve(relying_party.build(clients), server) as rp_url:
        yield rp_url


@pytest.fixture
def waiting(browser, world):
    """The number page, its clock paused at the start's answer, every poll answered pending."""
    context = browser.new_context()
    tab = context.new_page()
    tab.clock.install()
    tab.add_init_script(RECORD)
    tab.route(
        "**/signin/*/result",
        lambda route: route.fulfill(json={"status": "pending", "expires_at": 2**31}),
    )
    tab.goto(f"{world}/login/polls")
    tab.fill("#username", USERNAME)
    tab.clock.pause_at(tab.evaluate("Date.now()") + 1000)
    tab.click("#username-step button[type=submit]")
    expect(tab.locator("#number")).to_have_text(re.compile(r"^\d\d$"))
    yield tab
    context.close()


def run(tab, seconds: int) -> None:
    """The page's clock on by `seconds`, a second at a time, each poll answered before the
    clock moves on (as a fast server would)."""
    for _ in range(seconds):
        tab.clock.run_for(1000)
        # (wait_for_function would need the CSP's 'unsafe-eval')
        while not tab.evaluate("window.__answered === window.__polls.length"):
            tab.wait_for_timeout(10)
        tab.wait_for_timeout(30)  # the page reads the answer and sets its next poll


def hidden(tab, value: bool) -> None:
    tab.evaluate(
        "(value) => { window.__hidden = value; "
        "document.dispatchEvent(new Event('visibilitychange')); }",
        value,
    )


def polls(tab) -> list[float]:
    return tab.evaluate("window.__polls.map((at) => (at - window.__started) / 1000)")


def test_the_page_polls_at_the_times_poll_times_gives(waiting):
    """Defends the one schedule: signin.js computes from data-polling the times that
    polling.poll_times returns (which the bench counts polls with), to the millisecond."""
    run(waiting, 60)
    assert polls(waiting) == polling.poll_times(60)


def test_a_hidden_page_polls_less_and_at_once_when_shown_again(waiting):
    """Defends the visibility rule: hidden, one poll every HIDDEN seconds; shown again,
    a poll at once (the person is back from the phone), then the schedule goes on."""
    run(waiting, 5)
    hidden(waiting, True)
    run(waiting, 35)  # to 40 s: the poll already set for 7 s, then 30 s later
    hidden(waiting, False)
    run(waiting, 4)
    assert polls(waiting) == [5, 7, 7 + polling.HIDDEN, 40, 43]


def test_a_lost_connection_or_a_busy_service_does_not_end_the_wait(waiting):
    """Defends the retry in signin.js's poll: a poll that cannot connect (the fetch fails) or
    is answered 503 is asked again, after Retry-After when told, and the page keeps the
    number up. Before, the failed fetch stopped the polling without a word and a 503 ended
    the sign-in on the page while it still waited for the phone."""
    answers = iter(["offline", "busy"])

    def answer(route):
        kind = next(answers, "pending")
        if kind == "offline":
            route.abort("connectionfailed")
        elif kind == "busy":
            error = {"error": "temporarily_unavailable"}
            route.fulfill(status=503, headers={"Retry-After": "3"}, json=error)
        else:
            route.fulfill(json={"status": "pending", "expires_at": 2**31})

    waiting.unroute("**/signin/*/result")
    waiting.route("**/signin/*/result", answer)
    run(waiting, 14)
    # 5 s: no connection, asked again a poll gap later; 7 s: a 503 that says 3 s; 10 s: the
    # answer, and the schedule goes on (never sooner than a gap after the last poll).
    assert polls(waiting)[:4] == [5, 7, 10, 12]
    expect(waiting.locator("#number")).not_to_have_class(re.compile("ended"))
    expect(waiting.locator("#number-step")).to_be_visible()
