"""The real Terraform, applied to a local moto server, then a sign-in against what it made.

environments/local applies the service module (tables, key, push apps, the function's role,
the function and its HTTP front) and the tenant module (tenant "tfco", client "tf-web"). The
sign-in then runs the app in-process, wired only to what Terraform created and to the tenant
and client the module wrote. moto stores the Lambda function and its front but does not run
them, and does not enforce IAM: the role's policy is checked instead against the AWS calls
the function made, recorded in the API suite and in this sign-in (tests/aws_calls.py).

Uses the Terraform CLI and the AWS provider already on the machine (infrastructure/
terraform.rc, a filesystem mirror); nothing is downloaded. Terraform runs, the copy of
infrastructure/ it runs in and the function's zip are tools/tf_local.py's, which `make
tf-local` uses (tests/e2e/test_tf_local.py).
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
import subprocess
from pathlib import Path

import boto3
import pytest

from tests import aws_calls
from tests.aws_calls import Call
from tools import tf_local
from tools.local_aws import FAKE_CREDENTIALS, start_moto

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infrastructure"
ACCOUNT = "123456789012"  # moto's
TF_WEB_SECRET = secrets.token_urlsafe(32)  # the tenant module's client secret, this run only
REDIRECT = "https://tf.example/cb"  # tf-web's, in environments/local
pytestmark = pytest.mark.e2e


if tf_local.missing():
    pytest.skip(f"Terraform cannot run here: {tf_local.missing()}", allow_module_level=True)


def terraform(*args: str, workdir: Path) -> subprocess.CompletedProcess:
    env = {"TF_VAR_tf_web_secret": TF_WEB_SECRET}
    return tf_local.terraform(*args, workdir=workdir, env=env)


@pytest.fixture(scope="module")
def infra(tmp_path_factory) -> Path:
    """A copy of the repository's Terraform (and the schema it reads), so state and plugin
    caches stay out of the work tree."""
    return tf_local.copy_infrastructure(tmp_path_factory.mktemp("tf"))


def test_terraform_is_formatted():
    run = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", str(INFRA)], capture_output=True, text=True
    )
    assert run.returncode == 0, f"not formatted: {run.stdout}"


def test_the_service_modules_own_tests_pass(infra):
    """Needs the function's logging configuration (JSON, the platform's lines at WARN): moto
    ignores it, so `terraform test` plans it with a mock provider (modules/service/tests)."""
    workdir = infra / "modules" / "service"
    terraform("init", "-input=false", "-backend=false", workdir=workdir)
    done = terraform("test", workdir=workdir)
    assert "2 passed, 0 failed" in done.stdout, done.stdout[-2000:]


@pytest.mark.parametrize("environment", ["example", "local"])
def test_environment_validates(infra, environment):
    workdir = infra / "environments" / environment
    terraform("init", "-backend=false", "-input=false", workdir=workdir)
    terraform("validate", workdir=workdir)


def test_apply_to_moto_then_sign_in_against_what_it_created(
    infra, tmp_path, monkeypatch, api_suite_calls
):
    workdir = infra / "environments" / "local"
    moto = start_moto()
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    aws = functools.partial(boto3.client, endpoint_url=moto.url)
    try:
        zipped = tf_local.lambda_zip(tmp_path / "lambda.zip")
        variables = [f"-var=endpoint={moto.url}", f"-var=lambda_zip={zipped}"]
        terraform("init", "-input=false", workdir=workdir)
        terraform("apply", "-auto-approve", "-input=false", *variables, workdir=workdir)
        outputs = tf_local.outputs(workdir)
        env = outputs["environment"]

        _check_function_and_front(aws, outputs)
        signed_in = _sign_in_with(env, outputs["issuer"], moto.url, monkeypatch)
        called, failed = api_suite_calls
        _check_role_is_least_privilege(aws, outputs, {**signed_in, **called}, failed)

        # The service gave the tenant its data key and signing keys (RS256 and ES256) in items
        # of their own, so the module's items (the tenant, its two clients) are as Terraform
        # wrote them: nothing to change, nothing lost.
        items = aws("dynamodb").query(
            TableName=f"{env['TABLE_PREFIX']}tenants",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "tfco"}},
        )["Items"]
        kinds = sorted(i["sk"]["S"].partition("#")[0] for i in items)
        assert kinds == ["client", "client", "datakey", "key", "key", "tenant"]
        terraform("plan", "-detailed-exitcode", "-input=false", *variables, workdir=workdir)

        # The other front: a function URL (no per-request charge) in place of the HTTP API.
        url_front = [*variables, "-var=front=function_url"]
        terraform("apply", "-auto-approve", "-input=false", *url_front, workdir=workdir)
        outputs = tf_local.outputs(workdir)
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


def _check_function_and_front(aws, outputs: dict) -> None:
    function = aws("lambda").get_function(FunctionName=outputs["function_name"])["Configuration"]
    assert (function["Handler"], function["Runtime"]) == ("app.handler", "python3.11")
    assert (function["MemorySize"], function["Timeout"]) == (512, 10)
    assert function["Architectures"] == ["arm64"]  # the module's default, as make package builds
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


# --- The role: exactly the calls the function makes, on exactly this deployment's resources --

# The order iam.tf lists a table's actions in, for the corrected map a failure prints.
TABLE_ACTIONS_ORDER = [
    "GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem",
    "BatchWriteItem", "ConditionCheckItem",
]  # fmt: skip
TERRAFORM_SIGN_IN = "the sign-in against what Terraform made (tests/e2e/test_terraform.py)"


def _check_role_is_least_privilege(
    aws, outputs: dict, called: dict[Call, str], failed: list[str]
) -> None:
    """The role grants exactly the calls the function made (`called`, each with where it was
    first seen), on this deployment's tables, push applications and endpoints, key and log
    group only, never on "*"."""
    iam = aws("iam")
    role = outputs["role_name"]
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    statements = (json.loads(document) if isinstance(document, str) else document)["Statement"]
    granted: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for resource in _listed(statement["Resource"]):
            assert resource.startswith("arn:aws:"), resource  # never "*"
            granted.setdefault(resource, set()).update(_listed(statement["Action"]))

    env = outputs["environment"]
    table_of = {
        arn: arn.rsplit("/", 1)[1].removeprefix(env["TABLE_PREFIX"])
        for arn in outputs["table_arns"]
    }
    tables = {r: a for r, a in granted.items() if any(x.startswith("dynamodb:") for x in a)}
    assert set(tables) <= set(table_of), "only this deployment's tables"
    apps = [env[k] for k in ("PUSH_APP_APNS_ARN", "PUSH_APP_APNS_SANDBOX_ARN", "PUSH_APP_FCM_ARN")]
    endpoints = [app.replace(":app/", ":endpoint/") + "/*" for app in apps]
    (key,) = {r for r, a in granted.items() if any(x.startswith("kms:") for x in a)}
    assert key.startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    logs = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/{outputs['function_name']}:*"
    assert set(granted) == {*tables, *apps, *endpoints, key, logs}, sorted(granted)
    assert granted[logs] == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert len({frozenset(granted[r]) for r in apps}) == 1, "every push application alike"
    assert len({frozenset(granted[r]) for r in endpoints}) == 1, "and their endpoints alike"

    # The key: the function's own calls only with the tenant as encryption context; the
    # tables' use of it (DynamoDB decrypting their keys) only through DynamoDB.
    on_key = [s for s in statements if key in _listed(s["Resource"])]
    (by_dynamodb,) = [s for s in on_key if "kms:ViaService" in str(s.get("Condition"))]
    (tenant_keys,) = [s for s in on_key if s is not by_dynamodb]
    assert set(_listed(by_dynamodb["Action"])) == {"kms:Decrypt", "kms:DescribeKey"}
    assert by_dynamodb["Condition"]["StringEquals"]["kms:ViaService"] == (
        "dynamodb.us-east-1.amazonaws.com"
    )
    only_tenant = tenant_keys["Condition"]["ForAllValues:StringEquals"]
    assert _listed(only_tenant["kms:EncryptionContextKeys"]) == ["tenant"]
    assert _listed(tenant_keys["Condition"]["Null"]["kms:EncryptionContextKeys"]) == ["false"]

    grants = set().union(
        *(_as_calls("dynamodb", table_of[arn], actions) for arn, actions in tables.items()),
        _as_calls("sns", "application", granted[apps[0]]),
        _as_calls("sns", "endpoint", granted[endpoints[0]]),
        _as_calls("kms", "key", _listed(tenant_keys["Action"])),
    )
    _assert_grants_are_the_calls(grants, called, failed)


def _as_calls(service: str, resource: str, actions) -> set[Call]:
    return {Call(service, resource, action.removeprefix(f"{service}:")) for action in actions}


def _assert_grants_are_the_calls(
    grants: set[Call], called: dict[Call, str], failed: list[str]
) -> None:
    missing, extra = sorted(set(called) - grants), sorted(grants - set(called))
    message = [
        "infrastructure/modules/service/iam.tf must grant the function exactly the calls it made"
        " in the API suite (tests/api) and in the sign-in against what Terraform made.",
    ]
    if missing:
        message.append("Called, not granted (add them):")
        message += [f"  {call}    (first in {called[call]})" for call in missing]
    if extra:
        message.append("Granted, never called (remove them, or test the request that needs them):")
        message += [f"  {call}" for call in extra]
    if failed:
        message.append(f"{len(failed)} API tests failed, so calls may be missing: {failed[:3]}")
    message += ["What was called, as iam.tf writes it:", *_as_iam_tf(called)]
    assert not missing and not extra, "\n".join(message)


def _as_iam_tf(called: dict[Call, str]) -> list[str]:
    schema = list(json.loads((ROOT / "chalicelib" / "schema.json").read_text())["tables"])
    per_table: dict[str, set[str]] = {table: set() for table in schema}
    for call in called:
        if call.service == "dynamodb":
            per_table.setdefault(call.resource, set()).add(call.action)
    width = max(map(len, per_table))

    def listed(actions: set[str], service: str = "") -> str:
        order = [*TABLE_ACTIONS_ORDER, *sorted(actions)]
        return json.dumps([service + a for a in sorted(actions, key=order.index)])

    def of(service: str, resource: str) -> set[str]:
        return {c.action for c in called if (c.service, c.resource) == (service, resource)}

    return [
        "  table_actions = {",
        *(f"    {table.ljust(width)} = {listed(acts)}" for table, acts in per_table.items()),
        "  }",
        f"  endpoint_actions = {listed(of('sns', 'endpoint'), 'sns:')}",
        f"  PushApps actions: {listed(of('sns', 'application'), 'sns:')}",
        f"  TenantDataKeys actions: {listed(of('kms', 'key'), 'kms:')}",
    ]


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


# --- A complete sign-in ---------------------------------------------------------------------


def _sign_in_with(env: dict, issuer: str, moto_url: str, monkeypatch) -> dict[Call, str]:
    """Start to ID token through the app, wired only to what Terraform created: the tenant
    and client come from the tenant module, the account from the admin flows. Returns the
    AWS calls the app made, for the role's check."""
    from chalice.test import Client

    import app as app_module
    from authenticator.device_api import DeviceApi
    from chalicelib import service
    from chalicelib.adapters import aws
    from chalicelib.domain.accounts import AccountKind
    from chalicelib.settings import Settings
    from tools import scenario
    from tools.admin import flows as admin

    for name, value in {**FAKE_CREDENTIALS, **env, "AWS_ENDPOINT_URL": moto_url}.items():
        monkeypatch.setenv(name, value)
    aws.reset()
    try:
        svc = service.build(
            Settings.from_env(), aws.lazy("dynamodb"), aws.lazy("sns"), aws.lazy("kms")
        )
        monkeypatch.setattr(service, "get", lambda: svc)
        clients = [aws.client(name) for name in ("dynamodb", "sns", "kms")]
        recording = aws_calls.recording(clients, env["TABLE_PREFIX"], TERRAFORM_SIGN_IN)
        with recording as calls, Client(app_module.app) as http:
            # The first request gives the tenant Terraform wrote its data key and signing key:
            # the function's calls that the API suite's tenants, made by the admin flows, never
            # need from it (tenants PutItem, kms:GenerateDataKey, kms:Decrypt).
            discovery = http.http.get("/t/tfco/.well-known/openid-configuration")
            assert json.loads(discovery.body)["issuer"] == issuer
            shown = admin.show_tenant(svc, "tfco")
            assert (shown["name"], shown["issuer"]) == ("Terraform Co", issuer)
            policy = shown["policy"]
            assert (policy["number_match"], policy["pushes_per_minute"]) == ("type", 5)
            assert (policy["phone_signin"], policy["signin_seconds"]) == (True, 120)
            assert shown["clients"]["tf-web"]["redirect_uris"] == [REDIRECT]
            assert not shown["clients"]["tf-web"]["public"]
            # The registration's defaults, and every field as the module writes it.
            assert shown["clients"]["tf-web"]["id_token_signed_response_alg"] == "RS256"
            assert shown["clients"]["tf-web"]["backchannel_logout_session_required"] is True
            assert shown["clients"]["tf-spa"] == {
                "name": "TF SPA",
                "redirect_uris": ["http://127.0.0.1:9000/cb"],
                "public": True,
                "id_token_signed_response_alg": "ES256",
                "post_logout_redirect_uris": [
                    "http://127.0.0.1:9000/bye", "https://tf.example/bye"
                ],
                "backchannel_logout_uri": "https://tf.example/logout",
                "backchannel_logout_session_required": False,
            }  # fmt: skip
            admin.create_account(svc, "tfco", "bob@tf.example", AccountKind.WORK)
            code = admin.issue_activation_code(svc, "tfco", "bob@tf.example")["activation_code"]
            web = scenario.ChaliceHttp(http)
            phone = scenario.Phone(DeviceApi(scenario.transport(web), "tfco", issuer))
            assert phone.enrol(code, push_token="tf-token")[0] == 200
            rp = scenario.Client(web, "tfco", "tf-web", TF_WEB_SECRET, REDIRECT, pkce=False)
            tokens = scenario.SignIn(web, phone, "tfco").run(rp, "bob@tf.example", page=False)
            claims = _jwt_claims(tokens["id_token"])
            assert (claims["iss"], claims["aud"]) == (issuer, "tf-web")
        sns = boto3.client("sns", endpoint_url=moto_url)
        endpoints = sns.list_endpoints_by_platform_application(
            PlatformApplicationArn=env["PUSH_APP_APNS_ARN"]
        )["Endpoints"]
        assert [e["Attributes"]["Token"] for e in endpoints] == ["tf-token"]
        return calls
    finally:
        aws.reset()


def _jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
