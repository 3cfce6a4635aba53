"""The real Terraform, applied to a local moto server, then a sign-in against what it made.

environments/local applies the service module (tables, key, push apps, the function's role,
the function and its HTTP front; the domain login.tf.example with its certificate and Route 53
records, CloudFront with WAF in front, metric filters, alarms and a dashboard) and the tenant
module (tenant "tfco", client "tf-web"). The sign-in then runs the app in-process, wired only
to what Terraform created and to the tenant and client the module wrote. moto stores the
Lambda function and its front but does not run them, and does not enforce IAM: the role's
policy is checked instead against the AWS calls the function made, recorded in the API suite
and in this sign-in (tests/aws_calls.py).

Uses the Terraform CLI and the AWS provider already on the machine (infrastructure/
terraform.rc, a filesystem mirror); nothing is downloaded. Terraform runs, the copy of
infrastructure/ it runs in and the function's zip are tools/tf_local.py's, which `make
tf-local` uses (tests/e2e/test_tf_local.py).
"""

from __future__ import annotations

import base64
import functools
import hashlib
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
ORIGIN_SECRET = secrets.token_urlsafe(32)  # CloudFront's X-Origin-Secret, this run only
REDIRECT = "https://tf.example/cb"  # tf-web's, in environments/local
DOMAIN = "login.tf.example"  # environments/local's domain_name
SERVICE = INFRA / "modules" / "service"
METRICS = json.loads((SERVICE / "metrics.json").read_text())["metrics"]
# The AWS managed CloudFront policies cloudfront.tf names (by their documented IDs).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"  # every distribution's alias target zone
pytestmark = pytest.mark.e2e


if tf_local.missing():
    pytest.skip(f"Terraform cannot run here: {tf_local.missing()}", allow_module_level=True)


def terraform(*args: str, workdir: Path) -> subprocess.CompletedProcess:
    env = {"TF_VAR_tf_web_secret": TF_WEB_SECRET, "TF_VAR_origin_secret": ORIGIN_SECRET}
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
    """What moto cannot show, planned by `terraform test` with mock providers
    (modules/service/tests): the function's logging configuration (JSON, the platform's lines
    at WARN), which moto ignores; WAF's count mode, the API Gateway custom domain, the DNS
    records listed without a zone, both origin secrets while one is rotated out, and the
    preconditions' refusals."""
    workdir = infra / "modules" / "service"
    terraform("init", "-input=false", "-backend=false", workdir=workdir)
    done = terraform("test", workdir=workdir)
    assert "9 passed, 0 failed" in done.stdout, done.stdout[-2000:]


@pytest.mark.parametrize("environment", ["example", "local"])
def test_environment_validates(infra, environment):
    workdir = infra / "environments" / environment
    terraform("init", "-backend=false", "-input=false", workdir=workdir)
    terraform("validate", workdir=workdir)


def test_apply_to_moto_then_sign_in_against_what_it_created(
    infra, tmp_path, monkeypatch, api_suite_calls
):
    workdir = infra / "environments" / "local"
    _moto_as_aws_for_the_edge(monkeypatch)
    moto = start_moto()
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    aws = functools.partial(boto3.client, endpoint_url=moto.url)
    try:
        # The zone exists before the apply, as an operator's does: the module counts its
        # records by whether route53_zone_id is set, which Terraform must know when it plans.
        zone = aws("route53").create_hosted_zone(Name="tf.example", CallerReference="tf")
        zone_id = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
        zipped = tf_local.lambda_zip(tmp_path / "lambda.zip")
        variables = [
            f"-var=endpoint={moto.url}", f"-var=lambda_zip={zipped}",
            f"-var=route53_zone_id={zone_id}",
        ]  # fmt: skip
        terraform("init", "-input=false", workdir=workdir)
        terraform("apply", "-auto-approve", "-input=false", *variables, workdir=workdir)
        outputs = tf_local.outputs(workdir)
        env = outputs["environment"]

        _check_function_and_front(aws, outputs)
        api_host = aws("apigatewayv2").get_apis()["Items"][0]["ApiEndpoint"].split("/")[2]
        _check_the_edge(aws, outputs, zone_id, origin_host=api_host)
        _check_monitoring(aws, outputs)
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
        assert outputs["environment"]["PUBLIC_BASE_URL"] == f"https://{DOMAIN}"
        # CloudFront now forwards to the function URL, with the same secret and the same WAF.
        url_host = function_url["FunctionUrl"].split("/")[2]
        _check_the_edge(aws, outputs, zone_id, origin_host=url_host)

        terraform("destroy", "-auto-approve", "-input=false", *url_front, workdir=workdir)
        tables = aws("dynamodb").list_tables()["TableNames"]
        assert not [t for t in tables if t.startswith(env["TABLE_PREFIX"])]
        roles = [r["RoleName"] for r in aws("iam").list_roles()["Roles"]]
        assert outputs["role_name"] not in roles
        _check_nothing_left_of_the_edge_and_monitoring(aws, outputs, zone_id)
    finally:
        moto.stop()


