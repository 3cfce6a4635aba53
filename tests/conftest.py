"""Fixtures: moto in-process for AWS, a settable clock, the service wired to both."""

from __future__ import annotations

import functools
import os
import secrets
import time

import boto3
import pytest
from moto import mock_aws

from chalicelib import service
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from chalicelib.settings import Settings
from tools.admin import flows as admin
from tools.local_aws import FAKE_CREDENTIALS, provision

PREFIX = "test-"
BASE_URL = "https://signin.example.test"
# Argon2id at 64 KiB and one pass instead of OWASP's 19 MiB and two (microseconds a check
# instead of 25 ms): the limits and answers under test do not depend on the cost. Tests that
# measure the work of a check set their own.
CHEAP_PASSWORDS = {"ARGON2_MEMORY_KIB": "64", "ARGON2_TIME_COST": "1"}


class Clock:
    """Time that only moves when a test moves it (starting now, so real JWT libraries agree)."""

    def __init__(self, now: float | None = None):
        self.now = float(int(time.time())) if now is None else now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@functools.cache
def _botocore_session():
    """One botocore session for the whole run: its loader reads each service model once,
    instead of once per test (moto intercepts clients of any session made after its import)."""
    import botocore.session

    return botocore.session.get_session()


@pytest.fixture
def aws(monkeypatch):
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.session.Session(botocore_session=_botocore_session())


@pytest.fixture
def settings(aws) -> Settings:
    env = provision(aws, PREFIX, "alias/test")
    env["PUBLIC_BASE_URL"] = BASE_URL
    env.update(CHEAP_PASSWORDS)
    return Settings.from_env(env)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(aws, settings, clock) -> service.Services:
    return service.build(
        settings, aws.client("dynamodb"), aws.client("sns"), aws.client("kms"), clock, secrets
    )


@pytest.fixture
def tenant(svc):
    """A tenant 'acme' with a confidential web client and a public (PKCE) client."""
    created = admin.create_tenant(svc, "acme", "Acme Corp", Policy())
    web = admin.add_client(svc, "acme", "acme-web", "Acme Portal", ["https://app.acme.test/cb"])
    spa = admin.add_client(
        svc, "acme", "acme-spa", "Acme SPA", ["http://127.0.0.1:9000/cb"], public=True
    )
    return {
        **created,
        "client_id": web["client_id"],
        "client_secret": web["client_secret"],
        "public_client_id": spa["client_id"],
    }


@pytest.fixture
def new_account(svc, tenant):
    def make(
        username: str = "alice@acme.test",
        kind: AccountKind = AccountKind.WORK,
        tenant_id: str = "acme",
    ) -> dict:
        account = admin.create_account(svc, tenant_id, username, kind)
        code = admin.issue_activation_code(svc, tenant_id, username)
        return {**account, "activation_code": code["activation_code"]}

    return make


def pytest_configure(config):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def pytest_sessionstart(session):
    """Record the AWS calls the function makes in the API suite, for the role's check in
    tests/e2e/test_terraform.py (tests/aws_calls.py)."""
    from tests import aws_calls

    plugin = aws_calls.ApiSuite(session.config.rootpath, _botocore_session, PREFIX)
    session.config.pluginmanager.register(plugin, aws_calls.PLUGIN_NAME)


@pytest.fixture(scope="session")
def api_suite_calls(request, tmp_path_factory):
    """The AWS calls the function made in the API suite (tests/aws_calls.py), with the
    suite's failed tests: for the checks of the function's role."""
    from tests import aws_calls

    return aws_calls.of_the_api_suite(request.config, tmp_path_factory.mktemp("aws-calls"))
