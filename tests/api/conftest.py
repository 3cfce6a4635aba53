"""The Chalice app through its test client, wired to the in-process moto back end."""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
from urllib.parse import quote, urlencode

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.sns.models import sns_backends

import app as app_module
from authenticator.device_api import DeviceApi
from chalicelib import service
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from chalicelib.settings import Settings
from tests.conftest import BASE_URL, CHEAP_PASSWORDS, PREFIX, Clock, _botocore_session
from tools.admin import flows as admin
from tools.local_aws import FAKE_CREDENTIALS, provision
from tools.scenario import ChaliceHttp, Phone, SignIn


@contextlib.contextmanager
def app_for_a_module():
    """The app through its test client on a moto of its own, for a module-scoped world that
    many generated cases share (function-scoped fixtures would rebuild it for each):
    (test HTTP client, services, clock)."""
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        # The run's botocore session, as the `aws` fixture's: clients made from it carry the
        # hook that records the function's calls during tests/api (tests/aws_calls.py).
        session = boto3.session.Session(botocore_session=_botocore_session())
        env = {
            **provision(session, PREFIX, "alias/test"),
            "PUBLIC_BASE_URL": BASE_URL,
            **CHEAP_PASSWORDS,
        }
        clock = Clock()
        svc = service.build(
            Settings.from_env(env),
            session.client("dynamodb"),
            session.client("sns"),
            session.client("kms"),
            clock,
            secrets,
        )
        patch.setattr(service, "get", lambda: svc)
        with Client(app_module.app) as client:
            yield client.http, svc, clock


@pytest.fixture
def api(svc, monkeypatch):
    monkeypatch.setattr(service, "get", lambda: svc)
    with Client(app_module.app) as client:
        yield client


@pytest.fixture
def post(api):
    """POST JSON and return (status, body)."""

    def send(path: str, body: dict | bytes | str, headers: dict | None = None):
        raw = body if isinstance(body, bytes | str) else json.dumps(body)
        response = api.http.post(
            path, headers={"Content-Type": "application/json", **(headers or {})}, body=raw
        )
        return response.status_code, json.loads(response.body or b"{}")

    return send


# The scenario's phone (the reference phone's device API, its key in memory), by the name the
# tests have always called it.
TestPhone = Phone


@pytest.fixture
def make_phone(post, tenant, clock):
    def make(tenant_id: str = "acme", issuer: str | None = None) -> TestPhone:
        issuer = issuer or f"https://signin.example.test/t/{tenant_id}"
        return TestPhone(DeviceApi(post, tenant_id, issuer, clock))

    return make


# --- Shared by the enrolment, push, security and bad-input modules ---------------------------


MOTO_ACCOUNT = "123456789012"


@pytest.fixture
def enrolled(new_account, make_phone):
    """An account with one phone enrolled: (phone, account)."""

    def make(
        username: str = "alice@acme.test",
        kind: AccountKind = AccountKind.WORK,
        tenant_id: str = "acme",
        **enrol_kwargs,
    ) -> tuple[TestPhone, dict]:
        account = new_account(username, kind, tenant_id)
        phone = make_phone(tenant_id)
        status, body = phone.enrol(account["activation_code"], **enrol_kwargs)
        assert status == 200, body
        return phone, account

    return make


@pytest.fixture
def start(api, tenant):
    """Start a sign-in on acme's web client (or as told) and return the page's view of it."""

    def send(username: str = "alice@acme.test", tenant_id: str = "acme", **extra) -> dict:
        fields = {"client_id": tenant["client_id"], "redirect_uri": "https://app.acme.test/cb"}
        return SignIn(ChaliceHttp(api), None, tenant_id).start(username, **(fields | extra))

    return send


@pytest.fixture
def result(post):
    def ask(started: dict, tenant_id: str = "acme") -> tuple[int, dict]:
        path = f"/t/{tenant_id}/signin/{started['signin_id']}/result"
        return post(path, {"secret": started["secret"]})

    return ask


