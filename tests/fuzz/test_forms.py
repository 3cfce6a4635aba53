"""Odd values in every field of the two OAuth forms: the token endpoint's (an authorization
code grant and a CIBA poll) and the backchannel request's, and unknown extra fields.

Unicode digits (Arabic-Indic, superscripts, fullwidth, Devanagari), huge and odd numbers,
very long text, control characters, bidi overrides, NUL, emoji, whitespace only, and bytes
that are not UTF-8 or spell a lone surrogate once percent-decoded. Hypothesis puts them in
place of, before or after each field's real value; explicit cases pin the answers that
matter. `judge` checks every answer: never a 5xx or a traceback, errors in the Error schema,
and nothing written when the answer is an error.

The forms carry real values wherever a field is not the one under test: the client's id and
secret, a code that was spent (so a request reaches the code's conditional write, and is
refused there), and the auth_req_id of a CIBA request that has expired (so a poll reaches the
sign-in, and is refused without writing its poll time).
"""

from __future__ import annotations

import json
from urllib.parse import quote, unquote_to_bytes, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.usecases.ciba import GRANT_TYPE as CIBA_GRANT
from tests.fuzz.conftest import ALICE, FORM, FUZZ, World, judge

NOBODY = "nobody@acme.test"  # a CIBA request for a person who does not exist: never pushed

UNICODE_DIGITS = [
    "\u0663\u0660",  # Arabic-Indic 30
    "\u06f3\u06f0",  # extended Arabic-Indic (Persian) 30
    "\u00b2",  # superscript two
    "\u00b9\u00b2\u00b3",  # superscripts 123
    "\uff13\uff10",  # fullwidth 30
    "\u0966\u0966\u096c\u0966",  # Devanagari 0060
    "\U0001d7d1\U0001d7ce",  # mathematical bold 30
    "\u2464",  # circled five
    "3\u0660",  # an ASCII digit then an Arabic-Indic zero
]
ODD_NUMBERS = [
    str(10**400),
    "-1",
    "0",
    "00",
    "1e9",
    "1.5",
    "0x10",
    "0o17",
    "0000060",  # leading zeros, seven digits
    "1234567",  # seven digits
    "+60",
    " 60",
    "60 ",
    "6 0",
    "1_000",
    "NaN",
    "inf",
    "60\x00",
]
ODD_TEXTS = [
    "x" * 10_000,  # long, yet the whole form stays under 16 KiB
    "\x00",
    "a\x00b",
    "\x1b[31mred",
    "line\nbreak",
    "tab\there",
    "\r\n",
    "\u202eevil",  # right-to-left override
    "\u2066isolated\u2069",
    "\u200e\u200f",  # direction marks
    "\u200b",  # zero-width space
    "\ufeff",
    "\U0001f600",  # emoji
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # emoji joined by zero-width joiners
    " ",
    "   ",
    "\t\n ",
    "\u3000",  # ideographic space
    "\u00a0",
    "\u2028",
    "\uffff",
    "\ue000",
]
# Already form-encoded: what percent-decodes to bytes that are not UTF-8, among them the
# UTF-8 spelling of lone surrogates, and escapes that are not escapes.
RAW = [
    "%ED%A0%80",  # U+D800
    "%ED%B0%80x",  # U+DC00, then text
    "%ED%A0%BD%ED%B8%80",  # a surrogate pair spelled as two lone surrogates
    "%C0%AF",  # overlong '/'
    "%FF%FE",
    "%E2%82",  # truncated
    "%F8%88%80%80%80",
    "%80",
    "%",
    "%zz",
    "%0",
    "a%00b",
    "%2",
]


def encoded(text: str) -> str:
    return quote(text, safe="")


VALUES = [*UNICODE_DIGITS, *ODD_NUMBERS, *ODD_TEXTS]
ODD = st.one_of(
    st.sampled_from(VALUES).map(encoded),
    st.sampled_from(RAW),
    st.text(max_size=40).map(encoded),
    st.integers(-(10**30), 10**30).map(str),
)

TOKEN_FIELDS = (
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "client_id",
    "client_secret",
    "auth_req_id",
)
CIBA_FIELDS = (
    "scope",
    "login_hint",
    "binding_message",
    "requested_expiry",
    "client_id",
    "client_secret",
)
EXTRA_FIELDS = (
    "acr_values",
    "login_hint_token",
    "id_token_hint",
    "user_code",
    "request",
    "client_notification_token",
    "x-unknown",
    "\u202escope",
    "scope\x00",
    "",
)


