"""What the admin CLI does: tenants, clients, accounts, phones, usage and the audit log.

Every change an administrator makes is written to the audit log."""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, replace
from decimal import ROUND_HALF_UP, Decimal

from chalicelib.domain import enrolment, secret_codes
from chalicelib.domain.accounts import Account, AccountKind, normalise_username, user_key
from chalicelib.domain.metering import Billable, day_of
from chalicelib.domain.signins import Origin
from chalicelib.domain.tenants import (
    CLIENT_ID,
    DEFAULT_ID_TOKEN_ALG,
    RESERVED_CLIENT_IDS,
    SIGNING_ALGS,
    Client,
    Policy,
    Tenant,
    validate_tenant_id,
)
from chalicelib.errors import InvalidRequest, NotFound
from chalicelib.service import Services
from chalicelib.usecases import activation, passkeys, recovery_codes, sso
from chalicelib.usecases.fatigue import DAY
from chalicelib.usecases.password_signin import WINDOW_SECONDS
from chalicelib.usecases.tenant_directory import new_signing_key

ACTIVATION_CODE_SECONDS = enrolment.DEFAULT_SECONDS
ACTIVATION_CODE_MIN_SECONDS = enrolment.MIN_SECONDS
ACTIVATION_CODE_MAX_SECONDS = enrolment.MAX_SECONDS
MAX_APP_NAME = 64  # it is in every push, and APNs allows 4 KB
CENT = Decimal("0.01")  # a bill's amounts are rounded to this, half up


def create_tenant(svc: Services, tenant_id: str, name: str, policy: Policy) -> dict:
    """The tenant's policy and data key; its signing keys (RS256 and ES256) are made as it is
    first loaded, here.
    The data key comes first, so a KMS key the CLI cannot use leaves no tenant half made."""
    validate_tenant_id(tenant_id)
    sealed = svc.vault.new_data_key(tenant_id)[1]
    svc.tenants.create(
        Tenant(tenant_id=tenant_id, name=name, policy=policy, sealed_data_key=sealed)
    )
    svc.directory.forget(tenant_id)
    tenant = svc.directory.get(tenant_id)
    svc.record(tenant_id, "tenant_created", actor="admin")
    return {"tenant_id": tenant_id, "issuer": tenant.issuer, "kids": _kids(tenant.signers)}


def rotate_signing_key(svc: Services, tenant_id: str) -> dict:
    """A new active key of each algorithm (RS256 and ES256); the old ones stay published
    until their tokens have expired, and keys retired longer ago than that are deleted."""
    tenant = svc.directory.get(tenant_id)
    now = svc.now()
    keys = {
        alg: new_signing_key(tenant_id, tenant.data_key, now, svc.rng, alg) for alg in SIGNING_ALGS
    }
    for key in keys.values():
        svc.tenants.put_signing_key(tenant_id, key)
    for old in tenant.tenant.signing_keys:
        if old.active:
            svc.tenants.retire_signing_key(tenant_id, old.kid, now)
        elif not old.published(now):
            svc.tenants.delete_signing_key(tenant_id, old.kid)
    svc.directory.forget(tenant_id)
    kids = _kids(keys)
    svc.record(tenant_id, "signing_key_rotated", actor="admin", detail={"kids": kids})
    return {
        "tenant_id": tenant_id,
        "kids": kids,
        "retired": [k.kid for k in tenant.tenant.signing_keys if k.active],
    }


def _kids(keys: dict) -> dict[str, str]:
    """The kid of each algorithm's key, in SIGNING_ALGS' order."""
    return {alg: keys[alg].kid for alg in SIGNING_ALGS}


def set_password(svc: Services, tenant_id: str, username: str, password: str) -> dict:
    svc.directory.get(tenant_id)
    username = normalise_username(username)
    account = _account(svc, tenant_id, username)
    svc.accounts.set_password(tenant_id, username, svc.passwords.hash(password, svc.rng))
    svc.limits.reset(tenant_id, "pwd-user", user_key(username))  # a new password, a new count
    svc.record(tenant_id, "password_set", account=account.account_id, actor="admin")
    # A reset password may have been known to someone else: every browser signs in again.
    sso.end_for_account(svc, tenant_id, account.account_id, "password_reset")
    return {"username": username, "password": "set"}


def set_policy(svc: Services, tenant_id: str, policy: Policy) -> dict:
    svc.directory.get(tenant_id)
    svc.tenants.set_policy(tenant_id, policy)
    svc.directory.forget(tenant_id)
    svc.record(tenant_id, "policy_changed", actor="admin", detail=_policy_detail(policy))
    return show_tenant(svc, tenant_id)


