"""The real Terraform, applied to a local moto server, then a sign-in against what it made.

Uses the Terraform CLI and the AWS provider already on the machine (infrastructure/
terraform.rc, a filesystem mirror); nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

from tools.localstack import FAKE_CREDENTIALS, start_moto

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infrastructure"
LOCAL_ENV = INFRA / "environments" / "local"
RC = INFRA / "terraform.rc"
pytestmark = pytest.mark.e2e


def _provider_present() -> bool:
    return any(
        Path("/opt/tf-plugins").glob(
            "registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*"
        )
    )


if shutil.which("terraform") is None or not _provider_present():
    pytest.skip(
        "Terraform CLI or its AWS provider mirror (/opt/tf-plugins) is not on this machine",
        allow_module_level=True,
    )


def terraform(*args: str, workdir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(RC), "TF_IN_AUTOMATION": "1",
           "CHECKPOINT_DISABLE": "1"}  # fmt: skip
    run = subprocess.run(
        ["terraform", f"-chdir={workdir}", *args, "-no-color"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def test_terraform_is_formatted():
    run = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", str(INFRA)], capture_output=True, text=True
    )
    assert run.returncode == 0, f"not formatted: {run.stdout}"


def test_apply_to_moto_then_sign_in_against_what_it_created(tmp_path, monkeypatch):
    # A copy of the repository's Terraform (and the schema it reads), so state and plugin
    # caches stay out of the work tree.
    shutil.copytree(
        INFRA,
        tmp_path / "infrastructure",
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"),
    )
    (tmp_path / "chalicelib").mkdir()
    shutil.copy(ROOT / "chalicelib" / "schema.json", tmp_path / "chalicelib" / "schema.json")
    workdir = tmp_path / LOCAL_ENV.relative_to(ROOT)
    moto = start_moto()
    try:
        terraform("init", "-input=false", workdir=workdir)
        terraform("validate", workdir=workdir)
        var = f"-var=endpoint={moto.url}"
        terraform("apply", "-auto-approve", "-input=false", var, workdir=workdir)
        outputs = json.loads(terraform("output", "-json", workdir=workdir).stdout)
        env = outputs["environment"]["value"]
        _sign_in_with(env, moto.url, monkeypatch)
        terraform("destroy", "-auto-approve", "-input=false", var, workdir=workdir)
        for name, value in FAKE_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        tables = boto3.client("dynamodb", endpoint_url=moto.url).list_tables()["TableNames"]
        assert not [t for t in tables if t.startswith(env["TABLE_PREFIX"])]
    finally:
        moto.stop()


def _sign_in_with(env: dict, moto_url: str, monkeypatch) -> None:
    """A complete sign-in through the app, wired only to what Terraform created."""
    from chalice.test import Client

    import app as app_module
    from authenticator.device_api import DeviceApi
    from chalicelib import aws, service
    from chalicelib.accounts import AccountKind
    from chalicelib.flows import admin
    from chalicelib.settings import Settings
    from chalicelib.tenants import Policy
    from tests.api.conftest import TestPhone

    for name, value in {**FAKE_CREDENTIALS, **env, "AWS_ENDPOINT_URL": moto_url,
                        "PUBLIC_BASE_URL": "https://signin.example.test"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    aws.reset()
    try:
        svc = service.build(
            Settings.from_env(), aws.lazy("dynamodb"), aws.lazy("sns"), aws.lazy("kms")
        )
        monkeypatch.setattr(service, "get", lambda: svc)
        admin.create_tenant(svc, "tfco", "Terraform Co", Policy())
        client = admin.add_client(svc, "tfco", "tf-web", "TF Portal", ["https://tf.example/cb"])
        admin.create_account(svc, "tfco", "bob@tf.example", AccountKind.WORK)
        code = admin.issue_activation_code(svc, "tfco", "bob@tf.example")["activation_code"]
        with Client(app_module.app) as http:

            def post(path, body):
                response = http.http.post(
                    path, headers={"Content-Type": "application/json"}, body=json.dumps(body)
                )
                return response.status_code, json.loads(response.body)

            phone = TestPhone(DeviceApi(post, "tfco", "https://signin.example.test/t/tfco"))
            assert phone.enrol(code, push_token="tf-token")[0] == 200
            status, started = post(
                "/t/tfco/signin", {"client_id": "tf-web", "username": "bob@tf.example"}
            )
            assert status == 200
            assert phone.respond(started["signin_id"], "approve", started["number"])[0] == 200
            status, result = post(
                f"/t/tfco/signin/{started['signin_id']}/result", {"secret": started["secret"]}
            )
            assert result["status"] == "approved"
            form = (
                f"grant_type=authorization_code&code={result['code']}"
                f"&client_id=tf-web&client_secret={client['client_secret']}"
            )
            response = http.http.post(
                "/t/tfco/token",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=form,
            )
            assert response.status_code == 200, response.body
            assert "id_token" in json.loads(response.body)
        sns = boto3.client("sns", endpoint_url=moto_url)
        endpoints = sns.list_endpoints_by_platform_application(
            PlatformApplicationArn=env["PUSH_APP_APNS_ARN"]
        )["Endpoints"]
        assert [e["Attributes"]["Token"] for e in endpoints] == ["tf-token"]
    finally:
        aws.reset()
