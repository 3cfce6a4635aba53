"""`make demo`: the whole service on 127.0.0.1 with a demo tenant, app and enrolled phone.
`make smoke`: the same, then one complete sign-in over HTTP, non-interactively.

Nothing here needs an AWS account: moto plays DynamoDB, SNS and KMS.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

from authenticator import cli as phone
from chalicelib import service
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tools import simulator
from tools.admin import flows as admin
from tools.demo_rp import RelyingParty, serve
from tools.local_aws import free_port, running

# The demo's state, and the smoke run's apart from it: a smoke run beside a running demo must
# not replace the demo's phone or coordinates.
STATE_DIRS = {"demo": Path("build/demo"), "smoke": Path("build/smoke")}
TENANT, CLIENT, USERNAME, PIN = "demo", "demo-app", "alice@example.com", "123456"
PASSWORD = "correct horse battery staple"


def set_up(stack, rp_port: int, state_dir: Path) -> dict:
    """Tenant, client, account and an enrolled reference phone (its state in `state_dir`);
    returns the coordinates, also written to `state_dir`/demo.json."""
    svc = service.get()
    admin.create_tenant(svc, TENANT, "Demo Organisation", Policy())
    redirect_uri = f"http://127.0.0.1:{rp_port}/callback"
    client = admin.add_client(svc, TENANT, CLIENT, "Demo App", [redirect_uri])
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


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def smoke(coordinates: dict, rp: RelyingParty) -> dict:
    """Play the browser and the phone: page → number → phone approves → code → ID token."""
    authorize = rp.authorization_url()
    with urllib.request.urlopen(authorize, timeout=10) as page:
        assert page.status == 200 and b'id="number-step"' in page.read()
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize).query))
    started = _post(
        f"{coordinates['issuer']}/signin",
        {"client_id": CLIENT, "username": USERNAME, "nonce": params["nonce"],
         "redirect_uri": params["redirect_uri"], "code_challenge": params["code_challenge"],
         "code_challenge_method": "S256"},
    )  # fmt: skip
    state = ["--state", coordinates["phone_state"], "--pin", PIN]
    if phone.main([*state, "approve", "--number", str(started["number"])]) != 0:
        raise SystemExit("the phone could not approve")
    result = _post(
        f"{coordinates['issuer']}/signin/{started['signin_id']}/result",
        {"secret": started["secret"]},
    )
    if result["status"] != "approved":
        raise SystemExit(f"sign-in ended {result}")
    return rp.complete(params["state"], result["code"])


def instructions(c: dict) -> str:
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

The issuer, client id and secret, redirect URI, username, password and phone state are in
{STATE_DIRS["demo"] / "demo.json"}.
Press Ctrl-C to stop.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="one sign-in, then exit")
    parser.add_argument("--port", type=int, default=0, help="API port (default: 8000 if free)")
    args = parser.parse_args(argv)
    api_port = args.port or _prefer(8000)
    rp_port = _prefer(8700)
    with running(api_port, blueprints=(simulator.blueprint,)) as stack:
        coordinates = set_up(stack, rp_port, STATE_DIRS["smoke" if args.smoke else "demo"])
        rp = RelyingParty(
            coordinates["issuer"], CLIENT, coordinates["client_secret"], coordinates["redirect_uri"]
        )
        with serve(rp, rp_port):
            if args.smoke:
                claims = smoke(coordinates, rp)
                print(json.dumps(claims, sort_keys=True))
                return 0
            print(instructions(coordinates), flush=True)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                print("\nStopped.")
    return 0


def _prefer(port: int) -> int:
    """The usual port when it is free, so the printed URLs stay the same; else any free one."""
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return port
        except OSError:
            return free_port()


if __name__ == "__main__":
    sys.exit(main())
