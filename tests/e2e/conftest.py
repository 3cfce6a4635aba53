"""The whole service on 127.0.0.1 (moto server + the Chalice app over real HTTP), a relying
party built with Authlib, reference phones, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import itertools
import json
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from authenticator.device_api import DeviceApi, http_transport
from chalicelib import service
from chalicelib.adapters import aws
from chalicelib.domain import language
from chalicelib.settings import Settings
from chalicelib.web import polling
from tests.fixtures import isolation
from tools import simulator
from tools.local_aws import running

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class OffsetClock:
    """Real time, plus whatever a test skips ahead (to expire a sign-in without waiting)."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Phone:
    """A reference phone over real HTTP."""

    api: DeviceApi
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    totp_secret: str | None = None

    def enrol(self, code: str) -> None:
        status, body = self.api.enrol(
            self.key, activation_code=code, platform="android",
            installation_id="inst-" + secrets.token_hex(8),
            push_token="tok-" + secrets.token_hex(8),
        )  # fmt: skip
        assert status == 200, body
        self.totp_secret = body["totp_secret"]

    def wait_for_signin(self, number: int | None = None, timeout: float = 15.0) -> dict:
        """Poll the device API until a sign-in is waiting (the phone's polling path); with
        `number`, one that could be it (it offers that number, or asks for it to be typed),
        as a person picks the request they expect."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.api.pending(self.key)
            assert status == 200, body
            waiting = [
                s
                for s in body["signins"]
                if number is None or not s["choices"] or number in s["choices"]
            ]
            if waiting:
                return waiting[-1]
            time.sleep(0.2)
        raise AssertionError("no sign-in reached the phone")

    def answer(self, signin_id: str, decision: str, number: int | None = None) -> dict:
        status, body = self.api.respond(self.key, signin_id, decision, number)
        assert status in (200, 409), body
        return body


def pytest_collection_finish(session):
    """tf-local's run (test_tf_local.py) takes half a minute in a process of its own, mostly
    Terraform's: started here, once the run is known to include its test, it proceeds on the
    other core beside the tests before it instead of after them."""
    module = sys.modules.get(f"{__package__}.test_tf_local")
    if session.config.option.collectonly or module is None:
        return
    if any(getattr(item, "module", None) is module for item in session.items):
        scratch = Path(tempfile.mkdtemp(prefix="tf-local-"))
        session.config.stash[module.STARTED] = module.start(scratch)


def pytest_sessionfinish(session):
    module = sys.modules.get(f"{__package__}.test_tf_local")
    started = session.config.stash.get(module.STARTED, None) if module else None
    if started is not None:  # stopped by its test, unless the run ended before it
        started.stop()
        shutil.rmtree(started.work.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def stack():
    # The stack stays up for the rest of the run and running() undoes its changes to the
    # process (environment, the app's class and routes) when the session ends.
    with running(blueprints=(simulator.blueprint,)) as local:
        isolation.accept_session_state()
        yield local


@pytest.fixture(scope="session")
def clock():
    return OffsetClock()


@pytest.fixture(scope="session")
def svc(stack, clock):
    """The service the API server uses, with a clock the tests can move."""
    built = service.build(
        Settings.from_env(), aws.lazy("dynamodb"), aws.lazy("sns"), aws.lazy("kms"), clock
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "get", lambda: built)
        isolation.accept_session_state()
        yield built


@pytest.fixture(scope="session")
def make_phone(stack):
    def make(tenant_id: str) -> Phone:
        return Phone(DeviceApi(http_transport(stack.api_url), tenant_id, stack.issuer(tenant_id)))

    return make


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (make test installs Debian's chromium as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    opened = context.new_page()
    yield opened
    context.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def poll_now(page) -> None:
    """The sign-in page asks for its sign-in's result now rather than at its next poll
    (web/polling.py's schedule): its clock jumps ahead by the schedule's longest wait, firing
    the timers due by then, once each, in order. For a page whose clock was installed
    before it loaded (Playwright's clock: it runs at real speed until told otherwise)."""
    page.clock.fast_forward(LONGEST_WAIT * 1000)


# The longest a visible page waits between polls (the first one included), over the longest
# sign-in's lifetime.
LONGEST_WAIT = max(
    later - earlier for earlier, later in itertools.pairwise([0.0, *polling.poll_times(600)])
)


def simulator_polls_now(phone) -> None:
    """The phone simulator's tab asks for waiting requests now rather than at its next poll
    (tools/simulator/phone.js polls every 1.5 s); for a tab whose clock was installed, as
    poll_now."""
    phone.clock.fast_forward(1500)


def claims_on(page) -> dict:
    return json.loads(page.locator("#claims").inner_text())


def t(lang: str, message: str, **fields: object) -> str:
    """What a page says for an English message, in the language, its {fields} filled."""
    translated = language.translate(lang, message)
    for name, value in fields.items():
        translated = translated.replace("{" + name + "}", str(value))
    return translated


def add_platform_authenticator(context, page, **options: object) -> tuple:
    """A virtual platform authenticator (DevTools protocol) that verifies the user, as Windows
    Hello's PIN or a fingerprint would, and keeps discoverable credentials: (session, id)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        **options,
    }
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, added["authenticatorId"]
