"""`make tf-local`: the Terraform example, applied to a moto server on 127.0.0.1.

The deployment docs/deploy.md walks through (infrastructure/environments/example: the
service and the tenant acme), made in moto instead of AWS, so an operator can see what it
makes and try the admin CLI on it with no AWS account. Terraform works in a copy under
build/tf-local/: its state, the provider's link and lock file, an override that points every
AWS endpoint at moto with fake credentials, the variables file and stand-in push keys.
Nothing is written in infrastructure/. tests/e2e/test_terraform.py runs its Terraform with
the helpers here too.

Uses the Terraform CLI and, when infrastructure/terraform.rc's filesystem mirror holds it, the
AWS provider from there: nothing is downloaded. Without the mirror, Terraform's own
configuration applies and it fetches the provider from the registry.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tools.local_aws import FAKE_CREDENTIALS, REGION, start_moto

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infrastructure"
RC = INFRA / "terraform.rc"
WORK = ROOT / "build" / "tf-local"
EXAMPLE = "environments/example"  # under infrastructure/
NAME = "phonesignin-tflocal-"
# Every service the modules call, pointed at moto.
SERVICES = (
    "acm", "apigatewayv2", "cloudfront", "cloudwatch", "dynamodb", "iam", "kms", "lambda", "logs",
    "route53", "sns", "sts", "wafv2",
)  # fmt: skip
# What is never copied out of infrastructure/: state, plugin caches, and an operator's own
# variables and push keys.
NOT_COPIED = (".terraform*", "*.tfstate*", "*.tfvars", "*.p8", "*service-account*.json")


class TerraformFailed(RuntimeError):
    pass


def mirrored() -> bool:
    """Whether the filesystem mirror that terraform.rc names holds the AWS provider."""
    mirror = re.search(r'path\s*=\s*"([^"]+)"', RC.read_text())
    pattern = "registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*"
    return mirror is not None and any(Path(mirror.group(1)).glob(pattern))


def missing(offline: bool = True) -> str | None:
    """Why Terraform cannot run here (offline: without downloading the provider), or None."""
    if shutil.which("terraform") is None:
        return "the Terraform CLI is not on PATH"
    if offline and not mirrored():
        return f"the AWS provider is not in the mirror that {RC.relative_to(ROOT)} names"
    return None


def _cli_config() -> str | None:
    """TF_CLI_CONFIG_FILE: terraform.rc when its mirror has the provider; else the caller's
    own file, if it exists and is not terraform.rc (None: Terraform's default)."""
    if mirrored():
        return str(RC)
    own = os.environ.get("TF_CLI_CONFIG_FILE")
    return own if own and Path(own).is_file() and Path(own).resolve() != RC else None


def terraform(
    *args: str, workdir: Path, env: dict[str, str | None] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run terraform in workdir with the repository's CLI configuration (the provider
    mirror, when it has the provider), no update checks and no prompts; `env` sets
    variables (TF_VAR_*), or unsets those it gives None."""
    run_env = {**os.environ, "TF_CLI_CONFIG_FILE": _cli_config(), "TF_IN_AUTOMATION": "1",
               "CHECKPOINT_DISABLE": "1", **(env or {})}  # fmt: skip
    run = subprocess.run(
        ["terraform", f"-chdir={workdir}", *args, "-no-color"],
        env={k: v for k, v in run_env.items() if v is not None},
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    if run.returncode != 0:
        raise TerraformFailed(
            f"terraform {args[0]} failed in {workdir}:\n{run.stdout[-4000:]}{run.stderr[-3000:]}"
        )
    return run


def outputs(workdir: Path) -> dict:
    raw = json.loads(terraform("output", "-json", workdir=workdir).stdout)
    return {name: output["value"] for name, output in raw.items()}


def copy_infrastructure(dest: Path) -> Path:
    """A copy of infrastructure/ (and the schema its modules read) under dest; returns the
    copy's infrastructure/."""
    shutil.copytree(INFRA, dest / "infrastructure", ignore=shutil.ignore_patterns(*NOT_COPIED))
    (dest / "chalicelib").mkdir(exist_ok=True)
    shutil.copy(ROOT / "chalicelib" / "schema.json", dest / "chalicelib" / "schema.json")
    return dest / "infrastructure"


def lambda_zip(path: Path) -> Path:
    """The app and chalicelib: enough for moto, which stores the function but never runs it
    (`make package` builds the real one, dependencies included, in about a minute)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(ROOT / "app.py", "app.py")
        for file in sorted((ROOT / "chalicelib").rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                zf.write(file, file.relative_to(ROOT).as_posix())
    return path


def moto_override(endpoint: str) -> str:
    """A provider override (Terraform merges *_override.tf into the configuration): fake
    credentials, no credential, region or account checks, every endpoint on moto; for the
    default provider and the us_east_1 alias (CloudFront's certificate and web ACL) alike."""
    endpoints = "\n".join(f'    {service:<12} = "{endpoint}"' for service in SERVICES)
    settings = f"""  access_key                  = "{FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]}"
  secret_key                  = "{FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_requesting_account_id  = true

  endpoints {{
{endpoints}
  }}"""
    return f"""# Written by tools/tf_local.py: the example's providers, pointed at moto.
provider "aws" {{
{settings}
}}

provider "aws" {{
  alias                       = "us_east_1"
{settings}
}}
"""


def _variables(work: Path) -> Path:
    """The example's variables, as an operator keeps them: a tfvars file and push keys
    outside infrastructure/ (stand-ins: moto takes any credential)."""
    keys = work / "secrets"
    keys.mkdir()
    apns = keys / "AuthKey_TFLOCAL123.p8"
    apns.write_text("stand-in for an APNs token key; moto takes any credential\n")
    fcm = keys / "firebase-service-account.json"
    fcm.write_text(json.dumps({"type": "service_account", "project_id": "tf-local"}) + "\n")
    values = {
        "region": REGION,
        "name": NAME,
        "lambda_zip": str(lambda_zip(work / "lambda.zip")),
        "apns_key_file": str(apns),
        "apns_key_id": "TFLOCAL123",
        "apple_team_id": "TEAM123456",
        "ios_bundle_id": "com.example.authenticator",
        "fcm_service_account_file": str(fcm),
        "platform_log_lines": True,  # moto ignores LoggingConfig: a second plan would show it
    }
    tfvars = work / "tf-local.tfvars"
    tfvars.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    return tfvars


@dataclass
class Applied:
    moto_url: str
    work: Path  # everything tf-local wrote
    workdir: Path  # the example's copy, where the state is
    outputs: dict
    tables: list[str]
    client_secret: str  # acme-portal's, this run's; Terraform keeps only its hash

    @property
    def admin_env(self) -> dict[str, str]:
        """What the admin CLI needs to reach what Terraform made in moto."""
        return {
            "AWS_ENDPOINT_URL": self.moto_url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            **self.outputs["environment"],
        }


def _fresh(work: Path) -> None:
    """Empty `work` (an earlier run's state names resources of a moto server that is gone),
    but only a directory tf-local made."""
    marker = work / ".tf-local"
    if work.exists() and any(work.iterdir()) and not marker.exists():
        raise TerraformFailed(f"{work} is not empty and tf-local did not make it: not emptied")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    marker.write_text("made by tools/tf_local.py, emptied on each run\n")


def apply(moto_url: str, work: Path = WORK) -> Applied:
    """Apply the example to the moto server at moto_url, working in `work`."""
    import boto3

    _fresh(work)
    workdir = copy_infrastructure(work) / EXAMPLE
    (workdir / "moto_override.tf").write_text(moto_override(moto_url))
    tfvars = _variables(work)
    secret = secrets.token_urlsafe(32)
    # No profile or real key of the operator's reaches the provider: only moto's.
    env = {"AWS_PROFILE": None, **FAKE_CREDENTIALS, "TF_VAR_acme_portal_secret": secret}
    terraform("init", "-input=false", workdir=workdir, env=env)
    terraform("apply", "-auto-approve", "-input=false", f"-var-file={tfvars}", workdir=workdir,
              env=env)  # fmt: skip
    made = outputs(workdir)
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=moto_url, region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )  # fmt: skip
    prefix = made["environment"]["TABLE_PREFIX"]
    tables = sorted(t for t in dynamodb.list_tables()["TableNames"] if t.startswith(prefix))
    applied = Applied(moto_url, work, workdir, made, tables, secret)
    (work / "env.sh").write_text(
        "".join(f"export {k}={shlex.quote(v)}\n" for k, v in applied.admin_env.items())
    )
    return applied


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def instructions(applied: Applied) -> str:
    made, env = applied.outputs, applied.outputs["environment"]
    work = applied.work
    pushes = [f"{k}={v}" for k, v in env.items() if k.startswith("PUSH_APP_")]
    py = ".venv/bin/python"
    rc = f"TF_CLI_CONFIG_FILE=$PWD/{_shown(RC)} " if mirrored() else ""
    exports = [f"{k}={shlex.quote(v)}" for k, v in applied.admin_env.items()]
    return "\n".join([
        f"The Terraform example (infrastructure/{EXAMPLE}: the service and the tenant acme)",
        f"is applied to moto on {applied.moto_url}. Nothing leaves this machine.",
        f"Terraform's copy and state: {_shown(applied.workdir)}/",
        "(nothing is written in infrastructure/).",
        "",
        "What it made:",
        *textwrap.wrap(
            ", ".join(t.removeprefix(env["TABLE_PREFIX"]) for t in applied.tables),
            width=96, initial_indent=f"  tables       {env['TABLE_PREFIX']} + ",
            subsequent_indent=" " * 15,
        ),
        f"  KMS key      {env['KMS_KEY_ID']}",
        *(f"  push app     {p}" for p in pushes),
        f"               (stand-in keys in {_shown(work / 'secrets')}/)",
        f"  function     {made['function_name']}",
        f"  HTTP API     {made['base_url']}",
        "               moto stores the function and its API but runs neither: `make demo`",
        "               serves the same code on 127.0.0.1.",
        f"  tenant acme  issuer {made['acme_issuer']}",
        "               clients acme-portal (confidential; this run's secret:",
        f"               {applied.client_secret}) and acme-mobile (public, PKCE)",
        "",
        "Point the admin CLI at it, in another terminal in the repository:",
        f"  . {_shown(work / 'env.sh')}        # the same as:",
        *(f"  export {e}" for e in exports),
        f"  {py} -m tools.admin show-tenant acme",
        f"  {py} -m tools.admin create-account acme alice@acme.example",
        f"  {py} -m tools.admin activation-code acme alice@acme.example",
        "",
        "Look at the function and its front with boto3 (same environment):",
        f"  {py} -c 'import boto3; print(boto3.client(\"lambda\").get_function("
        f"FunctionName=\"{made['function_name']}\")[\"Configuration\"][\"Environment\"])'",
        f"  {py} -c 'import boto3; print(boto3.client(\"apigatewayv2\").get_apis()[\"Items\"])'",
        "And Terraform's own view:",
        f"  {rc}terraform -chdir={_shown(applied.workdir)} output",
        "",
        "Press Ctrl-C to stop. moto keeps everything in memory: it is gone when moto stops.",
    ])  # fmt: skip


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make tf-local", description=__doc__.split("\n\n")[0].strip()
    )
    parser.add_argument("--dir", type=Path, default=WORK, help="Terraform's working copy")
    args = parser.parse_args(argv)
    problem = missing(offline=False)
    if problem:
        print(f"tf-local: {problem}", file=sys.stderr)
        return 1
    if not mirrored():
        print(f"tf-local: no provider mirror ({RC.relative_to(ROOT)}): Terraform fetches the "
              "AWS provider from the registry", flush=True)  # fmt: skip
    signal.signal(signal.SIGTERM, _interrupt)  # stop as cleanly as on Ctrl-C
    # Started in the background by a shell without job control, SIGINT arrives ignored: take
    # Python's own handler back, so `kill -INT` stops it as Ctrl-C does.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    moto = start_moto()
    try:
        print(f"moto is on {moto.url}; applying infrastructure/{EXAMPLE} (about 30 s) ...",
              flush=True)  # fmt: skip
        applied = apply(moto.url, args.dir.resolve())
        print(f"\n{instructions(applied)}", flush=True)
        while True:
            time.sleep(3600)
    except TerraformFailed as failed:
        print(failed, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping moto.", flush=True)
    finally:
        moto.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # a second Ctrl-C while moto stops
        sys.exit(130)
