"""A number in a form is one to six ASCII digits. Python's str.isdigit() also takes '²', '٣'
and '３', which int() then refuses (a 500, as CIBA's requested_expiry once gave) or reads as
a number nobody typed; and int() of thousands of digits is work an attacker chooses."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

NOT_SECONDS = {
    "superscript two": "\u00b2",
    "superscripts": "\u00b9\u00b2\u00b3",
    "Arabic-Indic 30": "\u0663\u0660",
    "Persian 30": "\u06f3\u06f0",
    "fullwidth 30": "\uff13\uff10",
    "Devanagari 60": "\u096c\u0966",
    "mathematical bold 30": "\U0001d7d1\U0001d7ce",
    "circled five": "\u2464",
    "ASCII and Arabic-Indic": "3\u0660",
    "10**400": str(10**400),
    "seven digits": "1234567",
    "seven with leading zeros": "0000060",
    "zero": "0",
    "negative": "-1",
    "exponent": "1e9",
    "fraction": "1.5",
    "hexadecimal": "0x10",
    "sign": "+60",
    "spaces": " 60 ",
}


@pytest.fixture
def backchannel(api, tenant):
    def send(requested_expiry: str) -> tuple[int, dict]:
        form = {
            "scope": "openid",
            "login_hint": "nobody@acme.test",
            "requested_expiry": requested_expiry,
            "client_id": tenant["client_id"],
            "client_secret": tenant["client_secret"],
        }
        response = api.http.post(
            "/t/acme/bc-authorize",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode(form),
        )
        return response.status_code, response.json_body

    return send


@pytest.mark.parametrize("value", NOT_SECONDS.values(), ids=NOT_SECONDS.keys())
def test_requested_expiry_that_is_not_one_to_six_ascii_digits_is_refused(
    backchannel, snapshot, value
):
    """Defence: `usecases/ciba.py` `_seconds`: ASCII digits only (`[0-9]`, not isdigit()), at
    most six of them, at least 1."""
    before = snapshot()

    status, body = backchannel(value)

    assert (status, body["error"]) == (400, "invalid_request"), body
    assert "requested_expiry" in body["error_description"]
    assert snapshot() == before


@pytest.mark.parametrize(("value", "seconds"), [("60", 60), ("000060", 60), ("1", 1)])
def test_requested_expiry_in_ascii_digits_shortens_the_request(backchannel, value, seconds):
    """The control: the same request with ASCII digits is taken."""
    status, body = backchannel(value)
    assert (status, body["expires_in"]) == (200, seconds), body


def test_requested_expiry_cannot_lengthen_the_request(backchannel):
    status, body = backchannel("999999")
    assert (status, body["expires_in"]) == (200, 120), body  # the tenant's signin_seconds