def _moto_as_aws_for_the_edge(monkeypatch) -> None:
    """The moto server runs in this process, so its settings and models can be adjusted
    where moto 5.2.5 answers otherwise than AWS; without these, the plan after the apply
    would show changes that are moto's, not the module's.

    - ACM issues a DNS-validated certificate once its record resolves; moto issues it after
      ACM_VALIDATION_WAIT seconds (60 by default, read each time a certificate is described):
      0 lets aws_acm_certificate_validation go on at once.
    - CloudFront returns no ForwardedValues for a behaviour with a cache policy; moto makes
      up the legacy defaults, which the plan would then remove.
    - CloudFront's CloudFrontDefaultCertificate is false for a distribution with an ACM
      certificate; moto says true unless told otherwise.
    """
    import moto.settings
    from moto.cloudfront import models

    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", 0)

    def without_made_up_forwarded_values(init):
        def patched(self, config):
            init(self, config)
            if "ForwardedValues" not in config:
                self.forwarded_values = None

        return patched

    for behaviour in (models.DefaultCacheBehaviour, models.CacheBehaviour):
        monkeypatch.setattr(
            behaviour, "__init__", without_made_up_forwarded_values(behaviour.__init__)
        )
    certificate_init = models.ViewerCertificate.__init__

    def certificate(self, config):
        certificate_init(self, config)
        if "CloudFrontDefaultCertificate" not in config:
            own = config.get("ACMCertificateArn") or config.get("IAMCertificateId")
            self.cloud_front_default_certificate = not own

    monkeypatch.setattr(models.ViewerCertificate, "__init__", certificate)


def _check_function_and_front(aws, outputs: dict) -> None:
    function = aws("lambda").get_function(FunctionName=outputs["function_name"])["Configuration"]
    assert (function["Handler"], function["Runtime"]) == ("app.handler", "python3.11")
    assert (function["MemorySize"], function["Timeout"]) == (512, 10)
    assert function["Architectures"] == ["arm64"]  # the module's default, as make package builds
    assert function["Role"].endswith(f":role/{outputs['role_name']}")
    # Behind CloudFront the function believes viewer headers only with the origin secret,
    # whose digest alone it holds, and refuses requests without it (the API suite tests that
    # rule; the environment output, which the sign-in below uses, leaves both out).
    assert function["Environment"]["Variables"] == {
        **outputs["environment"],
        "TENANT_CACHE_SECONDS": "60",
        "CLOUDFRONT_SECRET_SHA256": hashlib.sha256(ORIGIN_SECRET.encode()).hexdigest(),
        "REQUIRE_ORIGIN_SECRET": "true",
    }
    concurrency = aws("lambda").get_function(FunctionName=outputs["function_name"])["Concurrency"]
    assert concurrency["ReservedConcurrentExecutions"] == 100  # the module's default
    (api,) = aws("apigatewayv2").get_apis()["Items"]
    assert outputs["base_url"] == api["ApiEndpoint"]
    # The domain, not the API or the distribution, in every issuer.
    assert outputs["environment"]["PUBLIC_BASE_URL"] == f"https://{DOMAIN}"
    assert outputs["issuer"] == f"https://{DOMAIN}/t/tfco"
    (route,) = aws("apigatewayv2").get_routes(ApiId=api["ApiId"])["Items"]
    assert route["RouteKey"] == "$default"
    (stage,) = aws("apigatewayv2").get_stages(ApiId=api["ApiId"])["Items"]
    assert stage["StageName"] == "$default" and stage["AutoDeploy"]
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


# --- The domain, CloudFront and WAF ---------------------------------------------------------