@pytest.fixture
def token(api):
    """POST a form to a token endpoint, with HTTP Basic client credentials when given."""

    def send(
        form: dict | str | bytes,
        tenant_id: str = "acme",
        client: tuple[str, str] | None = None,
    ) -> tuple[int, dict]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if client is not None:
            pair = f"{quote(client[0], safe='')}:{quote(client[1], safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        raw = form if isinstance(form, str | bytes) else urlencode(form)
        response = api.http.post(f"/t/{tenant_id}/token", headers=headers, body=raw)
        return response.status_code, json.loads(response.body or b"{}")

    return send


@pytest.fixture
def globex(svc, tenant):
    """A second tenant with its own confidential client; created after acme."""
    created = admin.create_tenant(svc, "globex", "Globex Inc", Policy())
    web = admin.add_client(
        svc, "globex", "globex-web", "Globex Intranet", ["https://globex.test/cb"]
    )
    return {**created, "client_id": web["client_id"], "client_secret": web["client_secret"]}


@pytest.fixture
def sns(aws):
    return aws.client("sns")


@pytest.fixture
def endpoints():
    """moto's SNS platform endpoints by ARN (they record each message published to them)."""
    return sns_backends[MOTO_ACCOUNT]["us-east-1"].platform_endpoints


@pytest.fixture
def published(svc) -> list[dict]:
    """The parameters of every SNS Publish the service sends, as they leave for AWS.

    moto keeps only the message body of a platform-endpoint publish, not its attributes.
    """
    calls: list[dict] = []

    def record(params, **_):
        calls.append(dict(params))

    svc.push._client.meta.events.register("provide-client-params.sns.Publish", record)
    return calls


def stored_state() -> dict:
    """Everything the service has stored in moto: every item of every test table, and every
    SNS endpoint with its attributes and how many messages it got.

    Read from moto's in-process store rather than by Scan: the same items, in a millisecond
    instead of ~35 ms, which matters to the bad-input module's hundreds of cases.
    """
    tables = dynamodb_backends[MOTO_ACCOUNT]["us-east-1"].tables
    state: dict = {
        name: sorted(
            json.dumps(item.to_json(), sort_keys=True, default=repr) for item in table.all_items()
        )
        for name, table in tables.items()
        if name.startswith(PREFIX)
    }
    state["sns-endpoints"] = {
        arn: (e.token, e.custom_user_data, sorted(map(str, e.attributes.items())), len(e.messages))
        for arn, e in sns_backends[MOTO_ACCOUNT]["us-east-1"].platform_endpoints.items()
    }
    return state


@pytest.fixture
def snapshot(aws):
    return stored_state


@pytest.fixture
def same_phone(make_phone):
    """Another account in the app on the same phone: a new key, the same installation id."""

    def make(phone: TestPhone, tenant_id: str = "acme") -> TestPhone:
        other = make_phone(tenant_id)
        other.installation_id = phone.installation_id
        return other

    return make


@pytest.fixture
def alice(enrolled):
    """Alice's enrolled phone."""
    return enrolled()[0]


@pytest.fixture
def approved(api):
    """Have a phone approve a started sign-in; return the authorization code the page gets."""

    def approve(phone, started: dict, tenant_id: str = "acme") -> str:
        return SignIn(ChaliceHttp(api), phone, tenant_id).approve(started)

    return approve


@pytest.fixture
def backchannel(api, tenant):
    """POST a form (a dict, or the raw body) to the CIBA backchannel endpoint, by default as
    acme's web client (client_secret_basic; ("", "") sends no credentials): (status, body)."""

    def send(form: dict | str, client: tuple[str, str] | None = None, tenant_id: str = "acme"):
        client_id, secret = (
            (tenant["client_id"], tenant["client_secret"]) if client is None else client
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if client_id:
            pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        raw = form if isinstance(form, str) else urlencode(form)
        response = api.http.post(f"/t/{tenant_id}/bc-authorize", headers=headers, body=raw)
        return response.status_code, response.json_body or {}

    return send


@pytest.fixture
def ask(backchannel):
    """A valid backchannel request (for alice unless told): the answer's body."""

    def send(login_hint: str = "alice@acme.test", **changes) -> dict:
        form = {
            "scope": "openid",
            "login_hint": login_hint,
            "binding_message": "Order 4711",
            **changes,
        }
        status, body = backchannel(form)
        assert status == 200, body
        return body

    return send
