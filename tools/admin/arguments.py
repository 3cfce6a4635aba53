"""The admin CLI's command line: every command, its arguments, and the help for each.

`python -m tools.admin --help` lists the commands with a line each and the environment they
need; `python -m tools.admin COMMAND --help` describes one command and each of its arguments.
A usage mistake is answered in one line that points at that help.
"""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from chalicelib.domain.passwords import MAX_LENGTH, MIN_LENGTH
from chalicelib.domain.tenants import (
    DEFAULT_ID_TOKEN_ALG,
    DEFAULT_SIGNIN_SECONDS,
    KEY_OVERLAP_SECONDS,
    LIMITS,
    MAX_SIGNIN_SECONDS,
    MIN_SIGNIN_SECONDS,
    SIGNING_ALGS,
    NumberMatch,
    Policy,
)
from tools.admin import environment
from tools.admin import flows as admin

DESCRIPTION = (
    "The admin CLI: tenants, policy, clients, accounts, phones, usage, bills and the audit log."
)
# AWS cost of one complete sign-in behind an HTTP API, from `make bench` (docs/performance.md).
AWS_COST_PER_SIGNIN = Decimal("0.0000174")
TENANT = "the tenant's id (3-32 characters of a-z, 0-9 and '-'; the /t/<id> of its issuer)"
USERNAME = "the account's username, e.g. alice@acme.example"


