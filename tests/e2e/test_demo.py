"""`make demo` as a newcomer runs it, on a machine where its usual ports are taken."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
USUAL_PORTS = (8000, 8700)  # the API's and the demo app's
pytestmark = pytest.mark.e2e


@contextlib.contextmanager
def holding(ports):
    """Listen on the ports as another program would; yields those this test holds. One that
    is taken already is someone else's, who may let it go at any moment."""
    with contextlib.ExitStack() as sockets:
        held = set()
        for port in ports:
            sock = sockets.enter_context(socket.socket())
            with contextlib.suppress(OSError):
                sock.bind(("127.0.0.1", port))
                sock.listen()
                held.add(port)
        yield held


def lines_of(process) -> queue.Queue:
    """The process's stdout, line by line, read on a thread so the test can wait with a timeout."""
    lines: queue.Queue = queue.Queue()

    def read():
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def wait_for_instructions(lines: queue.Queue, timeout: float = 120) -> str:
    seen = []
    while True:
        line = lines.get(timeout=timeout)
        if line is None:
            raise AssertionError(
                "the demo stopped before printing its instructions:\n" + "".join(seen)
            )
        seen.append(line)
        if line.startswith("Press Ctrl-C to stop."):
            return "".join(seen)


def python_m(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **env},
    )  # fmt: skip


def test_demo_comes_up_on_other_ports_when_the_usual_ones_are_taken(tmp_path):
    """Defends issue 11's first hour: with 8000 and 8700 taken (by another program, or by a
    first `make demo`), the demo binds its servers on ports the OS picks, once (no port
    chosen, released and bound again for another process to take in between), and every
    coordinate it writes and prints names the ports it really has: the issuer answers there,
    a smoke run beside it signs in, and the phone command the README shows works against it.
    It stops on SIGTERM as on Ctrl-C, with one line."""
    state = tmp_path / "demo"  # not the user's build/demo
    with holding(USUAL_PORTS) as held:
        demo = subprocess.Popen(
            [sys.executable, "-m", "tools.demo", "--state-dir", str(state)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=(tmp_path / "demo.err").open("w"),
            text=True,
        )
        lines = lines_of(demo)
        try:
            printed = wait_for_instructions(lines)
            coordinates = json.loads((state / "demo.json").read_text())
            for name in ("api_url", "app_url"):
                port = int(coordinates[name].rsplit(":", 1)[1])
                assert port not in held, coordinates
                assert coordinates[name] in printed
            assert coordinates["issuer"] == f"{coordinates['api_url']}/t/demo"
            discovery = f"{coordinates['issuer']}/.well-known/openid-configuration"
            with urllib.request.urlopen(discovery, timeout=10) as response:
                assert json.load(response)["issuer"] == coordinates["issuer"]
            with urllib.request.urlopen(coordinates["app_url"], timeout=10) as response:
                assert b"Sign in" in response.read()

            smoke = python_m("tools.demo", "--smoke", "--state-dir", str(tmp_path / "smoke"))
            assert smoke.returncode == 0, smoke.stderr[-2000:]
            claims = json.loads(smoke.stdout.strip().splitlines()[-1])
            assert claims["phone"]["iss"] != coordinates["issuer"]  # its own service and ports

            # As the README and the instructions show it, the PIN in the environment.
            pin = {"PHONE_PIN": coordinates["phone_pin"]}
            inbox = python_m("authenticator", "--state", coordinates["phone_state"], "inbox", **pin)
            assert inbox.returncode == 0, inbox.stderr[-2000:]
        finally:
            demo.terminate()
            try:
                demo.wait(timeout=30)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait()
    rest = []
    while (line := lines.get(timeout=10)) is not None:
        rest.append(line)
    assert demo.returncode == 0
    assert [line for line in rest if line.strip()] == ["Stopped.\n"]
    assert "Traceback" not in (tmp_path / "demo.err").read_text()