def token_form(world: World, held: dict, grant: str) -> dict[str, str]:
    """A token request, form-encoded field by field, refused only for a spent code or an
    expired CIBA request."""
    form = {"client_id": world.client[0], "client_secret": world.client[1]}
    if grant == "authorization_code":
        form.update(grant_type=grant, code=held["code"], redirect_uri=world.redirect_uri)
    else:
        form.update(grant_type=CIBA_GRANT, auth_req_id=held["auth_req_id"])
    return {name: encoded(value) for name, value in form.items()}


def ciba_form(world: World) -> dict[str, str]:
    form = {
        "scope": "openid",
        "login_hint": NOBODY,
        "binding_message": "Order 4711",
        "requested_expiry": "60",
        "client_id": world.client[0],
        "client_secret": world.client[1],
    }
    return {name: encoded(value) for name, value in form.items()}


def post_form(world: World, endpoint: str, form: dict[str, str]) -> tuple[int, dict, str]:
    raw = "&".join(f"{encoded(name)}={value}" for name, value in form.items()).encode("ascii")
    path = f"/t/acme/{endpoint}"
    return judge(lambda: world.http.request("POST", path, {"Content-Type": FORM}, raw))


def error_of(text: str) -> str:
    return json.loads(text)["error"]


def placed(data, form: dict[str, str], field: str, value: str) -> dict[str, str]:
    """`value` in place of the field's value, or before or after it."""
    real = form.get(field, "")
    where = data.draw(st.sampled_from(["instead", "before", "after"]), label="where")
    form = dict(form)
    form[field] = {"instead": value, "before": value + real, "after": real + value}[where]
    return form


@pytest.fixture(scope="module")
def held(world: World) -> dict:
    """A spent authorization code, and an expired CIBA request's auth_req_id."""
    world.clock.advance(61)  # past the world's own pushes' minute
    body = {"client_id": world.client[0], "username": ALICE, "redirect_uri": world.redirect_uri}
    status, started = post_json(world, "/t/acme/signin", body)
    assert status == 200 and started["method"] == "phone", started
    assert world.phone.respond(started["signin_id"], "approve", started["number"])[0] == 200
    path = f"/t/acme/signin/{started['signin_id']}/result"
    status, answer = post_json(world, path, {"secret": started["secret"]})
    assert status == 200 and answer["status"] == "approved", answer
    code = answer["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": world.redirect_uri}
    form.update(client_id=world.client[0], client_secret=world.client[1])
    assert send_form(world, "token", urlencode(form))[0] == 200  # now spent
    form = {"scope": "openid", "login_hint": NOBODY, "requested_expiry": "1"}
    form.update(client_id=world.client[0], client_secret=world.client[1])
    status, request = send_form(world, "bc-authorize", urlencode(form))
    assert status == 200, request
    world.clock.advance(2)  # expired
    return {"code": code, "auth_req_id": request["auth_req_id"]}


def post_json(world: World, path: str, body: dict) -> tuple[int, dict]:
    response = world.send("POST", path, body, **world.page_headers())
    return response.status_code, json.loads(response.body)


def send_form(world: World, endpoint: str, text: str) -> tuple[int, dict]:
    headers = {"Content-Type": FORM}
    response = world.http.request("POST", f"/t/acme/{endpoint}", headers, text.encode())
    return response.status_code, json.loads(response.body)


# --- Hypothesis: odd values anywhere -----------------------------------------------------------

TOKEN_CASES = [(g, f) for g in ("authorization_code", "ciba") for f in TOKEN_FIELDS]


@pytest.mark.parametrize(("grant", "field"), TOKEN_CASES)
@settings(FUZZ, max_examples=15)
@given(data=st.data())
def test_odd_values_in_the_token_form_are_answered_cleanly(world, held, grant, field, data):
    """The request never succeeds (the code is spent, the CIBA request expired), so it is
    an error, and writes nothing."""
    form = placed(data, token_form(world, held, grant), field, data.draw(ODD, label="value"))
    status, _, text = post_form(world, "token", form)
    assert 400 <= status < 500, text


