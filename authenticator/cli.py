"""The reference authenticator: a phone on the command line.

    python -m authenticator enrol --server URL --tenant T --code XXXX-XXXX-XXXX-XXXX
    python -m authenticator enrol --link URL   # the security-info page's link (its QR code)
    python -m authenticator inbox          # every waiting sign-in (pushes read from moto + polling)
    python -m authenticator approve --number 42       # answers from the push when one arrived
    python -m authenticator approve --number 42       # the one that can have 42, if only one can
    python -m authenticator approve --id ID --number 42   # several waiting: say which
    python -m authenticator approve --number 482913   # a held request: no push, enter its number
    python -m authenticator deny [--fraud] [--id ID]
    python -m authenticator watch          # wait for sign-ins, ask which one and its number
    python -m authenticator totp           # a verification code for two-step sign-in
    python -m authenticator push-token     # register or refresh the push token
    python -m authenticator locale nl-NL   # the phone's language changed: pushes follow it
    python -m authenticator unregister     # remove the account from this phone

The private key and the TOTP secret live in the state file, sealed with a PIN (the phone's
screen lock); every command that signs asks for it (or reads --pin / $PHONE_PIN). The phone's
language is the system's (LC_ALL, LC_MESSAGES or LANG: "nl_NL.UTF-8" is "nl-NL") unless
--locale says otherwise.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain import enrolment, language
from chalicelib.domain.signins import valid_held_number
from chalicelib.domain.totp import code_at, from_base32
from chalicelib.errors import InvalidRequest

from . import keystore
from .device_api import DeviceApi, http_transport

DEFAULT_STATE = Path("phone.json")
HANDLED_KEPT = 50  # sign-ins answered from a push, remembered so a push is acted on once
# The POSIX locale variables that name the language of messages, strongest first.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


clock = time.time  # the phone's clock, for a push's expiry


class PhoneError(Exception):
    pass


class WhichOne(PhoneError):
    """Several waiting sign-ins could be the one the person means: the phone never guesses."""

    def __init__(self, candidates: list[dict]):
        listed = "\n".join(_describe(s, i) for i, s in enumerate(candidates, 1))
        super().__init__(
            f"{len(candidates)} sign-ins are waiting that this could answer; "
            f"say which with --id:\n{listed}"
        )
        self.candidates = candidates


def system_locale(environ: Mapping[str, str] = os.environ) -> str | None:
    """The language the system runs in, as the language tag a phone's OS reports: the first
    of LC_ALL, LC_MESSAGES and LANG that is set ("nl_NL.UTF-8@euro" is "nl-NL"). None for
    the C and POSIX locales, or a value that names no language."""
    value = next((environ[name] for name in LOCALE_VARIABLES if environ.get(name)), "")
    tag = value.split(".", 1)[0].split("@", 1)[0].replace("_", "-")
    if tag in ("C", "POSIX") or len(tag) > language.MAX_TAG or not language.TAG.match(tag):
        return None
    return tag


def _pin(args, confirm: bool = False) -> str:
    pin = args.pin or os.environ.get("PHONE_PIN")
    if pin:
        return pin
    if not sys.stdin.isatty():
        raise PhoneError("a PIN is needed: pass --pin or set PHONE_PIN")
    pin = getpass.getpass("Phone PIN: ")
    if confirm and getpass.getpass("Repeat PIN: ") != pin:
        raise PhoneError("the PINs differ")
    return pin


def _load(path: Path) -> dict:
    if not path.exists():
        raise PhoneError(f"no phone state at {path}: enrol first")
    return json.loads(path.read_text())


def _save(path: Path, state: dict) -> None:
    path.write_text(json.dumps(state, indent=2))
    path.chmod(0o600)


def _api(state: dict) -> DeviceApi:
    return DeviceApi(http_transport(state["server"]), state["tenant"], state["issuer"])


def _unlock(state: dict, args) -> keystore.Secrets:
    try:
        return keystore.unlock(state["locked"], _pin(args))
    except keystore.WrongPin as err:
        raise PhoneError("wrong PIN") from err


def _check(status: int, body: dict) -> dict:
    if status != 200:
        raise PhoneError(f"{status} {body.get('error')}: {body.get('error_description')}")
    return body


def _enrolment(args) -> tuple[str, str, str]:
    """(server, tenant, code): from an enrolment link (what the security-info page's QR code
    holds: {issuer}/enrol#code=CODE), or from --server, --tenant and --code."""
    if args.link:
        if args.server or args.tenant or args.code:
            raise PhoneError("give --link, or --server, --tenant and --code, not both")
        try:
            link = enrolment.parse_link(args.link)
        except InvalidRequest as err:
            raise PhoneError(f"not an enrolment link: {err.description}") from err
        return link.issuer.removesuffix(f"/t/{link.tenant_id}"), link.tenant_id, link.code
    if not (args.server and args.tenant and args.code):
        raise PhoneError("enrol needs --link URL, or --server, --tenant and --code")
    return args.server, args.tenant, args.code


def enrol(args) -> dict:
    server, tenant, code = _enrolment(args)
    issuer = f"{server.rstrip('/')}/t/{tenant}"
    state = {
        "server": server,
        "tenant": tenant,
        "issuer": issuer,
        "platform": args.platform,
        "installation_id": args.installation_id or "inst-" + secrets.token_hex(12),
        "push_token": None if args.no_push else "local-" + secrets.token_hex(16),
        "moto_url": args.moto_url,
        "locale": system_locale() if args.locale is None else args.locale or None,
    }
    key = ec.generate_private_key(ec.SECP256R1())  # on a phone: in the Secure Enclave/Keystore
    api = _api(state)
    body = _check(
        *api.enrol(
            key,
            activation_code=code,
            platform=args.platform,
            installation_id=state["installation_id"],
            screen_lock=not args.no_screen_lock,
            push_token=state["push_token"],
            locale=state["locale"],
        )
    )
    state.update(device_id=body["device_id"], username=body["username"], kind=body["account_kind"])
    state["locked"] = keystore.lock(keystore.Secrets(key, body["totp_secret"]), _pin(args, True))
    _save(args.state, state)
    return {
        "enrolled": body["username"],
        "device_id": body["device_id"],
        "push": body["push"],
        "locale": state["locale"],
    }


def _delivered(state: dict) -> list[dict]:
    """Local mode: the SNS messages delivered to this phone's token, read from the moto
    server (a phone gets them from APNs or FCM)."""
    if not state.get("moto_url") or not state.get("push_token"):
        return []
    with urllib.request.urlopen(state["moto_url"] + "/moto-api/data.json", timeout=5) as resp:
        endpoints = json.load(resp).get("sns", {}).get("PlatformEndpoint", [])
    return [
        json.loads(message)
        for endpoint in endpoints
        if endpoint.get("token") == state["push_token"]
        for message in endpoint.get("messages", {}).values()
    ]


def _pushes(state: dict) -> dict[str, dict]:
    """The sign-ins the pushes named, by id."""
    found = {}
    for message in _delivered(state):
        data = _push_data(message)
        if data:
            found[data["signin_id"]] = data
    return found


def from_push(state: dict, signin_id: str | None, number: int | None) -> dict | None:
    """The sign-in to answer straight from its push, without asking /device/signins
    (docs/device-api.md, "Answering from the push"): one this phone has not acted on yet,
    not expired, and the one meant: named by id, or the only such push and (with a
    number) one that can have it. None: ask the list, as for anything else."""
    handled = set(state.get("handled", []))
    fresh = [
        {**s, "account": state.get("username")}
        for s in _pushes(state).values()
        if s["signin_id"] not in handled and s["expires_at"] > clock()
    ]
    if signin_id:
        return next((s for s in fresh if s["signin_id"] == signin_id), None)
    if len(fresh) == 1 and (number is None or _fits(fresh[0], number)):
        return fresh[0]
    return None


def _handled(path: Path, state: dict, signin_id: str) -> None:
    """Acted on: its push is not answered from again (the service refuses a second answer)."""
    state["handled"] = [*state.get("handled", []), signin_id][-HANDLED_KEPT:]
    _save(path, state)


def _push_data(message: dict) -> dict | None:
    if "GCM" in message:
        data = json.loads(message["GCM"])["fcmV1Message"]["message"]["data"]
    else:
        channel = next((c for c in ("APNS", "APNS_SANDBOX") if c in message), None)
        data = json.loads(message[channel])["signin"] if channel else None
    if not data:
        return None
    return {
        "signin_id": data["signin_id"],
        "organisation": data.get("organisation"),
        "app": data["app"],
        "ip": data["ip"],
        "device": data["device"],
        "place": data.get("place"),
        "expires_at": int(data["expires_at"]),
        "choices": [int(n) for n in data["choices"].split(",") if n],
        "via": "push",
    }


def waiting(state: dict, key, number: int | None = None) -> list[dict]:
    """Pending sign-ins: from the device API (always), marked 'push' when a push arrived too.
    With a six-digit number read off a page, the held sign-in with it (no push was sent)."""
    answer = _check(*_api(state).pending(key, number))
    for notice in answer.get("notices", []):
        print(_notice(notice), file=sys.stderr)
    pushed = _pushes(state)
    return [
        {**s, "via": "push" if s["signin_id"] in pushed else "app" if s.get("held") else "poll"}
        for s in answer["signins"]  # oldest first
    ]


def _notice(notice: dict) -> str:
    when = time.strftime("%H:%M", time.localtime(notice["at"]))
    if notice["kind"] == "totp_failed":
        return f"Notice {when}: {notice['failures']} wrong verification code(s) in a row"
    if notice["kind"] == "device_enrolled":
        return f"Notice {when}: a new phone was added to this account ({notice.get('platform')})"
    if notice["kind"] == "device_removed":
        return f"Notice {when}: a phone was removed from this account ({notice.get('platform')})"
    if notice["kind"] in ("passkey_added", "passkey_removed"):
        done = "added to" if notice["kind"] == "passkey_added" else "removed from"
        return f"Notice {when}: a passkey ({notice.get('name')}) was {done} this account"
    if notice["kind"] == "activation_code_issued":
        return f"Notice {when}: a code to add a phone was made on the security-info page"
    if notice["kind"] == "recovery_codes_generated":
        return f"Notice {when}: new recovery codes were made; older ones no longer work"
    if notice["kind"] == "recovery_code_used":
        where = f" from {notice.get('network')} ({notice.get('device')})"
        left = f"{notice.get('remaining')} left"
        return f"Notice {when}: a recovery code signed in to this account{where}; {left}"
    return f"Notice {when}: {notice['kind']}"


def _numbered(signin: dict) -> bool:
    """Every sign-in has a number to match, but one approved by password alone."""
    return signin.get("number_match", "type") != "none"


def _where(signin: dict) -> str:
    return f"{signin['place']} ({signin['ip']})" if signin.get("place") else signin["ip"]


def _describe(signin: dict, index: int | None = None) -> str:
    """What a phone shows of one request: organisation, app, account, browser, place, time
    left. `index`: its place in a list the person chooses from."""
    left = max(0, signin["expires_at"] - int(time.time()))
    who = " · ".join(p for p in (signin["app"], signin.get("organisation")) if p)
    if not _numbered(signin):
        ask = f'  the app asking shows: "{signin.get("binding_message") or ""}": approve?'
    elif signin["choices"]:
        ask = "  tap the number on your screen: " + "  ".join(f"[{n}]" for n in signin["choices"])
    else:
        ask = "  type the number shown on your screen"
    lines = [
        f"Approve sign-in? {who}",
        *([f"  account {signin['account']}"] if signin.get("account") else []),
        f"  from {_where(signin)} · {signin['device']}",
        f"  expires in {left}s · via {signin['via']} · id {signin['signin_id']}",
        ask,
    ]
    if index is None:
        return "\n".join(lines)
    mark = f"[{index}] "
    return "\n".join([mark + lines[0], *(" " * len(mark) + line for line in lines[1:])])


def _fits(signin: dict, number: int) -> bool:
    """Could this sign-in's page show `number`? A `pick` one offers it among its choices; a
    typed one takes two digits, a `strict` one (a held one too) six; a push does not say
    which of the two, so either length."""
    if signin["choices"]:
        return number in signin["choices"]
    six = 100_000 <= number <= 999_999
    if signin.get("via") == "push" and "number_match" not in signin:
        return six or 10 <= number <= 99
    return six == (signin.get("number_match") == "strict")


def choose(pending: list[dict], signin_id: str | None, number: int | None = None) -> dict:
    """The one sign-in to answer, never the newest by default: the one named (--id); else the
    held one a six-digit number found (the list has it only because of that number); else
    the only waiting one that could have the number (or, without one, the only one waiting).
    More than one: WhichOne, and the person says which by its id."""
    if signin_id:
        named = [s for s in pending if s["signin_id"] == signin_id]
        if not named:
            raise PhoneError(f"no sign-in {signin_id} is waiting for this phone")
        return named[0]
    held = [s for s in pending if s.get("held")]
    if held:
        return held[0]
    candidates = pending if number is None else [s for s in pending if _fits(s, number)]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise WhichOne(candidates)
    if number is not None and 100_000 <= number <= 999_999:
        raise PhoneError("no sign-in with that number is waiting for this phone")
    if not pending:
        raise PhoneError("no sign-in is waiting for this phone")
    raise PhoneError(
        f"no waiting sign-in can have the number {number}: check it, or say which with --id"
    )


def _pick(state: dict, key, signin_id: str | None, number: int | None = None) -> dict:
    """The one the person means: from its push when that settles it; else among the
    waiting sign-ins (with a held number, the held one it finds too: six digits whose check
    digit holds; a `strict` tenant's pushed numbers have none)."""
    held = number if valid_held_number(number) else None
    pushed = None if held else from_push(state, signin_id, number)
    return pushed or choose(waiting(state, key, held), signin_id, number)


def inbox(args) -> dict:
    state = _load(args.state)
    key = _unlock(state, args).private_key
    pending = waiting(state, key)
    for index, signin in enumerate(pending, 1):
        print(_describe(signin, index))
    return {"waiting": len(pending)}


def answer(args, decision: str) -> dict:
    state = _load(args.state)
    key = _unlock(state, args).private_key
    signin = _pick(state, key, args.signin, getattr(args, "number", None))
    number = None
    if decision == "approve" and _numbered(signin):
        number = args.number
        if number is None:
            print(_describe(signin))
            number = int(input("Number: "))
    status, body = _api(state).respond(key, signin["signin_id"], decision, number)
    if signin.get("via") == "push":
        _handled(args.state, state, signin["signin_id"])
    return {"signin_id": signin["signin_id"], **_check(status, body)}


def _ask_which(pending: list[dict]) -> dict:
    """The person chooses among several waiting sign-ins by their place in the list."""
    for index, signin in enumerate(pending, 1):
        print(_describe(signin, index))
    while True:
        reply = input(f"Which sign-in? (1-{len(pending)}): ").strip()
        if reply.isdigit() and 1 <= int(reply) <= len(pending):
            return pending[int(reply) - 1]
        print(f"Type a number from 1 to {len(pending)}.")


def watch(args) -> dict:
    """Wait (bounded) for sign-ins, show every one waiting, ask which one to answer (when
    there are several) and then the number the page shows."""
    state = _load(args.state)
    key = _unlock(state, args).private_key
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        pushed = from_push(state, None, None)
        pending = [pushed] if pushed else waiting(state, key)
        if pending:
            if len(pending) == 1:
                signin = pending[0]
                print(_describe(signin))
            else:
                signin = _ask_which(pending)
            prompt = "Number" if _numbered(signin) else "'yes' to approve"
            reply = input(f"{prompt} (or 'deny' / 'fraud'): ").strip().lower()
            if signin.get("via") == "push":
                _handled(args.state, state, signin["signin_id"])
            if reply in ("deny", "fraud"):
                decision = "deny" if reply == "deny" else "report_fraud"
                return _check(*_api(state).respond(key, signin["signin_id"], decision))
            number = int(reply) if _numbered(signin) else None
            return _check(*_api(state).respond(key, signin["signin_id"], "approve", number))
        time.sleep(1)
    raise PhoneError(f"no sign-in arrived within {args.timeout}s")


def totp(args) -> dict:
    state = _load(args.state)
    secret = _unlock(state, args).totp_secret
    now = time.time()
    return {"code": code_at(from_base32(secret), now), "valid_for_seconds": 30 - int(now) % 30}


def push_token(args) -> dict:
    state = _load(args.state)
    key = _unlock(state, args).private_key
    state["push_token"] = args.token or "local-" + secrets.token_hex(16)
    body = _check(*_api(state).register_push(key, state["push_token"]))
    _save(args.state, state)
    return body


def set_locale(args) -> dict:
    """Tell the service the phone's language changed (the system's, unless given)."""
    state = _load(args.state)
    tag = args.tag or system_locale()
    if not tag:
        raise PhoneError("the system names no language (LANG is unset, C or POSIX): give one")
    key = _unlock(state, args).private_key
    body = _check(*_api(state).set_locale(key, tag))
    state["locale"] = tag
    _save(args.state, state)
    return body


def unregister(args) -> dict:
    state = _load(args.state)
    key = _unlock(state, args).private_key
    body = _check(*_api(state).unregister(key))
    args.state.unlink()
    return body


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="phone", description=__doc__.split("\n")[0])
    p.add_argument("--state", type=Path, default=Path(os.environ.get("PHONE_STATE", DEFAULT_STATE)))
    p.add_argument("--pin", help="the phone's PIN (default: $PHONE_PIN, or ask)")
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("enrol", help="set up this phone with an activation code")
    e.add_argument("--link", help="an enrolment link: {issuer}/enrol#code=CODE (or the 3 below)")
    e.add_argument("--server")
    e.add_argument("--tenant")
    e.add_argument("--code")
    e.add_argument("--platform", choices=["ios", "android"], default="ios")
    e.add_argument("--installation-id")
    e.add_argument("--no-push", action="store_true", help="enrol without a push token (polling)")
    e.add_argument("--no-screen-lock", action="store_true", help="claim no screen lock (refused)")
    e.add_argument("--moto-url", help="local mode: read pushes from this moto server")
    e.add_argument(
        "--locale",
        metavar="TAG",
        help="the phone's language, a BCP 47 tag such as nl-NL (default: the system's, from "
        'LC_ALL, LC_MESSAGES or LANG; "" sends none)',
    )
    sub.add_parser("inbox", help="list sign-ins waiting for this phone")
    a = sub.add_parser(
        "approve",
        help="approve a sign-in with the number the page shows (six digits: the page said no "
        "notification was sent; the number finds the request)",
    )
    which = "the sign-in's id, as inbox shows it (needed when several could be meant)"
    a.add_argument("--id", "--signin", dest="signin", metavar="ID", help=which)
    a.add_argument("--number", type=int)
    d = sub.add_parser("deny", help="deny a sign-in")
    d.add_argument("--id", "--signin", dest="signin", metavar="ID", help=which)
    d.add_argument("--fraud", action="store_true", help="this wasn't me: report it")
    w = sub.add_parser("watch", help="wait for a sign-in and answer it")
    w.add_argument("--timeout", type=int, default=300)
    sub.add_parser("totp", help="show a verification code")
    t = sub.add_parser("push-token", help="register or refresh the push token")
    t.add_argument("--token")
    loc = sub.add_parser("locale", help="the phone's language changed: push text follows it")
    loc.add_argument("tag", nargs="?", help="a BCP 47 tag such as nl-NL (default: the system's)")
    sub.add_parser("unregister", help="remove the account from this phone")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    commands = {
        "enrol": enrol,
        "inbox": inbox,
        "approve": lambda a: answer(a, "approve"),
        "deny": lambda a: answer(a, "report_fraud" if a.fraud else "deny"),
        "watch": watch,
        "totp": totp,
        "push-token": push_token,
        "locale": set_locale,
        "unregister": unregister,
    }
    try:
        print(json.dumps(commands[args.command](args)))
        return 0
    except PhoneError as err:
        print(f"phone: {err}", file=sys.stderr)
        return 1
