"""The real Terraform, applied to a local moto server, then a sign-in against what it made.

environments/local applies the service module (tables, key, push apps, the function's role,
the function and its HTTP front) and the tenant module (tenant "tfco", client "tf-web"). The
sign-in then runs the app in-process, wired only to what Terraform created and to the tenant
and client the module wrote. moto stores the Lambda function and its front but does not run
them, and does not enforce IAM: the role's policy is checked against the code instead.

Uses the Terraform CLI and the AWS provider already on the machine (infrastructure/
terraform.rc, a filesystem mirror); nothing is downloaded.
"""

from __future__ import annotations

import ast
import base64
import functools
import json
import os
import re
import secrets
import shutil
import subprocess
import zipfile
from pathlib import Path

import boto3
import pytest

from tools.localstack import FAKE_CREDENTIALS, start_moto

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infrastructure"
RC = INFRA / "terraform.rc"
ACCOUNT = "123456789012"  # moto's
TF_WEB_SECRET = secrets.token_urlsafe(32)  # the tenant module's client secret, this run only
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
           "CHECKPOINT_DISABLE": "1", "TF_VAR_tf_web_secret": TF_WEB_SECRET}  # fmt: skip
    run = subprocess.run(
        ["terraform", f"-chdir={workdir}", *args, "-no-color"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def infra(tmp_path_factory) -> Path:
    """A copy of the repository's Terraform (and the schema it reads), so state and plugin
    caches stay out of the work tree."""
    root = tmp_path_factory.mktemp("tf")
    shutil.copytree(
        INFRA,
        root / "infrastructure",
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "terraform.tfvars"),
    )
    (root / "chalicelib").mkdir()
    shutil.copy(ROOT / "chalicelib" / "schema.json", root / "chalicelib" / "schema.json")
    return root / "infrastructure"


def test_terraform_is_formatted():
    run = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", str(INFRA)], capture_output=True, text=True
    )
    assert run.returncode == 0, f"not formatted: {run.stdout}"


@pytest.mark.parametrize("environment", ["example", "local"])
def test_environment_validates(infra, environment):
    workdir = infra / "environments" / environment
    terraform("init", "-backend=false", "-input=false", workdir=workdir)
    terraform("validate", workdir=workdir)


def test_apply_to_moto_then_sign_in_against_what_it_created(infra, tmp_path, monkeypatch):
    workdir = infra / "environments" / "local"
    moto = start_moto()
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    aws = functools.partial(boto3.client, endpoint_url=moto.url)
    try:
        variables = [f"-var=endpoint={moto.url}", f"-var=lambda_zip={_lambda_zip(tmp_path)}"]
        terraform("init", "-input=false", workdir=workdir)
        terraform("apply", "-auto-approve", "-input=false", *variables, workdir=workdir)
        outputs = _outputs(workdir)
        env = outputs["environment"]

        _check_function_and_front(aws, outputs)
        _check_role_is_least_privilege(aws, outputs)
        _sign_in_with(env, outputs["issuer"], moto.url, monkeypatch)

        # The service gave the tenant its data key and signing key in items of their own, so
        # the module's items are as Terraform wrote them: nothing to change, nothing lost.
        items = aws("dynamodb").query(
            TableName=f"{env['TABLE_PREFIX']}tenants",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "tfco"}},
        )["Items"]
        kinds = sorted(i["sk"]["S"].partition("#")[0] for i in items)
        assert kinds == ["client", "datakey", "key", "tenant"]
        terraform("plan", "-detailed-exitcode", "-input=false", *variables, workdir=workdir)

        # The other front: a function URL (no per-request charge) in place of the HTTP API.
        url_front = [*variables, "-var=front=function_url"]
        terraform("apply", "-auto-approve", "-input=false", *url_front, workdir=workdir)
        outputs = _outputs(workdir)
        function_url = aws("lambda").get_function_url_config(FunctionName=outputs["function_name"])
        assert function_url["AuthType"] == "NONE"
        assert outputs["base_url"] == function_url["FunctionUrl"].rstrip("/")
        assert aws("apigatewayv2").get_apis()["Items"] == []
        assert outputs["environment"]["PUBLIC_BASE_URL"] == "https://signin.tf.example"

        terraform("destroy", "-auto-approve", "-input=false", *url_front, workdir=workdir)
        tables = aws("dynamodb").list_tables()["TableNames"]
        assert not [t for t in tables if t.startswith(env["TABLE_PREFIX"])]
        roles = [r["RoleName"] for r in aws("iam").list_roles()["Roles"]]
        assert outputs["role_name"] not in roles
    finally:
        moto.stop()


