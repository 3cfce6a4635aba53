"""One complete phone sign-in through the HTTP API: the behaviour everything else guards."""

from __future__ import annotations

import base64

import jwt

CALLBACK = "https://app.acme.test/cb"


def test_complete_signin_issues_an_id_token_that_verifies_against_the_jwks(
    post, api, tenant, new_account, make_phone
):
    account = new_account("Alice@Acme.test")
    phone = make_phone()
    status, enrolled = phone.enrol(account["activation_code"], push_token="apns-token-1")
    assert status == 200, enrolled
    assert enrolled["push"] is True

    status, started = post(
        "/t/acme/signin",
        {
            "client_id": tenant["client_id"],
            "username": "alice@acme.test",
            "nonce": "n-1",
            "redirect_uri": CALLBACK,
        },
    )
    assert status == 200, started
    assert 10 <= started["number"] <= 99

    status, listed = phone.pending()
    assert status == 200, listed
    (waiting,) = listed["signins"]
    assert waiting["signin_id"] == started["signin_id"]
    assert waiting["number_match"] == "type"  # the default: the person types the number
    assert waiting["app"] == "Acme Portal"

    status, answer = phone.respond(started["signin_id"], "approve", started["number"])
    assert (status, answer) == (200, {"status": "approved"})

    status, result = post(
        f"/t/acme/signin/{started['signin_id']}/result", {"secret": started["secret"]}
    )
    assert status == 200 and result["status"] == "approved", result

    basic = base64.b64encode(f"{tenant['client_id']}:{tenant['client_secret']}".encode()).decode()
    response = api.http.post(
        "/t/acme/token",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Basic {basic}",
        },
        body=f"grant_type=authorization_code&code={result['code']}&redirect_uri={CALLBACK}",
    )
    assert response.status_code == 200, response.body
    tokens = response.json_body
    jwks = api.http.get("/t/acme/jwks.json").json_body
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(tokens["id_token"])["kid"]]
    claims = jwt.decode(
        tokens["id_token"],
        key.key,
        algorithms=["ES256"],
        audience=tenant["client_id"],
        issuer="https://signin.example.test/t/acme",
    )
    assert claims["sub"] == account["sub"]
    assert claims["nonce"] == "n-1"
    assert {"mfa", "hwk"} <= set(claims["amr"])
