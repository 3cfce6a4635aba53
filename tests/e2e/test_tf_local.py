"""`make tf-local` as an operator runs it: the Terraform example applied to a moto server on
127.0.0.1, the service's tables in it afterwards, the admin CLI reaching the tenant Terraform
wrote with the environment tf-local prints, nothing written in infrastructure/, and a clean
stop on Ctrl-C.

Runs `python -m tools.tf_local` (what the Makefile runs) in a subprocess, with its working
copy in a temporary directory instead of build/tf-local. Uses the Terraform CLI and the AWS
provider already on the machine; nothing is downloaded. The subprocess takes half a minute,
mostly Terraform's: tests/e2e/conftest.py starts it (`start`) as soon as the run's tests are
collected, so that it works beside the tests that come before this one, which takes it up.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from tools import tf_local

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e

if tf_local.missing():
    pytest.skip(f"tf-local cannot run here: {tf_local.missing()}", allow_module_level=True)


def _stray_in_infrastructure() -> list[Path]:
    """What Terraform would leave in a configuration directory it ran in."""
    return sorted(
        p
        for p in tf_local.INFRA.rglob("*")
        if p.name.startswith(".terraform") or ".tfstate" in p.name or p.name.endswith("override.tf")
    )


def _read_until(lines: queue.Queue, marker: str, timeout: float) -> str:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"tf-local never printed {marker!r}:\n{''.join(seen)}")


@dataclass
class Run:
    """`python -m tools.tf_local` under way: its process, the lines it has printed, its stderr
    file and working copy, and what Terraform had left in infrastructure/ before it started."""

    process: subprocess.Popen
    lines: queue.Queue
    errors: Path
    work: Path
    before: list[Path]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


STARTED = pytest.StashKey[Run]()  # the run tests/e2e/conftest.py started, in config.stash


def start(scratch: Path) -> Run:
    before = _stray_in_infrastructure()
    errors = scratch / "stderr.txt"
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.tf_local", "--dir", str(scratch / "tf-local")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=errors.open("w"), text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    lines: queue.Queue = queue.Queue()

    def pump():
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return Run(process, lines, errors, scratch / "tf-local", before)


@pytest.fixture
def tf_local_run(request, tmp_path) -> Run:
    """The run started when collection ended, or one started now (a run that did not)."""
    return request.config.stash.get(STARTED, None) or start(tmp_path)


def test_tf_local_applies_the_example_to_moto_and_stops_on_ctrl_c(tf_local_run):
    process, lines, errors = tf_local_run.process, tf_local_run.lines, tf_local_run.errors
    work, before = tf_local_run.work, tf_local_run.before
    try:
        printed = _read_until(lines, "Press Ctrl-C", timeout=300)

        # The environment it prints for the admin CLI, as env.sh has it.
        env = {}
        for line in (work / "env.sh").read_text().splitlines():
            name, _, value = shlex.split(line.removeprefix("export "))[0].partition("=")
            env[name] = value
            assert f"export {name}={shlex.quote(value)}" in printed
        moto_url, prefix = env["AWS_ENDPOINT_URL"], env["TABLE_PREFIX"]
        assert moto_url.startswith("http://127.0.0.1:")
        assert prefix == tf_local.NAME
        assert {"KMS_KEY_ID", "PUBLIC_BASE_URL", "PUSH_APP_APNS_ARN", "PUSH_APP_FCM_ARN"} <= set(
            env
        )

        # Every table of the schema, made by Terraform in moto.
        schema = json.loads((ROOT / "chalicelib" / "schema.json").read_text())["tables"]
        credentials = {
            "region_name": env["AWS_DEFAULT_REGION"],
            "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
        }
        dynamodb = boto3.client("dynamodb", endpoint_url=moto_url, **credentials)
        tables = [t for t in dynamodb.list_tables()["TableNames"] if t.startswith(prefix)]
        assert sorted(tables) == sorted(prefix + table for table in schema)
        function = boto3.client("lambda", endpoint_url=moto_url, **credentials).get_function(
            FunctionName=f"{prefix}api"
        )
        assert f"function     {prefix}api" in printed
        assert function["Configuration"]["Environment"]["Variables"]["TABLE_PREFIX"] == prefix

        # The admin CLI, with only that environment, reads the tenant the example wrote.
        plain = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
        run = subprocess.run(
            [sys.executable, "-m", "tools.admin", "show-tenant", "acme"],
            cwd=ROOT, env={**plain, **env}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        shown = json.loads(run.stdout)
        assert shown["issuer"] == f"{env['PUBLIC_BASE_URL']}/t/acme"
        assert f"issuer {shown['issuer']}" in printed
        assert sorted(shown["clients"]) == ["acme-mobile", "acme-portal"]

        assert _stray_in_infrastructure() == before, "tf-local wrote in infrastructure/"
        assert (work / "infrastructure" / "environments" / "example" / "terraform.tfstate").exists()

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "Stopping moto." in _read_until(lines, "Stopping moto.", timeout=5)
        assert "Traceback" not in errors.read_text(), errors.read_text()
        once = Config(retries={"max_attempts": 1}, connect_timeout=2)
        with pytest.raises(EndpointConnectionError):  # moto stopped with it
            boto3.client(
                "dynamodb", endpoint_url=moto_url, config=once, **credentials
            ).list_tables()
    finally:
        tf_local_run.stop()
