"""The admin CLI as an operator meets it: an environment it cannot work in, a refusal and a
usage mistake are each answered in one line on stderr that says what to do, never a
traceback; every command explains itself in --help; money is printed as exact decimals."""

from __future__ import annotations

import argparse
import json
import os
import socket

import pytest

from chalicelib import service
from chalicelib.adapters import aws as aws_clients
from chalicelib.domain.metering import day_of
from tools import admin as admin_cli
from tools.admin import arguments

# Taken at collection, before any session fixture replaces it.
BUILD_FROM_ENVIRONMENT = service.get
SETTINGS = ("TABLE_PREFIX", "KMS_KEY_ID", "PUBLIC_BASE_URL", "TENANT_CACHE_SECONDS")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
REGION = {"AWS_DEFAULT_REGION": "us-east-1"}
DEPLOYMENT = {
    "TABLE_PREFIX": "phonesignin-prod-",
    "KMS_KEY_ID": "alias/phonesignin-prod-tenants",
    "PUBLIC_BASE_URL": "https://signin.example.test",
}


@pytest.fixture
def shell(monkeypatch, tmp_path):
    """An operator's shell with nothing set: no AWS variables or files, no settings. The CLI
    builds its services from the environment, as `python -m tools.admin` does."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name in SETTINGS:
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role to ask for
    # The CLI's own service.get, even after tests/e2e's session has put its stack's in place.
    monkeypatch.setattr(service, "get", BUILD_FROM_ENVIRONMENT)
    service.get.cache_clear()
    aws_clients.reset()
    yield monkeypatch
    service.get.cache_clear()
    aws_clients.reset()


@pytest.fixture
def cli(capsys):
    """Run the CLI: (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = admin_cli.main(list(argv))
        except SystemExit as exited:  # argparse
            code = exited.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def one_line(err: str) -> str:
    assert "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith("admin: ")
    return line


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- An environment the CLI cannot work in: exit 2, and what to set ----------------------------


UNREACHABLE = "http://127.0.0.1:{port}"
ENVIRONMENTS = [
    pytest.param(
        {**CREDENTIALS, **REGION},
        ["PUBLIC_BASE_URL", "TABLE_PREFIX", "KMS_KEY_ID"],
        id="no settings",
    ),
    pytest.param(
        {**DEPLOYMENT, **CREDENTIALS}, ["AWS_DEFAULT_REGION", "e.g. us-east-1"], id="no region"
    ),
    pytest.param(
        {**DEPLOYMENT, **CREDENTIALS, "AWS_DEFAULT_REGION": "us east"},
        ["AWS_DEFAULT_REGION"],
        id="a region that is no region",
    ),
    pytest.param(
        {**DEPLOYMENT, **REGION},
        ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"],
        id="no credentials",
    ),
    pytest.param(
        {**DEPLOYMENT, **REGION, "AWS_PROFILE": "nobody"},
        ["AWS_PROFILE"],
        id="a profile that does not exist",
    ),
    pytest.param(
        {**DEPLOYMENT, **REGION, **CREDENTIALS, "AWS_ENDPOINT_URL": UNREACHABLE},
        ["AWS_ENDPOINT_URL", UNREACHABLE],
        id="an endpoint nobody answers",
    ),
    pytest.param(
        {**DEPLOYMENT, **REGION, **CREDENTIALS, "TENANT_CACHE_SECONDS": "soon"},
        ["TENANT_CACHE_SECONDS"],
        id="a setting that is not a number",
    ),
]


@pytest.mark.parametrize(("env", "names"), ENVIRONMENTS)
def test_a_missing_or_wrong_environment_is_one_line_naming_what_to_set(shell, cli, env, names):
    """Needs `environment.explain` and `settings_problem`: without them, each case is a
    traceback (KeyError, NoRegionError, NoCredentialsError, EndpointConnectionError ...) that
    does not say which variable to set."""
    port = closed_port()
    for name, value in env.items():
        shell.setenv(name, value.format(port=port))

    code, out, err = cli("show-tenant", "acme")

    assert (code, out) == (2, "")
    line = one_line(err)
    for name in names:
        assert name.format(port=port) in line, line


def test_tables_that_are_not_there_name_the_prefix_looked_for(shell, cli, settings):
    """Needs the ResourceNotFoundException case: the operator learns which prefix the CLI used
    (the default one, when TABLE_PREFIX is unset) and in which region."""
    for name, value in {**DEPLOYMENT, **REGION, **CREDENTIALS}.items():
        shell.setenv(name, value)

    code, _, err = cli("show-tenant", "acme")
    shell.delenv("TABLE_PREFIX")
    service.get.cache_clear()
    unset = cli("show-tenant", "acme")

    assert code == 2
    assert "'phonesignin-prod-' in us-east-1" in one_line(err)
    assert "TABLE_PREFIX" in one_line(err)
    assert unset[0] == 2
    assert "TABLE_PREFIX unset: default phonesignin-" in one_line(unset[2])


def test_a_kms_key_that_is_not_there_is_named_and_no_tenant_is_half_made(shell, cli, settings):
    """Needs the NotFoundException case, and `flows.create_tenant` making the data key before it
    writes the tenant: otherwise the tenant is stored without keys, and the retry with the
    right KMS_KEY_ID is refused as tenant_exists."""
    env = {**DEPLOYMENT, **REGION, **CREDENTIALS, "TABLE_PREFIX": settings.table_prefix}
    for name, value in env.items():
        shell.setenv(name, value)

    code, _, err = cli("create-tenant", "globex", "Globex")
    shell.setenv("KMS_KEY_ID", settings.kms_key_id)
    service.get.cache_clear()
    retried = cli("create-tenant", "globex", "Globex")

    assert code == 2
    assert "alias/phonesignin-prod-tenants" in one_line(err)
    assert "KMS_KEY_ID" in one_line(err)
    assert retried[0] == 0, retried
    assert json.loads(retried[1])["issuer"] == "https://signin.example.test/t/globex"


# --- Refusals (exit 1) and usage mistakes (exit 2): one line each -------------------------------


@pytest.fixture
def wired(svc, monkeypatch):
    monkeypatch.setattr(service, "get", lambda: svc)


NEW_CLIENT = ["add-client", "acme", "acme-x", "X", "https://x.example/cb"]
MISTAKES = [
    (["show-tenant", "nobody"], 1, "unknown_tenant"),
    (["activation-code", "acme", "nobody@acme.test"], 1, "No such account"),
    (["add-client", "acme", "acme-x", "X", "http://x.example/cb"], 1, "must use https"),
    ([*NEW_CLIENT, "--id-token-alg", "HS256"], 2, "--id-token-alg"),
    ([*NEW_CLIENT, "--post-logout-redirect-uri", "https://x.example/b#t"], 1, "without a fragment"),
    ([*NEW_CLIENT, "--backchannel-logout-uri", "http://x.example/logout"], 1, "must use https"),
    (["usage", "acme", "--from", "2026-02-30", "--to", "2026-03-01"], 1, "YYYY-MM-DD"),
    (["set-policy", "acme", "--signin-seconds", "5"], 1, "signin_seconds"),
    (["bill", "acme", "--from", "2026-01-01", "--to", "2026-01-31", "--price", "1,5"], 2, "USD"),
    (["bill", "acme"], 2, "--from, --to, --price"),
    (["set-policy", "acme", "--max-pending", "three"], 2, "--max-pending"),
    (["no-such-command"], 2, "invalid choice"),
    ([], 2, "COMMAND"),
]


@pytest.mark.parametrize(("argv", "code", "says"), MISTAKES)
def test_a_refusal_or_a_usage_mistake_is_one_line(wired, tenant, cli, argv, code, says):
    """Needs `_Parser.error`: argparse would print its whole usage before the error."""
    answered, out, err = cli(*argv)

    assert (answered, out) == (code, "")
    assert says in one_line(err)
    if code == 2:
        assert "--help" in one_line(err)


def test_a_client_registers_its_id_token_algorithm_and_logout_uris(wired, tenant, cli):
    """add-client takes the whole registration, show-tenant shows it, and registering the id
    again replaces it whole (what was left out goes back to its default)."""
    code, out, _ = cli(
        "add-client", "acme", "acme-x", "X", "https://x.example/cb",
        "--id-token-alg", "ES256",
        "--post-logout-redirect-uri", "https://x.example/bye",
        "--post-logout-redirect-uri", "http://127.0.0.1:8080/bye",
        "--backchannel-logout-uri", "https://x.example/logout",
        "--backchannel-logout-session-required", "off",
    )  # fmt: skip
    assert code == 0
    added = json.loads(out)
    assert (added["id_token_signed_response_alg"], added["backchannel_logout_uri"]) == (
        "ES256", "https://x.example/logout"
    )  # fmt: skip

    shown = json.loads(cli("show-tenant", "acme")[1])["clients"]["acme-x"]
    again = json.loads(cli("add-client", "acme", "acme-x", "X", "https://x.example/cb")[1])

    assert shown == {
        "name": "X",
        "redirect_uris": ["https://x.example/cb"],
        "public": False,
        "id_token_signed_response_alg": "ES256",
        "post_logout_redirect_uris": ["https://x.example/bye", "http://127.0.0.1:8080/bye"],
        "backchannel_logout_uri": "https://x.example/logout",
        "backchannel_logout_session_required": False,
    }
    assert again["id_token_signed_response_alg"] == "RS256"
    assert again["post_logout_redirect_uris"] == [] and again["backchannel_logout_uri"] is None
    assert again["backchannel_logout_session_required"] is True


# --- --help, and money ------------------------------------------------------------------------


def test_every_command_has_a_summary_a_description_and_help_for_each_argument():
    """Needs `arguments.parser`'s texts: `--help` lists every command with a line, and each
    command's own --help says what it does and what each argument means."""
    parser = arguments.parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    summaries = {action.dest: action.help for action in commands._choices_actions}

    assert set(summaries) == set(commands.choices)
    listed = parser.format_help()
    for name, command in commands.choices.items():
        assert summaries[name] and name in listed
        assert command.description, name
        for action in command._actions:
            assert action.help, f"{name} {action.dest}"
    assert "AWS_DEFAULT_REGION" in listed


def test_the_bill_prints_money_as_decimal_usd_rounded_half_up_to_the_cent(
    wired, svc, tenant, clock, cli
):
    """Needs Decimal from --price to the printed amount: as floats, 12.495 is
    12.4949999..., and the bill would say 12.49 (or 12.495000000000001)."""
    today = day_of(clock())
    svc.usage.add("acme", today, 0, {"tokens_issued": 1})

    code, out, err = cli("bill", "acme", "--from", today, "--to", today, "--price", "12.495")

    assert code == 0, err
    bill = json.loads(out)
    assert bill["billable_signins"] == 1
    assert bill["amount"] == "12.50 USD"
    assert bill["price_per_signin"] == "12.495 USD"
    assert bill["aws_cost_per_signin"] == "0.0000174 USD"
    assert bill["estimated_aws_cost"] == "0.00 USD"
