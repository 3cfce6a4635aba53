"""The admin CLI: tenants, policy, clients, accounts, phones, usage, bills and the audit log.

    python -m tools.admin --help                  # every command, with the environment it needs
    python -m tools.admin add-client --help       # one command and each of its arguments
    python -m tools.admin add-client acme acme-web "Acme Portal" https://app.acme.example/cb

It calls tools/admin/flows.py with the service's own settings and stores, and prints JSON.
Secrets are printed once and never stored. Refusals, usage mistakes and an environment it
cannot work in (tools/admin/environment.py) are answered in one line on stderr.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace

from chalicelib import service
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import LIMITS, NumberMatch, Policy
from chalicelib.errors import ServiceError
from tools.admin import environment
from tools.admin import flows as admin
from tools.admin.arguments import parser


def _policy(args, current: Policy) -> Policy:
    given = {
        "phone_signin": args.phone_signin,
        "signin_seconds": args.signin_seconds,
        "number_match": NumberMatch(args.number_match) if args.number_match else None,
        "require_two_step": args.two_step,
        "password_only_accounts": args.password_only_accounts,
        "passkeys": args.passkeys,
        **{name: getattr(args, name) for name in LIMITS},
    }
    return replace(current, **{k: v for k, v in given.items() if v is not None})


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
    if args.command == "index-subs":
        return admin.index_subs(svc, args.tenant_id)
    if args.command in ("disable-account", "enable-account"):
        disabled = args.command == "disable-account"
        return admin.set_account_disabled(svc, args.tenant_id, args.username, disabled)
    if args.command == "end-sessions":
        return admin.end_sessions(svc, args.tenant_id, args.username)
    if args.command == "list-devices":
        return admin.list_devices(svc, args.tenant_id, args.username)
    if args.command == "revoke-device":
        return admin.revoke_device(svc, args.tenant_id, args.device_id)
    if args.command == "list-passkeys":
        return admin.list_passkeys(svc, args.tenant_id, args.username)
    if args.command == "remove-passkey":
        return admin.remove_passkey(svc, args.tenant_id, args.username, args.credential_id)
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
            svc, args.tenant_id, args.client_id, args.name, args.redirect_uris, args.public,
            id_token_signed_response_alg=args.id_token_signed_response_alg,
            post_logout_redirect_uris=tuple(args.post_logout_redirect_uris),
            backchannel_logout_uri=args.backchannel_logout_uri,
            backchannel_logout_session_required=args.backchannel_logout_session_required,
        )  # fmt: skip
    if args.command == "recovery-codes":
        return admin.issue_recovery_codes(svc, args.tenant_id, args.username)
    if args.command == "create-account":
        kind = AccountKind.PERSONAL if args.personal else AccountKind.WORK
        return admin.create_account(svc, args.tenant_id, args.username, kind)
    return admin.issue_activation_code(
        svc, args.tenant_id, args.username, round(args.valid_hours * 3600)
    )


def main(argv: list[str] | None = None) -> int:
    """0 done; 1 refused (an unknown tenant or account, a bad value); 2 a usage mistake, or an
    environment the CLI cannot work in: each answered in one line on stderr."""
    args = parser().parse_args(argv)
    try:
        svc = service.get()
    except (KeyError, ValueError) as err:  # Settings.from_env: unset, or not a number
        return _fail(environment.settings_problem(err), 2)
    try:
        print(json.dumps(run(args, svc), indent=2))
        return 0
    except ServiceError as err:
        return _fail(f"{err.code}: {err.description}", 1)
    except Exception as err:
        problem = environment.explain(err, svc)
        if problem is None:
            raise
        return _fail(problem, 2)


def _fail(line: str, code: int) -> int:
    print(f"admin: {line}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
