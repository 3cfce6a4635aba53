"""The enrolment link the security-info page's QR code encodes (chalicelib/domain/enrolment.py)."""

from __future__ import annotations

import pytest

from chalicelib.domain import enrolment
from chalicelib.errors import InvalidRequest

CODE = "ABCD-EFGH-JKMN-PQRS"


def test_the_code_travels_in_the_fragment_and_comes_back_with_its_issuer():
    """Needs the code in the fragment: a browser never sends it, so a link opened in a
    browser leaves the code in no server's access log."""
    made = enrolment.link("https://signin.example/base/t/acme", CODE)

    assert made == f"https://signin.example/base/t/acme/enrol#code={CODE}"
    parsed = enrolment.parse_link(made)
    assert (parsed.issuer, parsed.tenant_id, parsed.code) == (
        "https://signin.example/base/t/acme",
        "acme",
        CODE,
    )


def test_a_code_in_a_link_is_read_the_way_people_type_it():
    """Needs the activation code's normalisation in parse_link (a pasted link may be retyped)."""
    parsed = enrolment.parse_link(" https://s.example/t/acme/enrol#code=abcd efgh jkmn pqrs ")

    assert parsed.code == CODE


@pytest.mark.parametrize(
    "text",
    [
        "",
        "https://s.example/t/acme/enrol",  # no code
        f"https://s.example/t/acme/enrol?code={CODE}",  # in the query: it would be logged
        f"https://s.example/t/acme/enrol?x=1#code={CODE}",
        f"ftp://s.example/t/acme/enrol#code={CODE}",
        f"https://s.example/t/ACME/enrol#code={CODE}",  # not a tenant id
        f"https://s.example/acme/enrol#code={CODE}",  # no /t/
        f"https://s.example/t/acme/other#code={CODE}",
        "https://s.example/t/acme/enrol#code=TOO-SHORT",
        f"https:///t/acme/enrol#code={CODE}",
        "https://s.example/t/acme/enrol#code=" + "A" * 600,
        None,
    ],
)
def test_anything_else_is_refused_with_a_reason(text):
    """Needs parse_link's checks: the phone must not send a code to a host or tenant the link
    does not clearly name, nor accept a code carried where servers log it."""
    with pytest.raises(InvalidRequest):
        enrolment.parse_link(text)


@pytest.mark.parametrize("seconds", [5 * 60, 24 * 3600, 7 * 86400])
def test_validity_between_five_minutes_and_seven_days_is_accepted(seconds):
    """The bounds themselves are valid: check_validity refuses only outside them."""
    assert enrolment.check_validity(seconds) == seconds


@pytest.mark.parametrize("seconds", [0, 5 * 60 - 1, 7 * 86400 + 1])
def test_validity_outside_five_minutes_to_seven_days_is_refused(seconds):
    """Needs check_validity: a code is a bearer secret in transit."""
    with pytest.raises(InvalidRequest):
        enrolment.check_validity(seconds)
