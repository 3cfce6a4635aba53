"""`make demo`: the whole service on 127.0.0.1 with a demo tenant, app and enrolled phone.
`make smoke`: the same, then one complete sign-in with each method over HTTP (phone, passkey,
password and code), non-interactively; its last line is one JSON object of the ID tokens' claims
per method.

Nothing here needs an AWS account: moto plays DynamoDB, SNS and KMS.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from authenticator import cli as phone
from chalicelib import service
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from chalicelib.usecases import passkeys
from tools import demo_rp, scenario, sign_in_methods, simulator
from tools.admin import flows as admin
from tools.demo_rp import RelyingParty
from tools.local_aws import running
from tools.passkey_authenticator import SoftwarePasskey

# The demo's state, and the smoke run's apart from it: a smoke run beside a running demo must
# not replace the demo's phone or coordinates.
STATE_DIRS = {"demo": Path("build/demo"), "smoke": Path("build/smoke")}
TENANT, CLIENT, USERNAME, PIN = "demo", "demo-app", "alice@example.com", "123456"
PASSWORD = "correct horse battery staple"
# The usual ports, so the URLs stay the same from one run to the next; when one is taken, the
# server is bound on a port the OS picks, and demo.json and the instructions name that one.
API_PORT, APP_PORT = 8000, 8700
# Limits for trying things out: more pushes than a person's default (3 a minute, 30 a day), and
# a 2-minute lock instead of 15, so the held sign-in can be seen and then left behind quickly.
DEMO_POLICY = Policy(pushes_per_minute=10, pushes_per_day=200, lock_seconds=120)


def set_up(stack, rp_port: int, state_dir: Path) -> dict:
    """Tenant, client, account and an enrolled reference phone (its state in `state_dir`);
    returns the coordinates, also written to `state_dir`/demo.json."""
    svc = service.get()
    admin.create_tenant(svc, TENANT, "Demo Organisation", DEMO_POLICY)
    redirect_uri = f"http://127.0.0.1:{rp_port}/callback"
    client = admin.add_client(
        svc, TENANT, CLIENT, "Demo App", [redirect_uri],
        post_logout_redirect_uris=(f"http://127.0.0.1:{rp_port}/",),  # its "Sign out" comes back
    )  # fmt: skip
    admin.create_account(svc, TENANT, USERNAME, AccountKind.WORK)
    admin.set_password(svc, TENANT, USERNAME, PASSWORD)
    code = admin.issue_activation_code(svc, TENANT, USERNAME)["activation_code"]
    state_dir.mkdir(parents=True, exist_ok=True)
    phone_state = state_dir / "phone.json"
    phone_state.unlink(missing_ok=True)
    phone.main(
        ["--state", str(phone_state), "--pin", PIN, "enrol", "--server", stack.api_url,
         "--tenant", TENANT, "--code", code, "--moto-url", stack.moto_url]
    )  # fmt: skip
    # After the reference phone's enrolment: a newer code revokes an older unused one.
    simulator_code = admin.issue_activation_code(svc, TENANT, USERNAME)["activation_code"]
    coordinates = {
        "issuer": stack.issuer(TENANT),
        "client_id": CLIENT,
        "client_secret": client["client_secret"],
        "redirect_uri": redirect_uri,
        "username": USERNAME,
        "password": PASSWORD,
        "phone_state": str(phone_state),
        "phone_pin": PIN,
        "api_url": stack.api_url,
        "moto_url": stack.moto_url,
        "app_url": f"http://127.0.0.1:{rp_port}",
        "phone_simulator_url": f"{stack.api_url}/phone?tenant={TENANT}&code={simulator_code}",
    }
    (state_dir / "demo.json").write_text(json.dumps(coordinates, indent=2))
    return coordinates


def smoke(coordinates: dict, rp: RelyingParty) -> dict:
    """One sign-in with each method, over HTTP, each ending in the demo app's verified ID
    token: the phone (page → number → the reference phone's command line approves), a passkey
    (registered for the person as the security-info page does, held by a software
    authenticator), and the password followed by the app's six-digit code (the tenant is made
    to ask for a second step: smoke's own tenant, in smoke's own moto)."""
    http = scenario.UrlHttp(coordinates["api_url"], timeout=10)
    phone_cli = scenario.CliPhone(coordinates["phone_state"], PIN)
    claims = {"phone": scenario.SignIn(http, phone_cli, TENANT).run(rp, USERNAME)}

    svc = service.get()
    base = urlsplit(coordinates["issuer"])
    device = SoftwarePasskey(origin=f"{base.scheme}://{base.netloc}", rp_id=base.hostname or "")
    asked = passkeys.registration_options(svc, TENANT, USERNAME)
    made = device.create(asked["publicKey"])
    passkeys.register(svc, TENANT, USERNAME, asked["challenge_id"], made, "Smoke test passkey")
    claims["passkey"] = sign_in_methods.passkey(http, TENANT, rp, device)

    admin.set_policy(svc, TENANT, replace(DEMO_POLICY, require_two_step=True))
    claims["password_and_code"] = sign_in_methods.password_and_code(
        http, TENANT, rp, USERNAME, PASSWORD, phone_cli
    )
    return claims


def instructions(c: dict) -> str:
    """What to do next, every URL and path from the coordinates just written to demo.json."""
    run = f"PHONE_PIN={c['phone_pin']} .venv/bin/python -m authenticator --state {c['phone_state']}"
    return f"""