def show_tenant(svc: Services, tenant_id: str) -> dict:
    tenant = svc.directory.get(tenant_id)
    return {
        "tenant_id": tenant_id,
        "name": tenant.tenant.name,
        "issuer": tenant.issuer,
        "policy": asdict(tenant.tenant.policy),
        "clients": {c.client_id: _registration(c) for c in tenant.tenant.clients.values()},
        "published_keys": [k.kid for k in tenant.tenant.signing_keys if k.published(svc.now())],
        "active_keys": _kids(tenant.signers),
    }


def _registration(client: Client) -> dict:
    """A client as registered, without its secret's hash."""
    return {
        "name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "public": client.public,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "backchannel_logout_session_required": client.backchannel_logout_session_required,
    }


def add_client(
    svc: Services,
    tenant_id: str,
    client_id: str,
    name: str,
    redirect_uris: list[str],
    public: bool = False,
    *,
    id_token_signed_response_alg: str = DEFAULT_ID_TOKEN_ALG,
    post_logout_redirect_uris: tuple[str, ...] = (),
    backchannel_logout_uri: str | None = None,
    backchannel_logout_session_required: bool = True,
) -> dict:
    """Register a relying party, or register it again under the same id (the registration
    replaced whole; a confidential client gets a new secret). Its secret is shown here, once."""
    svc.directory.get(tenant_id)
    if not 0 < len(name) <= MAX_APP_NAME:
        raise InvalidRequest(f"the app name must be 1-{MAX_APP_NAME} characters (phones show it)")
    if not CLIENT_ID.match(client_id):
        raise InvalidRequest("client_id must be 3-64 characters of A-Z a-z 0-9 . _ -")
    if client_id in RESERVED_CLIENT_IDS:
        raise InvalidRequest(
            f"client_id {client_id!r} is the service's own (the security-info page)"
        )
    registration = Client(
        client_id=client_id,
        name=name,
        redirect_uris=tuple(redirect_uris),
        id_token_signed_response_alg=id_token_signed_response_alg,
        post_logout_redirect_uris=tuple(post_logout_redirect_uris),
        backchannel_logout_uri=backchannel_logout_uri,
        backchannel_logout_session_required=backchannel_logout_session_required,
    )
    registration.check_registration()
    secret = None if public else secret_codes.new_secret(svc.rng)
    hashed = None if secret is None else secret_codes.hash_secret(secret)
    svc.tenants.put_client(tenant_id, replace(registration, secret_hash=hashed))
    svc.directory.forget(tenant_id)
    svc.record(tenant_id, "client_added", actor="admin", detail={"client_id": client_id})
    return {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": redirect_uris,
        **{
            k: v
            for k, v in _registration(registration).items()
            if k not in ("name", "public", "redirect_uris")
        },
    }


def create_account(svc: Services, tenant_id: str, username: str, kind: AccountKind) -> dict:
    svc.directory.get(tenant_id)
    account = Account(
        tenant_id=tenant_id,
        username=normalise_username(username),
        account_id=secret_codes.new_secret(svc.rng, 16),
        kind=kind,
        created_at=svc.now(),
    )
    svc.accounts.create(account)
    svc.record(tenant_id, "account_created", account=account.account_id, actor="admin")
    return {"username": account.username, "sub": account.account_id, "kind": kind.value}


def issue_activation_code(
    svc: Services, tenant_id: str, username: str, valid_seconds: int = ACTIVATION_CODE_SECONDS
) -> dict:
    """A one-time code to enrol a phone, and its enrolment link: shown here once, stored only
    as a hash. It revokes the account's older codes not yet used (usecases/activation.py)."""
    return activation.issue(svc, tenant_id, username, valid_seconds, actor="admin")


def list_accounts(svc: Services, tenant_id: str) -> dict:
    svc.directory.get(tenant_id)
    return {
        "accounts": [
            {
                "username": a.username,
                "sub": a.account_id,
                "kind": a.kind.value,
                "disabled": a.disabled,
                "phones": len(a.devices),
                "password": a.password_hash is not None,
            }
            for a in svc.accounts.list(tenant_id)
        ]
    }


def index_subs(svc: Services, tenant_id: str) -> dict:
    """Give every account of the tenant the item that names its username by its sub (accounts
    made before these items have none: their tokens and userinfo then carry no
    preferred_username or email). Safe to run again: an account that has one is skipped."""
    svc.directory.get(tenant_id)
    accounts = svc.accounts.list(tenant_id)
    indexed = 0
    for account in accounts:
        indexed += svc.accounts.index_sub(account)
    if indexed:
        svc.record(tenant_id, "accounts_indexed", actor="admin", detail={"indexed": indexed})
    return {"indexed": indexed, "accounts": len(accounts)}


