"""Odd Unicode in every field of every JSON endpoint: lone surrogates (which JSON can carry
as escapes but no UTF-8 can), text that is not UTF-8, NUL, bidi overrides, zero-width and
combining characters. And the other side of normalisation at the edge: a username typed in
any NFKC-equivalent form or case reaches the same account.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import (
    ALICE,
    ALICE_PASSWORD,
    FORM,
    FUZZ,
    JOSE,
    JSON_ENDPOINTS,
    headers_of,
    judge,
    path_of,
    valid_body,
)

SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
ODD = st.sampled_from(
    [
        "\x00",  # NUL
        "\x1b",  # escape
        "\u202e",  # right-to-left override
        "\u2066",  # left-to-right isolate
        "\u200b",  # zero-width space
        "\u200d",  # zero-width joiner
        "\ufeff",  # byte order mark
        "\u0301",  # combining acute accent
        "\u0338",  # combining long solidus overlay
        "\uffff",  # a noncharacter
        "\ue000",  # private use
        "\u2028",  # line separator
        "\u3000",  # ideographic space
        "\uff41",  # fullwidth a
        "\U0001f600",  # emoji (a surrogate pair in JSON's escapes)
        "\U000e0041",  # tag character
    ]
)


def send_json(world, endpoint: str, text: str | bytes):
    raw = text if isinstance(text, bytes) else text.encode("ascii")  # escapes only
    headers = {**headers_of(world, endpoint), "Content-Type": "application/json"}
    return judge(lambda: world.http.request("POST", path_of(world, endpoint), headers, raw))


def spliced(data, base: str, piece: st.SearchStrategy[str], label: str) -> str:
    where = data.draw(st.integers(0, len(base)), label=f"{label} at")
    return base[:where] + data.draw(piece, label=label) + base[where:]


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@settings(FUZZ, max_examples=12)
@given(data=st.data())
def test_a_lone_surrogate_anywhere_is_refused(world, endpoint, data):
    """In any member's value or name, a lone surrogate is 400 invalid_request: the edge
    refuses text that is not Unicode before anything uses it."""
    body = valid_body(world, endpoint)
    field = data.draw(st.sampled_from(sorted(body)), label="field")
    if data.draw(st.booleans(), label="in the name"):
        body[spliced(data, field, SURROGATES, "surrogate")] = body.pop(field)
    else:
        body[field] = spliced(data, str(body[field]), SURROGATES, "surrogate")
    status, _, text = send_json(world, endpoint, json.dumps(body))  # "\udXXX" escapes
    assert (status, json.loads(text)["error"]) == (400, "invalid_request"), text


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
def test_a_lone_surrogate_in_a_member_nobody_reads_is_refused_too(world, endpoint):
    """The device bodies take members they do not name (newer apps, older service): those
    members are still JSON the edge must refuse when it is not Unicode."""
    body = {**valid_body(world, endpoint), "x-newer-app": "\ud800"}
    status, _, text = send_json(world, endpoint, json.dumps(body))
    assert (status, json.loads(text)["error"]) == (400, "invalid_request"), text


BAD_UTF8 = st.sampled_from(
    [b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x82", b"\xff", b"\xf8\x88\x80\x80\x80", b"\x80"]
)


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@settings(FUZZ, max_examples=6)
@given(data=st.data())
def test_bytes_that_are_not_utf8_are_refused(world, endpoint, data):
    """UTF-8-encoded surrogates, overlong and truncated sequences, bytes never in UTF-8."""
    body = valid_body(world, endpoint)
    field = data.draw(st.sampled_from(sorted(body)), label="field")
    body[field] = "\x00MARK\x00"
    raw = json.dumps(body).encode().replace(b"\\u0000MARK\\u0000", data.draw(BAD_UTF8))
    status, _, text = send_json(world, endpoint, raw)
    assert (status, json.loads(text)["error"]) == (400, "invalid_request"), text


def refused_as_username(value: str) -> bool:
    """The Username schema's rule: after NFKC and case folding, no control or separator
    characters other than the space (and something left once the ends are trimmed)."""
    name = unicodedata.normalize("NFKC", value).casefold().strip()
    bad = any(unicodedata.category(c)[0] in "CZ" and c != " " for c in name)
    return bad or not name


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@settings(FUZZ, max_examples=15)
@given(data=st.data())
def test_odd_characters_in_any_field_are_answered_cleanly(world, endpoint, data):
    """NUL, bidi overrides, zero-width and combining characters and the like: any clean
    answer (judge), and a username carrying a control or separator character is refused."""
    body = valid_body(world, endpoint)
    field = data.draw(st.sampled_from(sorted(body)), label="field")
    body[field] = spliced(data, str(body[field]), ODD, "odd character")
    if data.draw(st.booleans(), label="twice"):
        body[field] = spliced(data, body[field], ODD, "another")
    status, _, text = send_json(world, endpoint, json.dumps(body))
    if field == "username" and refused_as_username(body[field]):
        assert (status, json.loads(text)["error"]) == (400, "invalid_request"), text


# --- Normalisation at the edge: one account, however its name is typed -------------------------


def fullwidth(c: str) -> str:
    return chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c


def mathematical_bold(c: str) -> str:
    if "a" <= c <= "z":
        return chr(0x1D41A + ord(c) - ord("a"))
    if "A" <= c <= "Z":
        return chr(0x1D400 + ord(c) - ord("A"))
    return c


def circled(c: str) -> str:
    return chr(0x24D0 + ord(c) - ord("a")) if "a" <= c <= "z" else c


SPELLINGS = [str, str.upper, fullwidth, mathematical_bold, circled]


@st.composite
def spelled(draw, username: str) -> str:
    """`username` with each character spelled in a compatibility or case variant, and its
    precomposed letters (é) sometimes decomposed (e + combining acute)."""
    out = []
    for c in username:
        form = draw(st.sampled_from(SPELLINGS))
        out.append(form(c))
    text = "".join(out)
    if draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    return text


GLOBEX_CALLBACK = "https://globex.test/cb"


def id_token_sub(id_token: str) -> str:
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def password_signin(world, username: str):
    body = {"client_id": world.globex["client"][0], "username": username}
    body |= {"password": ALICE_PASSWORD, "redirect_uri": GLOBEX_CALLBACK}
    headers = {**world.page_headers(), "Content-Type": "application/json"}
    raw = json.dumps(body).encode()
    return judge(lambda: world.http.request("POST", "/t/globex/password", headers, raw))


@pytest.mark.parametrize("username", [ALICE, JOSE])
@settings(FUZZ, max_examples=6)  # each is a scrypt check (~0.2 s)
@given(data=st.data())
def test_an_equivalent_spelling_of_a_username_reaches_the_same_account(world, username, data):
    typed = data.draw(spelled(username), label="typed")
    status, _, text = password_signin(world, typed)
    assert status == 200, (typed, text)
    answer = json.loads(text)
    assert (answer["status"], answer["method"]) == ("approved", "password"), answer
    # The relying party is told the same person: the ID token's sub is the account's.
    client_id, secret = world.globex["client"]
    form = {"grant_type": "authorization_code", "code": answer["code"]}
    form.update(client_id=client_id, client_secret=secret, redirect_uri=GLOBEX_CALLBACK)
    tokens = world.http.request(
        "POST", "/t/globex/token", {"Content-Type": FORM}, urlencode(form).encode()
    )
    assert tokens.status_code == 200, tokens.body
    assert id_token_sub(json.loads(tokens.body)["id_token"]) == world.globex["subs"][username]


@settings(FUZZ, max_examples=4)
@given(data=st.data())
def test_a_different_name_does_not(world, data):
    """The control: one character changed (not just respelled) is another, unknown name."""
    where = data.draw(st.integers(0, ALICE.index("@") - 1), label="where")
    other = data.draw(st.sampled_from("qxz").filter(lambda c: c != ALICE[where]), label="letter")
    typed = data.draw(spelled(ALICE[:where] + other + ALICE[where + 1 :]), label="typed")
    status, _, text = password_signin(world, typed)
    assert (status, json.loads(text)["error"]) == (401, "invalid_credentials"), text