class _Parser(argparse.ArgumentParser):
    """A usage mistake in one line that points at --help (argparse would print the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"admin: {message} (see {self.prog} --help)\n")


def _on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError("on or off")
    return text == "on"


def _usd(text: str) -> Decimal:
    """An amount of US dollars, kept exact: 0.1 is one tenth, not 0.1000000000000000055."""
    refused = argparse.ArgumentTypeError(f"{text!r} is not an amount of USD, e.g. 0.002")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise refused from None
    if not amount.is_finite() or amount < 0:
        raise refused
    return amount


def _policy_args(p: argparse.ArgumentParser) -> None:
    """Options left out keep their current value (set-policy) or the default (create-tenant)."""
    defaults = Policy()
    on_off = {True: "on", False: "off"}
    p.add_argument(
        "--phone-signin", type=_on_off, metavar="on|off",
        help=f"offer sign-in with the phone (off: password only); default "
        f"{on_off[defaults.phone_signin]}",
    )  # fmt: skip
    p.add_argument(
        "--signin-seconds", type=int, metavar="SECONDS",
        help=f"how long a sign-in waits for the phone, {MIN_SIGNIN_SECONDS}-{MAX_SIGNIN_SECONDS}; "
        f"default {DEFAULT_SIGNIN_SECONDS}",
    )  # fmt: skip
    p.add_argument(
        "--number-match",
        choices=[m.value for m in NumberMatch],
        help=f"how the phone matches the page's number; default {defaults.number_match.value}",
    )
    p.add_argument(
        "--two-step", type=_on_off, metavar="on|off",
        help="a password sign-in also needs the phone or a code from the app; default "
        f"{on_off[defaults.require_two_step]}",
    )  # fmt: skip
    p.add_argument(
        "--password-only-accounts", type=_on_off, metavar="on|off",
        help="a person may remove their last phone or passkey on the security-info page and "
        f"keep only a password; default {on_off[defaults.password_only_accounts]}",
    )  # fmt: skip
    p.add_argument(
        "--passkeys", type=_on_off, metavar="on|off",
        help="people may sign in with a passkey on the sign-in page and register one on the "
        f"security-info page; default {on_off[defaults.passkeys]}",
    )  # fmt: skip
    # Push fatigue, per account, and single sign-on (ranges: chalicelib/domain/tenants.py LIMITS).
    for name, text in (
        ("pushes_per_minute", "pushes per account per minute (a recognised browser: its own)"),
        ("pushes_per_day", "pushes per account per day (a recognised browser: its own)"),
        ("max_pending", "pushed sign-ins waiting for one account at once"),
        ("deny_lock_after", "denials or wrong numbers in a row that lock phone sign-in"),
        ("lock_seconds", "how long phone sign-in stays locked (its sign-ins are held)"),
        ("session_idle_seconds", "a browser's sign-in session ends unused this long"),
        ("session_max_seconds", "a browser's sign-in session ends this long after the sign-in"),
    ):
        low, high = LIMITS[name]
        flag = "--" + name.replace("_", "-")
        p.add_argument(
            flag, type=int, dest=name, metavar="N",
            help=f"{text}, {low}-{high}; default {getattr(defaults, name)}",
        )  # fmt: skip


def _registration_args(c: argparse.ArgumentParser) -> None:
    """A client's registration beyond its redirect URIs (OIDC Dynamic Client Registration 1.0
    section 2, RP-Initiated and Back-Channel Logout 1.0)."""
    c.add_argument(
        "--id-token-alg", dest="id_token_signed_response_alg", choices=SIGNING_ALGS,
        default=DEFAULT_ID_TOKEN_ALG,
        help="the ID tokens' signing algorithm (id_token_signed_response_alg); default "
        "%(default)s, as OpenID Connect's registration defaults it",
    )  # fmt: skip
    c.add_argument(
        "--post-logout-redirect-uri", dest="post_logout_redirect_uris", action="append",
        default=[], metavar="URI",
        help="where the app may send a person after logout, matched exactly; as redirect URIs "
        "(https, or http on loopback; no fragment); repeat for several",
    )  # fmt: skip
    c.add_argument(
        "--backchannel-logout-uri", metavar="URI",
        help="where the service tells the app, server to server, that a session ended: https, "
        "or http on loopback",
    )  # fmt: skip
    c.add_argument(
        "--backchannel-logout-session-required", type=_on_off, default=True, metavar="on|off",
        help="the app needs the session id (sid) in each logout token; default on",
    )  # fmt: skip


def _command(sub, name: str, summary: str, details: str = "", *, account: bool = False):
    """A subcommand: `summary` is its line in --help, and starts its own --help."""
    p = sub.add_parser(
        name, help=summary, description=f"{summary[0].upper()}{summary[1:]}. {details}"
    )
    p.add_argument("tenant_id", metavar="TENANT", help=TENANT)
    if account:
        p.add_argument("username", metavar="USERNAME", help=USERNAME)
    return p


def _period(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from", dest="first_day", required=True, metavar="YYYY-MM-DD", help="first day (UTC)"
    )
    p.add_argument(
        "--to", dest="last_day", required=True, metavar="YYYY-MM-DD",
        help="last day (UTC), inclusive; at most a year after the first",
    )  # fmt: skip


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m tools.admin",
        description=DESCRIPTION,
        epilog=environment.HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, title="commands", metavar="COMMAND")
    t = _command(
        sub, "create-tenant", "create a tenant; policy options left out: the defaults",
        "Its KMS data key and first signing key are made at once; prints its issuer and kid.",
    )  # fmt: skip
    t.add_argument("name", metavar="NAME", help='the tenant\'s name, e.g. "Acme Corp"')
    _policy_args(t)
    s = _command(
        sub, "set-policy", "change a tenant's policy; options left out stay",
        "Running containers apply it within TENANT_CACHE_SECONDS (60 by default).",
    )  # fmt: skip
    _policy_args(s)
    _command(sub, "show-tenant", "a tenant's issuer, policy, clients and published keys")
    _command(
        sub, "rotate-key", "a new signing key; the old one stays published a while",
        f"The old key stays in the JWKS for {KEY_OVERLAP_SECONDS} s. Relying parties that "
        "fetch the JWKS for an unknown kid need do nothing.",
    )  # fmt: skip
    c = _command(
        sub, "add-client", "register an OIDC client, or again to change it; prints its secret once",
        "It works at once, on every running container. Registering an existing client id "
        "again replaces its registration whole (and a confidential client's secret).",
    )  # fmt: skip
    c.add_argument("client_id", metavar="CLIENT_ID", help="3-64 characters of A-Z a-z 0-9 . _ -")
    c.add_argument(
        "name",
        metavar="NAME",
        help=f"the app's name, shown on the phone (1-{admin.MAX_APP_NAME} characters)",
    )
    c.add_argument(
        "redirect_uris", nargs="+", metavar="REDIRECT_URI",
        help="exact redirect URIs: https, or http on 127.0.0.1, localhost or ::1; no fragment",
    )  # fmt: skip
    c.add_argument("--public", action="store_true", help="no secret; the client must use PKCE")
    _registration_args(c)
    a = _command(
        sub, "create-account", "create an account: work or school, or --personal",
        "A phone holds only one work or school account.", account=True,
    )  # fmt: skip
    a.add_argument("--personal", action="store_true", help="a personal account")
    _command(
        sub, "set-password", "set an account's password, read from stdin",
        f"The first line of stdin, {MIN_LENGTH}-{MAX_LENGTH} characters. It also starts the "
        "username's count of wrong passwords afresh.", account=True,
    )  # fmt: skip
    code = _command(
        sub, "activation-code", "a one-time code that enrols a phone, printed once",
        "Only the newest code works: a new one revokes the account's older unused ones.",
        account=True,
    )  # fmt: skip
    shortest, longest = admin.ACTIVATION_CODE_MIN_SECONDS, admin.ACTIVATION_CODE_MAX_SECONDS
    code.add_argument(
        "--valid-hours",
        type=float,
        default=admin.ACTIVATION_CODE_SECONDS / 3600,
        help=f"how long the code works, from {shortest // 60} minutes ({shortest / 3600:.4f}) "
        f"to {longest // 86400} days ({longest / 3600:g}); default %(default)g",
    )
    _command(
        sub, "recovery-codes", "ten one-time recovery codes, printed once",
        "For a person who lost every method, once their identity is checked out of band; "
        "each code signs in once on the sign-in page. Any older set stops working.",
        account=True,
    )  # fmt: skip
    _command(
        sub, "list-accounts", "a tenant's accounts",
        "It scans the whole accounts table: for administration, never a hot path.",
    )  # fmt: skip
    _command(
        sub, "index-subs", "name each account's username by its sub, where none does",
        "For accounts made before this item existed: without it their tokens and userinfo "
        "carry no preferred_username or email. It scans the accounts table; safe to repeat.",
    )  # fmt: skip
    _command(
        sub, "disable-account", "turn an account off: no sign-in at all",
        account=True,
    )  # fmt: skip
    _command(sub, "enable-account", "turn a disabled account on again", account=True)
    _command(
        sub, "end-sessions", "sign a person out of every browser",
        "Ends their single sign-on sessions at once; apps registered for back-channel logout "
        "are told. Their next app asks them to sign in.", account=True,
    )  # fmt: skip
    _command(sub, "list-devices", "an account's phones", account=True)
    rv = _command(
        sub, "revoke-device", "remove a phone: its record, claim and push endpoint",
        "For a lost, stolen or replaced phone; its next call is refused.",
    )  # fmt: skip
    rv.add_argument(
        "device_id", metavar="DEVICE_ID", help="the phone's device id, from list-devices"
    )
    _command(sub, "list-passkeys", "an account's passkeys", account=True)
    rp = _command(
        sub, "remove-passkey", "remove one of an account's passkeys",
        "For a lost device or security key; it no longer signs in. The security-info page's "
        "last-method rule does not apply here.", account=True,
    )  # fmt: skip
    rp.add_argument(
        "credential_id", metavar="CREDENTIAL_ID", help="the passkey's id, from list-passkeys"
    )
    _command(
        sub, "unlock-phone", "lift a lock of phone sign-in (denials, fraud report)",
        "It also forgets the run of denials and today's failed answers.", account=True,
    )  # fmt: skip
    rl = _command(
        sub, "reset-limits", "start an account's limit counts afresh",
        "Today's pushes and failed answers, and the password's and the codes' failures in a "
        "row. Containers that remembered a count as full ask again within 30 seconds.",
        account=True,
    )  # fmt: skip
    rl.add_argument(
        "--address", metavar="IP", help="also the starts from this IP address (its network) today"
    )
    u = _command(
        sub, "usage", "billable events per UTC day, and their total",
        "Containers add their counts every few seconds: report a period that has ended.",
    )  # fmt: skip
    _period(u)
    b = _command(
        sub, "bill", "what a tenant owes: completed sign-ins times --price",
        "Amounts are exact decimals in USD, the totals rounded to the cent (half up).",
    )  # fmt: skip
    _period(b)
    b.add_argument("--price", type=_usd, required=True, metavar="USD", help="USD per sign-in")
    b.add_argument(
        "--aws-cost", type=_usd, default=AWS_COST_PER_SIGNIN, metavar="USD",
        help="USD of AWS per sign-in, for the estimate beside the bill; default %(default)s "
        "(an HTTP API front, docs/performance.md)",
    )  # fmt: skip
    au = _command(sub, "audit", "a tenant's audit log, for a period of UTC days")
    _period(au)
    au.add_argument("--username", metavar="USERNAME", help="only this account's events")
    return p