def set_account_disabled(svc: Services, tenant_id: str, username: str, disabled: bool) -> dict:
    svc.directory.get(tenant_id)
    account = _account(svc, tenant_id, username)
    svc.accounts.set_disabled(tenant_id, account.username, disabled)
    event = "account_disabled" if disabled else "account_enabled"
    svc.record(tenant_id, event, account=account.account_id, actor="admin")
    if disabled:  # signed out of every browser at once
        sso.end_for_account(svc, tenant_id, account.account_id, "account_disabled")
    return {"username": account.username, "disabled": disabled}


def end_sessions(svc: Services, tenant_id: str, username: str) -> dict:
    """Sign the person out of every browser (a shared computer left signed in, a suspicion)."""
    svc.directory.get(tenant_id)
    account = _account(svc, tenant_id, username)
    ended = sso.end_for_account(svc, tenant_id, account.account_id, "ended_by_admin")
    return {"username": account.username, "sessions_ended": ended}


def list_devices(svc: Services, tenant_id: str, username: str) -> dict:
    svc.directory.get(tenant_id)
    account = _account(svc, tenant_id, username)
    devices = [svc.devices.get(tenant_id, device_id) for device_id in account.devices]
    return {
        "username": account.username,
        "devices": [
            {
                "device_id": d.device_id,
                "platform": d.platform.value,
                "push": d.endpoint_arn is not None,
                "push_failed_at": d.push_failed_at,
                "enrolled_at": d.created_at,
            }
            for d in devices
            if d is not None
        ],
    }


def revoke_device(svc: Services, tenant_id: str, device_id: str) -> dict:
    """Remove a phone (lost, stolen, replaced): its record, its claim, its push endpoint."""
    from chalicelib.usecases.device_api import remove_device

    svc.directory.get(tenant_id)
    device = svc.devices.get(tenant_id, device_id)
    if device is None:
        raise NotFound("No such device.")
    return remove_device(svc, device, actor="admin")


def list_passkeys(svc: Services, tenant_id: str, username: str) -> dict:
    svc.directory.get(tenant_id)
    account = _account(svc, tenant_id, username)
    return {
        "username": account.username,
        "passkeys": passkeys.listed(svc, tenant_id, account.username),
    }


def remove_passkey(svc: Services, tenant_id: str, username: str, credential_id: str) -> dict:
    """Remove a passkey of a lost device or key: audited (actor admin), the phones told."""
    svc.directory.get(tenant_id)
    account = _account(svc, tenant_id, username)
    passkeys.remove(svc, tenant_id, account.username, credential_id, actor="admin")
    return {"username": account.username, "credential_id": credential_id, "removed": True}


def unlock_phone(svc: Services, tenant_id: str, username: str) -> dict:
    """Lift a phone lock (after denials or a fraud report) and forget the run of denials and
    today's failed answers: pushes reach the account's phones again at once, and the next
    failed answer does not lock again."""
    svc.directory.get(tenant_id)
    account = _account(svc, tenant_id, username)
    svc.accounts.unlock_phone(tenant_id, account.username)
    svc.limits.reset_window(tenant_id, "phone-failures", account.account_id, DAY, svc.now())
    svc.record(tenant_id, "phone_signin_unlocked", account=account.account_id, actor="admin")
    return {"username": account.username, "phone_locked_until": None}


def reset_limits(svc: Services, tenant_id: str, username: str, address: str | None) -> dict:
    """Start an account's counters afresh: today's pushes and failed answers, the password's
    and the codes' consecutive failures, and with `address` that network's held starts today
    and its password failures this window. Today's pushes include recognised browsers' own
    (they share the account's item); their held starts are not found by username, and wait
    out their window. Containers that remembered a count as full ask again within
    limits.MEMORY_SECONDS."""
    svc.directory.get(tenant_id)
    account = _account(svc, tenant_id, username)
    now, sub, who = svc.now(), account.account_id, user_key(account.username)
    svc.limits.untake(tenant_id, "pushes", sub, now)
    svc.limits.reset_window(tenant_id, "phone-failures", sub, DAY, now)
    svc.limits.reset(tenant_id, "pwd-user", who)
    svc.limits.reset(tenant_id, "totp-fail", sub)
    detail = {}
    if address is not None:
        try:
            network = Origin.of(str(ipaddress.ip_address(address)), None).network
        except ValueError as err:
            raise InvalidRequest(f"{address!r} is not an IP address") from err
        svc.limits.untake(tenant_id, "starts", f"{who}#n-{network}", now)
        svc.limits.reset_window(tenant_id, "pwd-ip", network, WINDOW_SECONDS, now)
        detail["network"] = network
    svc.record(tenant_id, "limits_reset", account=sub, actor="admin", detail=detail)
    return {"username": account.username, "reset": True, **detail}