def _check_the_edge(aws, outputs: dict, zone_id: str, origin_host: str) -> None:
    """The distribution forwards everything to the function with the origin secret, caches
    only static files, discovery and JWKS, serves the domain with its ACM certificate behind
    the web ACL; Route 53 points the domain at it."""
    cloudfront = aws("cloudfront")
    (summary,) = cloudfront.list_distributions()["DistributionList"]["Items"]
    assert summary["DomainName"] == outputs["cloudfront_domain_name"]
    config = cloudfront.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    (origin,) = config["Origins"]["Items"]
    assert origin["DomainName"] == origin_host
    assert origin["CustomHeaders"]["Items"] == [
        {"HeaderName": "X-Origin-Secret", "HeaderValue": ORIGIN_SECRET}
    ]
    custom = origin["CustomOriginConfig"]
    assert custom["OriginProtocolPolicy"] == "https-only"
    assert custom["OriginSslProtocols"]["Items"] == ["TLSv1.2"]

    default = config["DefaultCacheBehavior"]
    assert (default["CachePolicyId"], default["OriginRequestPolicyId"]) == (
        CACHING_DISABLED, ALL_VIEWER_EXCEPT_HOST
    )  # fmt: skip
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert set(default["AllowedMethods"]["Items"]) == {
        "GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"
    }  # fmt: skip
    cached = {b["PathPattern"]: b for b in config["CacheBehaviors"]["Items"]}
    assert sorted(cached) == [
        "/static/*", "/t/*/.well-known/openid-configuration", "/t/*/jwks.json"
    ]  # fmt: skip
    for behaviour in cached.values():
        assert behaviour["CachePolicyId"] == CACHING_OPTIMIZED
        assert sorted(behaviour["AllowedMethods"]["Items"]) == ["GET", "HEAD"]

    assert config["Aliases"]["Items"] == [DOMAIN]
    certificate = config["ViewerCertificate"]
    assert certificate["MinimumProtocolVersion"] == "TLSv1.2_2021"
    issued = aws("acm", region_name="us-east-1").describe_certificate(
        CertificateArn=certificate["ACMCertificateArn"]
    )["Certificate"]
    assert (issued["DomainName"], issued["Status"]) == (DOMAIN, "ISSUED")
    assert (config["HttpVersion"], config["PriceClass"]) == ("http2and3", "PriceClass_100")

    # The web ACL: a rate limit per address on each surface, blocking; AWS's common rules
    # blocking but for the two that would refuse legitimate phones and passkeys.
    assert config["WebACLId"] == outputs["web_acl_arn"]
    wafv2 = aws("wafv2", region_name="us-east-1")
    (acl,) = wafv2.list_web_acls(Scope="CLOUDFRONT")["WebACLs"]
    rules = {
        r["Name"]: r
        for r in wafv2.get_web_acl(Name=acl["Name"], Scope="CLOUDFRONT", Id=acl["Id"])["WebACL"][
            "Rules"
        ]
    }
    assert sorted(rules) == ["aws-common", "rate-password", "rate-start", "rate-token"]
    limits = {}
    for name in ("rate-start", "rate-password", "rate-token"):
        assert rules[name]["Action"] == {"Block": {}}
        rate = rules[name]["Statement"]["RateBasedStatement"]
        assert rate["AggregateKeyType"] == "IP"
        limits[name] = rate["Limit"]
        assert rules[name]["VisibilityConfig"]["CloudWatchMetricsEnabled"]
    assert limits == {"rate-start": 500, "rate-password": 200, "rate-token": 5000}
    common = rules["aws-common"]
    assert common["OverrideAction"] == {"None": {}}
    group = common["Statement"]["ManagedRuleGroupStatement"]
    assert (group["VendorName"], group["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    assert {o["Name"]: o["ActionToUse"] for o in group["RuleActionOverrides"]} == {
        "NoUserAgent_HEADER": {"Count": {}},
        "SizeRestrictions_BODY": {"Count": {}},
    }

    # The zone: the certificate's validation record, and the domain's alias to CloudFront.
    records = aws("route53").list_resource_record_sets(HostedZoneId=zone_id)
    by_type = {
        r["Type"]: r for r in records["ResourceRecordSets"] if r["Name"].rstrip(".") == DOMAIN
    }
    for kind in ("A", "AAAA"):
        alias = by_type[kind]["AliasTarget"]
        assert alias["DNSName"].rstrip(".") == summary["DomainName"]
        assert alias["HostedZoneId"] == CLOUDFRONT_ZONE
    (validation,) = issued["DomainValidationOptions"]
    names = {r["Name"] for r in records["ResourceRecordSets"]}
    assert validation["ResourceRecord"]["Name"] in names
    assert outputs["dns_records"] == outputs["dns_validation_records"] == []  # made in the zone


# --- Metrics, alarms and the dashboard ------------------------------------------------------


def _check_monitoring(aws, outputs: dict) -> None:
    """A metric filter per entry of metrics.json on the function's log; every alarm notifies
    the module's encrypted topic, and says which runbook section to follow; the dashboard
    shows every metric."""
    namespace = outputs["metric_namespace"]
    assert namespace == "PhoneSignIn/phonesignin-tf"
    log_group = f"/aws/lambda/{outputs['function_name']}"
    filters = aws("logs").describe_metric_filters(logGroupName=log_group)["metricFilters"]
    made = {}
    for f in filters:
        (transformation,) = f["metricTransformations"]
        assert (transformation["metricNamespace"], transformation["unit"]) == (namespace, "Count")
        assert "dimensions" not in transformation or not transformation["dimensions"]
        made[transformation["metricName"]] = (f["filterPattern"], transformation["metricValue"])
    assert made == {name: (m["pattern"], m["value"]) for name, m in METRICS.items()}

    topic = outputs["alarm_topic_arn"]
    assert topic.endswith(":phonesignin-tf-alarms")
    sns = aws("sns")
    key = sns.get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"]
    described = aws("kms").describe_key(KeyId=outputs["environment"]["KMS_KEY_ID"])
    assert key == described["KeyMetadata"]["Arn"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", "ops@tf.example")]

    prefix = "phonesignin-tf-"
    alarms = aws("cloudwatch").describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]
    tables = [arn.rsplit("/", 1)[1].removeprefix(prefix) for arn in outputs["table_arns"]]
    names = {a["AlarmName"].removeprefix(prefix): a for a in alarms}
    assert sorted(names) == sorted([
        "server-errors", "unavailable", "push-failures", "abuse-surge", "function-errors",
        "function-throttles", *(f"dynamodb-throttles-{table}" for table in tables),
    ])  # fmt: skip
    for name, alarm in names.items():
        assert alarm["AlarmActions"] == alarm["OKActions"] == [topic], name
        anchor = "dynamodb-throttles" if name.startswith("dynamodb-throttles") else name
        assert alarm["AlarmDescription"].endswith(f"Runbook: docs/operations.md#runbook-{anchor}")
        assert alarm["TreatMissingData"] == "notBreaching"
    assert names["server-errors"]["MetricName"] == "ServerErrors"
    assert names["function-throttles"]["Dimensions"] == [
        {"Name": "FunctionName", "Value": outputs["function_name"]}
    ]
    queries = names["abuse-surge"]["Metrics"]
    abuse = [q["MetricStat"]["Metric"] for q in queries if "MetricStat" in q]
    assert sorted(m["MetricName"] for m in abuse) == ["FraudReports", "Locks", "StartsRefused"]

    body = aws("cloudwatch").get_dashboard(DashboardName=outputs["dashboard_name"])
    assert outputs["dashboard_name"] == "phonesignin-tf-signins"
    shown = json.dumps(json.loads(body["DashboardBody"]))
    for metric in [*METRICS, "ConcurrentExecutions", "Duration", "Throttles", "ReadThrottleEvents"]:
        assert f'"{metric}"' in shown, metric


def _check_nothing_left_of_the_edge_and_monitoring(aws, outputs: dict, zone_id: str) -> None:
    assert aws("cloudfront").list_distributions()["DistributionList"].get("Items", []) == []
    wafv2 = aws("wafv2", region_name="us-east-1")
    assert wafv2.list_web_acls(Scope="CLOUDFRONT")["WebACLs"] == []
    acm = aws("acm", region_name="us-east-1")
    assert acm.list_certificates()["CertificateSummaryList"] == []
    cloudwatch = aws("cloudwatch")
    assert cloudwatch.describe_alarms(AlarmNamePrefix="phonesignin-tf-")["MetricAlarms"] == []
    assert cloudwatch.list_dashboards()["DashboardEntries"] == []
    topics = [t["TopicArn"] for t in aws("sns").list_topics()["Topics"]]
    assert outputs["alarm_topic_arn"] not in topics
    records = aws("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    assert sorted(r["Type"] for r in records) == ["NS", "SOA"]  # the zone's own only


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