def _lambda_zip(tmp_path: Path) -> Path:
    """The app and chalicelib: enough for moto, which stores the function but never runs it
    (`chalice package` builds the real one, dependencies included, in about a minute)."""
    path = tmp_path / "lambda.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(ROOT / "app.py", "app.py")
        for file in sorted((ROOT / "chalicelib").rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                zf.write(file, file.relative_to(ROOT).as_posix())
    return path


def _outputs(workdir: Path) -> dict:
    raw = json.loads(terraform("output", "-json", workdir=workdir).stdout)
    return {name: output["value"] for name, output in raw.items()}


def _check_function_and_front(aws, outputs: dict) -> None:
    function = aws("lambda").get_function(FunctionName=outputs["function_name"])["Configuration"]
    assert (function["Handler"], function["Runtime"]) == ("app.handler", "python3.11")
    assert (function["MemorySize"], function["Timeout"]) == (512, 10)
    assert function["Architectures"] == ["x86_64"]
    assert function["Role"].endswith(f":role/{outputs['role_name']}")
    assert function["Environment"]["Variables"] == {
        **outputs["environment"],
        "TENANT_CACHE_SECONDS": "60",
    }
    (api,) = aws("apigatewayv2").get_apis()["Items"]
    assert outputs["base_url"] == api["ApiEndpoint"]
    assert outputs["environment"]["PUBLIC_BASE_URL"] == api["ApiEndpoint"]
    assert outputs["issuer"] == f"{api['ApiEndpoint']}/t/tfco"
    (route,) = aws("apigatewayv2").get_routes(ApiId=api["ApiId"])["Items"]
    assert route["RouteKey"] == "$default"
    (stage,) = aws("apigatewayv2").get_stages(ApiId=api["ApiId"])["Items"]
    assert stage["StageName"] == "$default" and stage["AutoDeploy"]
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


# --- The role: exactly what the code calls, on exactly this deployment's resources ----------

DYNAMODB_CALLS = {
    "get_item": "GetItem", "put_item": "PutItem", "update_item": "UpdateItem",
    "delete_item": "DeleteItem", "query": "Query", "scan": "Scan",
    "batch_get_item": "BatchGetItem", "batch_write_item": "BatchWriteItem",
}  # fmt: skip
# The writes of a TransactWriteItems: IAM authorises each as its single-item action.
TRANSACT_WRITES = {
    "Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}  # fmt: skip


def dynamodb_actions_the_function_needs() -> dict[str, set[str]]:
    """Per table, the DynamoDB actions of every store method the function can reach.

    chalicelib/stores/<table>.py is the one module that touches <table> (directly, or through
    a helper of stores/base.py that it hands its client). A store method counts when app.py
    or any chalicelib module other than flows/admin.py calls it; what only the admin CLI
    calls runs with the operator's credentials, not the function's role.
    """
    stores = ROOT / "chalicelib" / "stores"
    served = [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py")]
    admin = ROOT / "chalicelib" / "flows" / "admin.py"
    if not any(_imports_admin(path) for path in served if path != admin):
        served.remove(admin)
    calls = "\n".join(path.read_text() for path in served)
    helpers = _client_helpers(ast.parse((stores / "base.py").read_text()))
    schema = json.loads((ROOT / "chalicelib" / "schema.json").read_text())["tables"]
    needed: dict[str, set[str]] = {}
    for table in schema:
        tree = ast.parse((stores / f"{table}.py").read_text())
        for method in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            actions = _dynamodb_actions(method, helpers)
            if actions and re.search(rf"\.{method.name}\(", calls):
                needed.setdefault(table, set()).update(actions)
    return needed


def _imports_admin(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (
            (node.module or "").endswith("admin") or any(a.name == "admin" for a in node.names)
        ):
            return True
        if isinstance(node, ast.Import) and any(a.name.endswith(".admin") for a in node.names):
            return True
    return False


def _client_helpers(base: ast.Module) -> dict[str, list[str]]:
    """stores/base.py functions that take the client first, and the methods they call on it,
    directly or through another such helper they hand it to."""
    functions = {
        function.name: function
        for function in base.body
        if isinstance(function, ast.FunctionDef)
        and function.args.args
        and function.args.args[0].arg == "client"
    }

    def is_client(node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id == "client"

    def calls(name: str) -> list[str]:
        called = _calls_on(functions[name], is_client)
        for node in ast.walk(functions[name]):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in functions
                and node.args
                and is_client(node.args[0])
            ):
                called += calls(node.func.id)
        return called

    return {name: calls(name) for name in functions}


def _calls_on(tree: ast.AST, receiver) -> list[str]:
    return [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and receiver(node.func.value)
    ]


def _is_client(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "_client"


def _dynamodb_actions(method: ast.FunctionDef, helpers: dict[str, list[str]]) -> set[str]:
    called = _calls_on(method, _is_client)
    for node in ast.walk(method):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.args
            and _is_client(node.args[0])
        ):
            assert node.func.id in helpers, f"{node.func.id}: not a stores/base.py helper"
            called += helpers[node.func.id]
    # A transaction's writes are counted where a store builds them (its "Put"/"Update"/...).
    called = [name for name in called if name != "transact_write_items"]
    unknown = set(called) - set(DYNAMODB_CALLS)
    assert not unknown, f"map {unknown} to their IAM actions"
    actions = {DYNAMODB_CALLS[name] for name in called}
    for node in ast.walk(method):
        if isinstance(node, ast.Dict):
            actions |= {
                TRANSACT_WRITES[k.value]
                for k in node.keys
                if isinstance(k, ast.Constant) and k.value in TRANSACT_WRITES
            }
    return actions


def _check_role_is_least_privilege(aws, outputs: dict) -> None:
    iam = aws("iam")
    role = outputs["role_name"]
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    statements = json.loads(document) if isinstance(document, str) else document
    granted: dict[str, set[str]] = {}
    for statement in statements["Statement"]:
        assert statement["Effect"] == "Allow"
        for resource in _listed(statement["Resource"]):
            assert resource.startswith("arn:aws:"), resource  # never "*"
            granted.setdefault(resource, set()).update(_listed(statement["Action"]))

    prefix = outputs["environment"]["TABLE_PREFIX"]
    table_arn = {arn.rsplit("/", 1)[1].removeprefix(prefix): arn for arn in outputs["table_arns"]}
    tables = {r: a for r, a in granted.items() if any(x.startswith("dynamodb:") for x in a)}
    assert set(tables) <= set(table_arn.values()), "only this deployment's tables"
    needed = dynamodb_actions_the_function_needs()
    assert {r: {a.removeprefix("dynamodb:") for a in acts} for r, acts in tables.items()} == {
        table_arn[table]: actions for table, actions in needed.items()
    }, "modules/service/iam.tf table_actions must be what the stores call (see its comment)"

    env = outputs["environment"]
    key_arn = next(r for r, a in granted.items() if "kms:GenerateDataKey" in a)
    assert granted[key_arn] == {"kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"}
    assert key_arn.startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    apps = [env[k] for k in ("PUSH_APP_APNS_ARN", "PUSH_APP_APNS_SANDBOX_ARN", "PUSH_APP_FCM_ARN")]
    for app in apps:
        assert granted[app] == {"sns:CreatePlatformEndpoint"}
        endpoints = app.replace(":app/", ":endpoint/") + "/*"
        assert granted[endpoints] == {
            "sns:Publish",
            "sns:SetEndpointAttributes",
            "sns:DeleteEndpoint",
        }
    log_group = f"log-group:/aws/lambda/{outputs['function_name']}:*"
    assert granted[f"arn:aws:logs:us-east-1:{ACCOUNT}:{log_group}"] == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    assert len(granted) == len(tables) + 1 + 2 * len(apps) + 1, sorted(granted)

    # Tenant data keys only with the tenant as encryption context; the tables' own key use
    # only through DynamoDB.
    conditions = {
        action: statement.get("Condition", {})
        for statement in statements["Statement"]
        for action in _listed(statement["Action"])
        if action in ("kms:GenerateDataKey", "kms:DescribeKey")
    }
    tenant_only = conditions["kms:GenerateDataKey"]["ForAllValues:StringEquals"]
    assert _listed(tenant_only["kms:EncryptionContextKeys"]) == ["tenant"]
    assert conditions["kms:DescribeKey"]["StringEquals"]["kms:ViaService"] == (
        "dynamodb.us-east-1.amazonaws.com"
    )


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


# --- A complete sign-in ---------------------------------------------------------------------


def _sign_in_with(env: dict, issuer: str, moto_url: str, monkeypatch) -> None:
    """Start to ID token through the app, wired only to what Terraform created: the tenant
    and client come from the tenant module, the account from the admin flows."""
    from chalice.test import Client

    import app as app_module
    from authenticator.device_api import DeviceApi
    from chalicelib import aws, service
    from chalicelib.accounts import AccountKind
    from chalicelib.flows import admin
    from chalicelib.settings import Settings
    from tests.api.conftest import TestPhone

    for name, value in {**FAKE_CREDENTIALS, **env, "AWS_ENDPOINT_URL": moto_url}.items():
        monkeypatch.setenv(name, value)
    aws.reset()
    try:
        svc = service.build(
            Settings.from_env(), aws.lazy("dynamodb"), aws.lazy("sns"), aws.lazy("kms")
        )
        monkeypatch.setattr(service, "get", lambda: svc)
        shown = admin.show_tenant(svc, "tfco")
        assert (shown["name"], shown["issuer"]) == ("Terraform Co", issuer)
        policy = shown["policy"]
        assert (policy["number_match"], policy["pushes_per_minute"]) == ("type", 5)
        assert (policy["phone_signin"], policy["signin_seconds"]) == (True, 120)
        assert shown["clients"]["tf-web"]["redirect_uris"] == ["https://tf.example/cb"]
        assert not shown["clients"]["tf-web"]["public"]
        admin.create_account(svc, "tfco", "bob@tf.example", AccountKind.WORK)
        code = admin.issue_activation_code(svc, "tfco", "bob@tf.example")["activation_code"]
        with Client(app_module.app) as http:

            def post(path, body):
                response = http.http.post(
                    path, headers={"Content-Type": "application/json"}, body=json.dumps(body)
                )
                return response.status_code, json.loads(response.body)

            phone = TestPhone(DeviceApi(post, "tfco", issuer))
            assert phone.enrol(code, push_token="tf-token")[0] == 200
            status, started = post(
                "/t/tfco/signin", {"client_id": "tf-web", "username": "bob@tf.example"}
            )
            assert status == 200, started
            assert phone.respond(started["signin_id"], "approve", started["number"])[0] == 200
            status, result = post(
                f"/t/tfco/signin/{started['signin_id']}/result", {"secret": started["secret"]}
            )
            assert result["status"] == "approved"
            form = (
                f"grant_type=authorization_code&code={result['code']}"
                f"&client_id=tf-web&client_secret={TF_WEB_SECRET}"
            )
            response = http.http.post(
                "/t/tfco/token",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=form,
            )
            assert response.status_code == 200, response.body
            claims = _jwt_claims(json.loads(response.body)["id_token"])
            assert (claims["iss"], claims["aud"]) == (issuer, "tf-web")
        sns = boto3.client("sns", endpoint_url=moto_url)
        endpoints = sns.list_endpoints_by_platform_application(
            PlatformApplicationArn=env["PUSH_APP_APNS_ARN"]
        )["Endpoints"]
        assert [e["Attributes"]["Token"] for e in endpoints] == ["tf-token"]
    finally:
        aws.reset()


def _jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