def usage(svc: Services, tenant_id: str, first_day: str, last_day: str) -> dict:
    """Billable events per day, and their sum, between two days (inclusive, UTC)."""
    svc.directory.get(tenant_id)
    days = _days(first_day, last_day)
    svc.meter.flush()  # this process's own tally, if any
    per_day = {day: dict(svc.usage.day(tenant_id, day)) for day in days}
    total: dict[str, int] = {}
    for counts in per_day.values():
        for name, n in counts.items():
            total[name] = total.get(name, 0) + n
    return {"tenant_id": tenant_id, "from": first_day, "to": last_day, "days": per_day,
            "total": total}  # fmt: skip


def bill(
    svc: Services,
    tenant_id: str,
    first_day: str,
    last_day: str,
    price_per_signin: Decimal,
    aws_cost_per_signin: Decimal,
) -> dict:
    """What the tenant owes: completed sign-ins (tokens issued) times the price, to the cent;
    beside it, the AWS cost those sign-ins caused, from the benchmark's per-sign-in figure.
    Money is Decimal throughout and printed as "12.50 USD": never a float's 12.499999."""
    counted = usage(svc, tenant_id, first_day, last_day)["total"]
    signins = counted.get(Billable.TOKEN_ISSUED.value, 0)
    return {
        "tenant_id": tenant_id,
        "period": [first_day, last_day],
        "billable_signins": signins,
        "price_per_signin": _usd(price_per_signin),
        "amount": _usd(_to_cent(signins * price_per_signin)),
        "aws_cost_per_signin": _usd(aws_cost_per_signin),
        "estimated_aws_cost": _usd(_to_cent(signins * aws_cost_per_signin)),
        "events": counted,
    }


def _to_cent(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _usd(amount: Decimal) -> str:
    return f"{amount:f} USD"


def issue_recovery_codes(svc: Services, tenant_id: str, username: str) -> dict:
    """Ten recovery codes for a person who lost every method, their identity checked out of
    band: printed here once, stored only as keyed hashes; any older set stops working."""
    codes = recovery_codes.generate(svc, tenant_id, username, actor="admin")
    return {
        "recovery_codes": codes,
        "username": normalise_username(username),
        "issuer": svc.directory.get(tenant_id).issuer,
    }


def audit_log(
    svc: Services, tenant_id: str, first_day: str, last_day: str, username: str | None = None
) -> dict:
    """The audit log's events of these days; for one person, their phone's approvals too,
    whose record is the decided sign-in (kept as long as the log), not an event of their own."""
    svc.directory.get(tenant_id)
    account = _account(svc, tenant_id, username) if username else None
    sub = account.account_id if account else None
    days = _days(first_day, last_day)
    events = [
        {"at": e.at, "event": e.event, "account": e.account, "device": e.device,
         "actor": e.actor, **({"detail": e.detail} if e.detail else {})}
        for day in days
        for e in svc.audit.day(tenant_id, day, sub)
    ]  # fmt: skip
    if account is not None:
        since, until = _day_start(days[0]), _day_start(days[-1]) + 86400
        events += [
            {"at": a["at"], "event": "signin_approved", "account": sub, "device": a["device_id"],
             "actor": a["device_id"], "detail": {"signin": a["signin_id"]}}
            for a in svc.signins.answered(tenant_id, user_key(account.username), since, until)
        ]  # fmt: skip
        events.sort(key=lambda e: e["at"])
    return {"tenant_id": tenant_id, "events": events}


def _policy_detail(policy: Policy) -> dict:
    return {k: v if isinstance(v, bool | int) else str(v) for k, v in asdict(policy).items()}


def _account(svc: Services, tenant_id: str, username: str):
    account = svc.accounts.get(tenant_id, normalise_username(username), consistent=True)
    if account is None:
        raise NotFound("No such account.")
    return account


def _days(first_day: str, last_day: str) -> list[str]:
    import calendar
    import time

    try:
        start = calendar.timegm(time.strptime(first_day, "%Y-%m-%d"))
        end = calendar.timegm(time.strptime(last_day, "%Y-%m-%d"))
    except ValueError as err:
        raise InvalidRequest("days are YYYY-MM-DD") from err
    if not 0 <= end - start <= 366 * 86400:
        raise InvalidRequest("a period is one day to a year, first day first")
    return [day_of(t) for t in range(start, end + 1, 86400)]


def _day_start(day: str) -> int:
    import calendar
    import time

    return calendar.timegm(time.strptime(day, "%Y-%m-%d"))