@pytest.mark.parametrize("field", [*CIBA_FIELDS, "extra"])
@settings(FUZZ, max_examples=15)
@given(data=st.data())
def test_odd_values_in_the_backchannel_form_are_answered_cleanly(world, field, data):
    """Any answer, as long as it is clean (judge): a request that is taken is for nobody,
    so it pushes to no phone."""
    if field == "extra":
        field = data.draw(st.sampled_from(EXTRA_FIELDS) | st.text(max_size=20), label="name")
    form = placed(data, ciba_form(world), field, data.draw(ODD, label="value"))
    post_form(world, "bc-authorize", form)


# --- Explicit cases: the answers that matter -------------------------------------------------

NOT_SECONDS = [*UNICODE_DIGITS, *ODD_NUMBERS, "\U0001f600", "\x00", "x" * 10_000]


@pytest.mark.parametrize("value", NOT_SECONDS)
def test_requested_expiry_in_anything_but_one_to_six_ascii_digits_is_refused(world, value):
    form = {**ciba_form(world), "requested_expiry": encoded(value)}
    status, _, text = post_form(world, "bc-authorize", form)
    assert (status, error_of(text)) == (400, "invalid_request"), text


@pytest.mark.parametrize("raw", RAW)
def test_requested_expiry_that_is_not_utf8_is_refused(world, raw):
    status, _, text = post_form(
        world, "bc-authorize", {**ciba_form(world), "requested_expiry": raw}
    )
    assert (status, error_of(text)) == (400, "invalid_request"), text


NOT_USERNAMES = [
    "",
    " ",
    "\t\n ",
    "\u3000",
    "\x00",
    "alice\x00@acme.test",
    "alice@\nacme.test",
    "\u202ealice@acme.test",
    "alice\u200b@acme.test",
    "x" * 10_000,
]


@pytest.mark.parametrize("hint", NOT_USERNAMES)
def test_a_login_hint_that_cannot_be_a_username_is_refused(world, hint):
    form = {**ciba_form(world), "login_hint": encoded(hint)}
    status, _, text = post_form(world, "bc-authorize", form)
    assert (status, error_of(text)) == (400, "invalid_request"), text


NOT_BINDING_MESSAGES = [
    "\x00",
    "Order\x004711",
    "Order\n4711",
    "\u202eOrder 4711",
    "Order \u2066 4711",
    "\u200b",
    "\u3000",
    "x" * 65,
    "x" * 10_000,
]


@pytest.mark.parametrize("message", NOT_BINDING_MESSAGES)
def test_a_binding_message_the_phone_could_not_show_plainly_is_refused(world, message):
    form = {**ciba_form(world), "binding_message": encoded(message)}
    status, _, text = post_form(world, "bc-authorize", form)
    assert (status, error_of(text)) == (400, "invalid_binding_message"), text


def is_utf8(value: str) -> bool:
    try:
        unquote_to_bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


ODD_CREDENTIALS = [encoded(v) for v in ["", *UNICODE_DIGITS[:3], *ODD_TEXTS[:12]]] + RAW[:6]


@pytest.mark.parametrize("endpoint", ["token", "bc-authorize"])
@pytest.mark.parametrize("field", ["client_id", "client_secret"])
@pytest.mark.parametrize("value", ODD_CREDENTIALS)
def test_odd_client_credentials_are_invalid_client(world, held, endpoint, field, value):
    form = token_form(world, held, "ciba") if endpoint == "token" else ciba_form(world)
    status, _, text = post_form(world, endpoint, {**form, field: value})
    if not is_utf8(value):  # not UTF-8 once decoded: the form itself is refused (form_body)
        assert (status, error_of(text)) == (400, "invalid_request"), text
    else:
        assert (status, error_of(text)) == (401, "invalid_client"), text


GRANT_FIELDS = [
    ("authorization_code", "code"),
    ("authorization_code", "redirect_uri"),
    ("authorization_code", "code_verifier"),
    ("ciba", "auth_req_id"),
]


@pytest.mark.parametrize(("grant", "field"), GRANT_FIELDS)
@pytest.mark.parametrize("value", [encoded(v) for v in VALUES] + RAW)
def test_odd_grant_values_are_refused_as_the_request_or_the_grant(world, held, grant, field, value):
    status, _, text = post_form(world, "token", {**token_form(world, held, grant), field: value})
    assert status == 400 and error_of(text) in {"invalid_request", "invalid_grant"}, text
