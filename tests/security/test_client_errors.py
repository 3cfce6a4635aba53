"""Client authentication at the token and CIBA endpoints answers every failure alike, so the
answer does not tell which client ids exist, nor which ones are public."""

from __future__ import annotations

import base64
from urllib.parse import quote, urlencode

import pytest

ENDPOINTS = {
    "token": {"grant_type": "authorization_code", "code": "x.y"},
    "bc-authorize": {"scope": "openid", "login_hint": "alice@acme.test"},
}
METHODS = ("basic", "form")


def failing_clients(tenant, globex) -> dict[str, tuple[str, str]]:
    return {
        "unknown client": ("acme-nobody", "a-secret"),
        "wrong secret": (tenant["client_id"], "not-the-secret"),
        "right secret, one character short": (tenant["client_id"], tenant["client_secret"][:-1]),
        "a secret sent for a public client": (tenant["public_client_id"], "a-secret"),
        "another tenant's client and secret": (globex["client_id"], globex["client_secret"]),
    }


def send(api, endpoint: str, method: str, client: tuple[str, str]):
    """(status, body, WWW-Authenticate) of a request authenticated by `method`."""
    form = dict(ENDPOINTS[endpoint])
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if method == "basic":
        pair = f"{quote(client[0], safe='')}:{quote(client[1], safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form.update(client_id=client[0], client_secret=client[1])
    response = api.http.post(f"/t/acme/{endpoint}", headers=headers, body=urlencode(form))
    return response.status_code, response.body, response.headers.get("WWW-Authenticate")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_unknown_client_and_a_failed_authentication_get_one_answer(
    api, tenant, globex, alice, snapshot, endpoint
):
    """Defence: `usecases/client_auth.py` `authenticate_client` answers an unknown client, a wrong
    secret and a public client's secret with the same InvalidClient (`tenants.py`
    `Client.authenticate` too)."""
    before = snapshot()

    answers = {
        (case, method): send(api, endpoint, method, client)
        for case, client in failing_clients(tenant, globex).items()
        for method in METHODS
    }

    assert len(set(answers.values())) == 1, answers
    status, body, challenge = next(iter(answers.values()))
    assert status == 401
    assert body == b'{"error":"invalid_client","error_description":"Client authentication failed."}'
    assert challenge == 'Basic realm="token"'
    assert snapshot() == before


@pytest.mark.parametrize("method", METHODS)
def test_the_right_secret_still_gets_past_client_authentication(api, tenant, method):
    """The control: the same requests with the client's own secret get past it (and are
    refused for their made-up code instead)."""
    client = (tenant["client_id"], tenant["client_secret"])
    status, body, challenge = send(api, "token", method, client)
    assert status == 400 and b"invalid_client" not in body, body
    assert challenge is None
