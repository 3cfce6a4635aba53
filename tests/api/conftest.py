"""The Chalice app through its test client, wired to the in-process moto back end."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

import pytest
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import ec

import app as app_module
from authenticator.device_api import DeviceApi, device_id
from chalicelib import service


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


@dataclass
class TestPhone:
    api: DeviceApi
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    installation_id: str = field(default_factory=lambda: "inst-" + secrets.token_hex(8))
    enrolment: dict | None = None

    @property
    def device_id(self) -> str:
        return device_id(self.key)

    def enrol(self, code: str, **kwargs) -> tuple[int, dict]:
        kwargs.setdefault("platform", "ios")
        kwargs.setdefault("installation_id", self.installation_id)
        status, body = self.api.enrol(self.key, activation_code=code, **kwargs)
        if status == 200:
            self.enrolment = body
        return status, body

    def pending(self):
        return self.api.pending(self.key)

    def respond(self, signin_id: str, decision: str = "approve", number: int | None = None):
        return self.api.respond(self.key, signin_id, decision, number)


@pytest.fixture
def make_phone(post, tenant, clock):
    def make(tenant_id: str = "acme", issuer: str | None = None) -> TestPhone:
        issuer = issuer or f"https://signin.example.test/t/{tenant_id}"
        return TestPhone(DeviceApi(post, tenant_id, issuer, clock))

    return make
