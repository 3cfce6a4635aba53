"""The admin CLI: tenants, policy, clients, accounts, phones, usage, bills and the audit log.

    python -m tools.admin create-tenant acme "Acme Corp" [--phone-signin off]
    python -m tools.admin set-policy acme --phone-signin on --two-step on
    python -m tools.admin set-policy acme --number-match strict --pushes-per-minute 2 \
        --pushes-per-day 20 --max-pending 2 --deny-lock-after 3 --lock-seconds 1800
    python -m tools.admin add-client acme acme-web "Acme Portal" https://app.acme.example/cb
    python -m tools.admin create-account acme alice@acme.example [--personal]
    python -m tools.admin activation-code acme alice@acme.example [--valid-hours 24]
    echo 'a long passphrase' | python -m tools.admin set-password acme alice@acme.example
    python -m tools.admin rotate-key acme
    python -m tools.admin show-tenant acme
    python -m tools.admin list-accounts acme | disable-account acme bob@acme.example
    python -m tools.admin list-devices acme alice@acme.example | revoke-device acme DEVICE_ID
    python -m tools.admin unlock-phone acme alice@acme.example
    python -m tools.admin reset-limits acme alice@acme.example [--address 203.0.113.7]
    python -m tools.admin usage acme --from 2026-11-01 --to 2026-11-30
    python -m tools.admin bill acme --from 2026-11-01 --to 2026-11-30 --price 0.002
    python -m tools.admin audit acme --from 2026-11-26 --to 2026-11-26 [--username alice@...]

It talks to AWS through the same settings as the service (TABLE_PREFIX, KMS_KEY_ID, ...);
set AWS_ENDPOINT_URL to use a local moto server. Secrets are printed once and never stored.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from chalicelib import service
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import DEFAULT_SIGNIN_SECONDS, PUSH_LIMITS, NumberMatch, Policy
from chalicelib.errors import ServiceError
from tools.admin import flows as admin

# AWS cost of one complete sign-in behind an HTTP API, from `make bench` (docs/performance.md).
AWS_COST_PER_SIGNIN = 17.4e-6


def _on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError("on or off")
    return text == "on"


def _policy_args(p: argparse.ArgumentParser) -> None:
    """Options left out keep their current value (set-policy) or the default (create-tenant)."""
    p.add_argument("--phone-signin", type=_on_off, metavar="on|off")
    p.add_argument("--signin-seconds", type=int, help=f"default {DEFAULT_SIGNIN_SECONDS}")
    p.add_argument(
        "--number-match",
        choices=[m.value for m in NumberMatch],
        help=f"how the phone matches the page's number; default {Policy().number_match.value}",
    )
    p.add_argument("--two-step", type=_on_off, metavar="on|off", help="password needs a 2nd step")
    # Push fatigue, per account (ranges: chalicelib/tenants.py PUSH_LIMITS).
    defaults = Policy()
    for name, text in (
        ("pushes_per_minute", "pushes per account per minute (a recognised browser: its own)"),
        ("pushes_per_day", "pushes per account per day (a recognised browser: its own)"),
        ("max_pending", "pushed sign-ins waiting for one account at once"),
        ("deny_lock_after", "denials or wrong numbers in a row that lock phone sign-in"),
        ("lock_seconds", "how long phone sign-in stays locked (its sign-ins are held)"),
    ):
        flag = "--" + name.replace("_", "-")
        p.add_argument(flag, type=int, dest=name, help=f"{text}; default {getattr(defaults, name)}")


def _policy(args, current: Policy) -> Policy:
    given = {
        "phone_signin": args.phone_signin,
        "signin_seconds": args.signin_seconds,
        "number_match": NumberMatch(args.number_match) if args.number_match else None,
        "require_two_step": args.two_step,
        **{name: getattr(args, name) for name in PUSH_LIMITS},
    }
    return replace(current, **{k: v for k, v in given.items() if v is not None})


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="admin", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("create-tenant")
    t.add_argument("tenant_id")
    t.add_argument("name")
    _policy_args(t)
    s = sub.add_parser("set-policy")
    s.add_argument("tenant_id")
    _policy_args(s)
    c = sub.add_parser("add-client")
    c.add_argument("tenant_id")
    c.add_argument("client_id")
    c.add_argument("name")
    c.add_argument("redirect_uris", nargs="+")
    c.add_argument("--public", action="store_true", help="no secret; PKCE required")
    a = sub.add_parser("create-account")
    a.add_argument("tenant_id")
    a.add_argument("username")
    a.add_argument("--personal", action="store_true", help="a personal (not work/school) account")
    pw = sub.add_parser("set-password", help="set an account's password (read from stdin)")
    pw.add_argument("tenant_id")
    pw.add_argument("username")
    r = sub.add_parser("rotate-key", help="new signing key; the old one stays published")
    r.add_argument("tenant_id")
    show = sub.add_parser("show-tenant", help="policy, clients and published keys")
    show.add_argument("tenant_id")
    sub.add_parser("list-accounts").add_argument("tenant_id")
    for name, text in (("disable-account", "no sign-in at all"), ("enable-account", "undo")):
        d = sub.add_parser(name, help=text)
        d.add_argument("tenant_id")
        d.add_argument("username")
    ld = sub.add_parser("list-devices")
    ld.add_argument("tenant_id")
    ld.add_argument("username")
    rv = sub.add_parser("revoke-device", help="remove a phone and its push endpoint")
    rv.add_argument("tenant_id")
    rv.add_argument("device_id")
    un = sub.add_parser("unlock-phone", help="lift a lock after denials or a fraud report")
    un.add_argument("tenant_id")
    un.add_argument("username")
    rl = sub.add_parser(
        "reset-limits",
        help="start an account's counters afresh: pushes, failed answers, password and code "
        "failures (and one network's starts with --address)",
    )
    rl.add_argument("tenant_id")
    rl.add_argument("username")
    rl.add_argument("--address", help="also the starts from this IP address (its network) today")
    for name in ("usage", "bill", "audit"):
        u = sub.add_parser(name)
        u.add_argument("tenant_id")
        u.add_argument("--from", dest="first_day", required=True, help="YYYY-MM-DD (UTC)")
        u.add_argument("--to", dest="last_day", required=True, help="YYYY-MM-DD, inclusive")
        if name == "bill":
            u.add_argument("--price", type=float, required=True, help="USD per sign-in")
            u.add_argument(
                "--aws-cost", type=float, default=AWS_COST_PER_SIGNIN,
                help="USD of AWS per sign-in (docs/performance.md)",
            )  # fmt: skip
        if name == "audit":
            u.add_argument("--username", help="only this account's events")
    code = sub.add_parser("activation-code")
    shortest, longest = admin.ACTIVATION_CODE_MIN_SECONDS, admin.ACTIVATION_CODE_MAX_SECONDS
    code.add_argument("tenant_id")
    code.add_argument("username")
    code.add_argument(
        "--valid-hours",
        type=float,
        default=admin.ACTIVATION_CODE_SECONDS / 3600,
        help=f"how long the code works, from {shortest // 60} minutes ({shortest / 3600:.4f}) "
        f"to {longest // 86400} days ({longest / 3600:g}); default %(default)g. "
        "A new code revokes the account's older unused ones",
    )
    return p


def run(args, svc: service.Services) -> dict:
    if args.command == "create-tenant":
        return admin.create_tenant(svc, args.tenant_id, args.name, _policy(args, Policy()))
    if args.command == "set-policy":
        current = svc.directory.get(args.tenant_id).tenant.policy
        return admin.set_policy(svc, args.tenant_id, _policy(args, current))
    if args.command == "set-password":
        return admin.set_password(svc, args.tenant_id, args.username, sys.stdin.readline().strip())
    if args.command == "rotate-key":
        return admin.rotate_signing_key(svc, args.tenant_id)
    if args.command == "show-tenant":
        return admin.show_tenant(svc, args.tenant_id)
    if args.command == "list-accounts":
        return admin.list_accounts(svc, args.tenant_id)
    if args.command in ("disable-account", "enable-account"):
        disabled = args.command == "disable-account"
        return admin.set_account_disabled(svc, args.tenant_id, args.username, disabled)
    if args.command == "list-devices":
        return admin.list_devices(svc, args.tenant_id, args.username)
    if args.command == "revoke-device":
        return admin.revoke_device(svc, args.tenant_id, args.device_id)
    if args.command == "unlock-phone":
        return admin.unlock_phone(svc, args.tenant_id, args.username)
    if args.command == "reset-limits":
        return admin.reset_limits(svc, args.tenant_id, args.username, args.address)
    if args.command == "usage":
        return admin.usage(svc, args.tenant_id, args.first_day, args.last_day)
    if args.command == "bill":
        return admin.bill(
            svc, args.tenant_id, args.first_day, args.last_day, args.price, args.aws_cost
        )
    if args.command == "audit":
        return admin.audit_log(svc, args.tenant_id, args.first_day, args.last_day, args.username)
    if args.command == "add-client":
        return admin.add_client(
            svc, args.tenant_id, args.client_id, args.name, args.redirect_uris, args.public
        )
    if args.command == "create-account":
        kind = AccountKind.PERSONAL if args.personal else AccountKind.WORK
        return admin.create_account(svc, args.tenant_id, args.username, kind)
    return admin.issue_activation_code(
        svc, args.tenant_id, args.username, round(args.valid_hours * 3600)
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(json.dumps(run(args, service.get()), indent=2))
        return 0
    except ServiceError as err:
        print(f"admin: {err.code}: {err.description}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
