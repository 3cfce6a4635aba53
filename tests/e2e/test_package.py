"""The Lambda zip as `make package` builds it (`chalice package`, then tools/package.py; what
Terraform deploys): the service and its runtime libraries as bytecode, nothing an operator alone
needs, and a tree that imports and serves as Lambda loads it. Built for this machine's
architecture, so the tree can run here.

Operator code (tools/admin: creating tenants, issuing activation codes, resetting limits) runs
with the operator's own credentials; shipped in the function it would be code the function's
role could be tricked into running, and bytes every cold start pays for.
"""

from __future__ import annotations

import json
import marshal
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tools import package as post
from tools.bench.startup import lambda_runtime
from tools.local_aws import FAKE_CREDENTIALS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
OPERATOR_ONLY = ("create_tenant", "issue_activation_code", "reset_limits")
HERE = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> zipfile.ZipFile:
    chalice = Path(sys.executable).parent / "chalice"
    project = tmp_path_factory.mktemp("package") / "project"
    (project / ".chalice").mkdir(parents=True)
    for name in ("app.py", "requirements.txt"):
        shutil.copy2(ROOT / name, project / name)
    config = json.loads((ROOT / ".chalice/config.json").read_text())
    config["stages"]["prod"]["lambda_architecture"] = HERE
    (project / ".chalice/config.json").write_text(json.dumps(config))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
    out = project.parent / "out"
    done = subprocess.run(
        [str(chalice), "package", "--stage", "prod", str(out)],
        cwd=project, env={"PATH": "/usr/bin:/bin", "HOME": str(project), **FAKE_CREDENTIALS},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert post.main([str(out)]) == 0
    with zipfile.ZipFile(out / "deployment.zip") as archive:
        yield archive


def names_in(package: zipfile.ZipFile, module: str) -> set[str]:
    """Every name a shipped module's bytecode uses (its functions' too)."""
    code = marshal.loads(package.read(module)[16:])  # noqa: S302  # our own build's output
    found, codes = set(), [code]
    while codes:
        code = codes.pop()
        found |= set(code.co_names) | set(code.co_varnames)
        codes += [c for c in code.co_consts if hasattr(c, "co_names")]
    return found


def test_the_zip_holds_no_operator_code(package):
    names = package.namelist()
    assert not [n for n in names if n.startswith(("tools/", "tests/", "authenticator/"))]
    ours = [n for n in names if n.endswith(".pyc") and n.startswith(("chalicelib/", "app.pyc"))]
    assert "chalicelib/usecases/token_endpoint.pyc" in ours
    found = {(name, m) for name in ours for m in OPERATOR_ONLY if m in names_in(package, name)}
    assert not found, found


def test_the_service_signs_with_pyjwt_and_ships_no_boto3(package):
    """boto3 is in the Lambda runtime already; PyJWT is the service's JWT library (jose.py)."""
    tops = {name.split("/")[0] for name in package.namelist()}
    assert "jwt" in tops
    assert not tops & {"boto3", "botocore", "s3transfer"}
    assert "jwt" in names_in(package, "chalicelib/domain/jose.pyc")


@pytest.fixture(scope="module")
def task_root(package, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("task")
    package.extractall(root)
    return root


def test_the_unzipped_tree_imports_and_serves_as_lambda_loads_it(task_root, tmp_path):
    """Only the task root and the runtime's boto3 on sys.path, nothing written: every module
    from those (no dist-info needed, cffi's Python package never imported)."""
    runtime = lambda_runtime(tmp_path / "runtime")
    probe = f"""
import json, sys
sys.path[:0] = [{str(task_root)!r}, {str(runtime)!r}]
import app
from chalicelib import service
from chalicelib.adapters import aws
service.get()
clients_after_get = aws.client.cache_info().currsize
event = {{"resource": "/openapi.json", "path": "/openapi.json", "httpMethod": "GET",
          "headers": {{"Host": "example.org"}}, "multiValueHeaders": {{}},
          "queryStringParameters": None, "multiValueQueryStringParameters": None,
          "pathParameters": None, "stageVariables": None,
          "requestContext": {{"resourcePath": "/openapi.json", "httpMethod": "GET",
                              "stage": "api", "identity": {{"sourceIp": "192.0.2.1"}}}},
          "body": None, "isBase64Encoded": False}}
response = app.handler(event, None)
loaded = [m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)]
ours = ({str(task_root)!r}, {str(runtime)!r}, sys.base_prefix)
print(json.dumps({{"status": response["statusCode"],
                  "title": json.loads(response["body"])["info"]["title"],
                  "outside": [f for f in loaded if not f.startswith(ours)],
                  "cffi": "cffi" in sys.modules,
                  "clients": [clients_after_get, aws.client.cache_info().currsize]}}))
"""
    env = {"PATH": "/usr/bin:/bin", **FAKE_CREDENTIALS, "PUBLIC_BASE_URL": "https://example.org"}
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", probe], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["status"] == 200 and seen["title"]
    assert seen["outside"] == [] and not seen["cffi"]
    assert seen["clients"] == [0, 0]  # no client, KMS's included, until a request uses one
    assert not list(task_root.rglob("__pycache__"))


def test_the_passkey_checks_pass_with_fido2_and_cryptography_as_shipped(task_root, tmp_path):
    """fido2 without its client half and with an empty public suffix list (tools/package.py),
    cryptography with its symbol tables blanked: the passkey tests, with those two as shipped
    first on sys.path (the rest of the tree lacks what the tests use, e.g. chalice.test)."""
    for name in ("fido2", "cryptography"):
        (tmp_path / name).symlink_to(task_root / name)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    where = "import fido2, cryptography; print(fido2.__file__, cryptography.__file__)"
    done = subprocess.run([sys.executable, "-c", where], env=env, capture_output=True, text=True)
    assert all(f.startswith(str(tmp_path)) for f in done.stdout.split()), done.stdout
    tests = ["tests/unit/test_passkeys.py", "tests/api/test_passkeys.py"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
