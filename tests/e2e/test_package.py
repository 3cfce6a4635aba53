"""The Lambda zip as `chalice package` builds it (what `make package` and Terraform deploy):
the service and its runtime libraries, and nothing an operator alone needs.

Operator code (tools/admin: creating tenants, issuing activation codes, resetting limits) runs
with the operator's own credentials; shipped in the function it would be code the function's
role could be tricked into running, and bytes every cold start pays for.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tools.local_aws import FAKE_CREDENTIALS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
OPERATOR_ONLY = ("def create_tenant", "def issue_activation_code", "def reset_limits")


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> zipfile.ZipFile:
    chalice = Path(sys.executable).parent / "chalice"
    project = tmp_path_factory.mktemp("package") / "project"
    (project / ".chalice").mkdir(parents=True)
    for name in ("app.py", "requirements.txt", ".chalice/config.json"):
        shutil.copy2(ROOT / name, project / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
    out = project.parent / "out"
    done = subprocess.run(
        [str(chalice), "package", "--stage", "prod", str(out)],
        cwd=project, env={"PATH": "/usr/bin:/bin", "HOME": str(project), **FAKE_CREDENTIALS},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(out / "deployment.zip") as archive:
        yield archive


def test_the_zip_holds_no_operator_code(package):
    names = package.namelist()
    assert not [n for n in names if n.startswith(("tools/", "tests/", "authenticator/"))]
    ours = [n for n in names if n.endswith(".py") and n.startswith(("chalicelib/", "app.py"))]
    assert "chalicelib/usecases/token_endpoint.py" in ours
    found = {
        (name, marker)
        for name in ours
        for marker in OPERATOR_ONLY
        if marker in package.read(name).decode()
    }
    assert not found, found


def test_the_service_signs_with_pyjwt_and_ships_no_boto3(package):
    """boto3 is in the Lambda runtime already; PyJWT is the service's JWT library (jose.py)."""
    tops = {name.split("/")[0] for name in package.namelist()}
    assert "jwt" in tops
    assert not tops & {"boto3", "botocore", "s3transfer"}
    assert "import jwt" in package.read("chalicelib/domain/jose.py").decode()
