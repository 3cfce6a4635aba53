"""`admin recovery-codes TENANT USERNAME`: ten codes for a person who lost every method, printed
once, that sign in on the page; the set replaces any older one and is audited as the admin's."""

from __future__ import annotations

import json

import pytest

from chalicelib import service
from chalicelib.domain.metering import day_of
from chalicelib.usecases import recovery_codes
from tools import admin as admin_cli

BASE_URL = "https://signin.example.test"
CSRF = {"Cookie": "psi_csrf=t", "X-CSRF-Token": "t", "Origin": BASE_URL}


@pytest.fixture
def cli(svc, monkeypatch, capsys):
    """The CLI on the test's services: (exit code, stdout, stderr)."""
    monkeypatch.setattr(service, "get", lambda: svc)

    def run(*argv: str) -> tuple[int, str, str]:
        code = admin_cli.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_the_codes_are_printed_once_and_each_signs_in_once(
    cli, new_account, svc, api, tenant, clock
):
    """Needs the command to hand the generated codes over (they are stored only as hashes,
    so nobody can print them again) and to replace the older set: without it, the person
    would get nothing usable, or a set someone else found on paper would keep working."""
    new_account("alice@acme.test")
    old = recovery_codes.generate(svc, "acme", "alice@acme.test", actor="self")

    code, out, err = cli("recovery-codes", "acme", "Alice@Acme.test")

    assert (code, err) == (0, "")
    printed = json.loads(out)
    assert printed["username"] == "alice@acme.test"
    assert printed["issuer"] == f"{BASE_URL}/t/acme"
    codes = printed["recovery_codes"]
    assert len(set(codes)) == 10 and not set(codes) & set(old)
    assert recovery_codes.remaining(svc, "acme", "alice@acme.test") == 10
    body = {"client_id": tenant["client_id"], "username": "alice@acme.test",
            "redirect_uri": "https://app.acme.test/cb"}  # fmt: skip
    headers = {"Content-Type": "application/json", **CSRF}

    def use(recovery_code: str) -> int:
        sent = json.dumps({**body, "code": recovery_code})
        return api.http.post("/t/acme/recovery", headers=headers, body=sent).status_code

    assert [use(codes[0]), use(codes[0]), use(old[0])] == [200, 401, 401]
    events = svc.audit.day("acme", day_of(int(clock())))
    made = sorted(e.actor for e in events if e.event == "recovery_codes_generated")
    assert made == ["admin", "self"]


def test_an_unknown_account_is_refused_in_one_line(cli, tenant, snapshot):
    """Needs generate to look the account up first: without it, codes for nobody."""
    before = snapshot()
    code, out, err = cli("recovery-codes", "acme", "nobody@acme.test")
    assert (code, out) == (1, "")
    assert err.strip() == "admin: not_found: No such account."
    assert snapshot() == before