Phone sign-in is running on 127.0.0.1 (moto plays AWS; nothing leaves this machine).

  1. Open the demo app:      {c["app_url"]}   and click "Sign in"
     (or go straight to the sign-in page: {c["app_url"]}/login)
  2. Type the username:      {c["username"]}
  3. The page shows a two-digit number. Answer on the phone, in another terminal:
       {run} watch           # waits for the push, asks for the number
     or step by step:
       {run} inbox           # what the phone shows: app, origin, choices
       {run} approve --number NN
       {run} deny --fraud    # "this wasn't me"
       {run} totp            # a verification code
  4. The app shows the ID token's claims, verified against {c["issuer"]}/jwks.json

Or use a second browser tab as the phone: open the phone simulator, choose a PIN, and it
enrols itself with a fresh activation code; sign-in requests then appear in that tab:
       {c["phone_simulator_url"]}

No phone at hand? "Use your password instead" on the page; the password is: {PASSWORD}

Alice's own phones, passkeys and recovery codes (add a phone by its QR code, remove one):
       {c["issuer"]}/account

The issuer, client id and secret, redirect URI, username, password and phone state are in
{Path(c["phone_state"]).parent / "demo.json"}.
Press Ctrl-C to stop.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="one sign-in, then exit")
    parser.add_argument(
        "--port",
        type=int,
        default=API_PORT,
        help=f"the API's port if free (default {API_PORT}; 0: any)",
    )
    parser.add_argument(
        "--state-dir", type=Path, help="the phone and demo.json (default build/demo, build/smoke)"
    )
    args = parser.parse_args(argv)
    state_dir = args.state_dir or STATE_DIRS["smoke" if args.smoke else "demo"]
    with (
        running(args.port, blueprints=(simulator.blueprint,), host="localhost") as stack,
        demo_rp.bind(APP_PORT) as app_server,
    ):
        coordinates = set_up(stack, app_server.server_address[1], state_dir)
        rp = RelyingParty(
            coordinates["issuer"], CLIENT, coordinates["client_secret"], coordinates["redirect_uri"]
        )
        with demo_rp.serve(rp, app_server):
            if args.smoke:
                claims = smoke(coordinates, rp)
                print(json.dumps(claims, sort_keys=True))
                return 0
            print(instructions(coordinates), flush=True)
            threading.Event().wait()
    return 0


def _stop(signum, frame):
    raise KeyboardInterrupt  # `kill` stops the demo as Ctrl-C does: servers shut down


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    # Started in the background by a shell without job control, SIGINT arrives ignored: take
    # Python's own handler back, so `kill -INT` stops the demo as Ctrl-C does.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C, at any point: one line, no traceback
        print("\nStopped.")
        sys.exit(0)  # a stop asked for; under make, a non-zero status adds make's own line
