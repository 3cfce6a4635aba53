"""What the admin CLI needs from its environment, and one line for each way that can be wrong.

The CLI runs on an operator's machine, with the operator's own AWS credentials, against the
deployment's tables, KMS key and SNS. A setting, region or credential that is missing, an
endpoint out of reach or tables that are not there are not bugs: `explain` turns each into
one line that names the variable to set, instead of a traceback. Anything else is a bug, and
keeps its traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from chalicelib.service import Services

HELP = """\
environment: the service's settings (for a deployment, the Terraform output `environment`)
  TABLE_PREFIX, KMS_KEY_ID, PUBLIC_BASE_URL   the deployment's tables, KMS key and base URL
  AWS_DEFAULT_REGION                          the deployment's region, e.g. us-east-1
  AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY    your own AWS credentials
  AWS_ENDPOINT_URL                            a local moto server (make demo); unset for AWS
docs/integrate.md shows both, from nothing.
"""
SETTINGS = ("TABLE_PREFIX", "KMS_KEY_ID", "PUBLIC_BASE_URL")
WHOLE_NUMBERS = ("TENANT_CACHE_SECONDS", "ARGON2_MEMORY_KIB", "ARGON2_TIME_COST")
WHERE = "from the Terraform output `environment`; for make demo, see docs/integrate.md"
REGION = "set AWS_DEFAULT_REGION to the deployment's region (e.g. us-east-1)"
CREDENTIALS = (
    "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), "
    "to your own credentials (for make demo: testing and testing)"
)
# Error codes with which AWS refuses the credentials themselves, rather than what they may do.
REFUSED_CREDENTIALS = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidAccessKeyId",
    "AuthFailure",
}


def settings_problem(err: Exception, env: Mapping[str, str] | None = None) -> str:
    """What Settings.from_env could not read: a required variable (KeyError) or a number."""
    env = os.environ if env is None else env
    if isinstance(err, KeyError):
        unset = [name for name in SETTINGS if not env.get(name)]
        return f"missing settings: set {', '.join(unset)} ({WHERE})"
    bad = [name for name in WHOLE_NUMBERS if env.get(name) and not _whole(env[name])]
    return f"{', '.join(bad) or 'a setting'} must be a whole number ({err})"


def explain(err: Exception, svc: Services) -> str | None:
    """One line for an environment the CLI cannot work in; None for anything else."""
    from botocore import exceptions as boto  # deferred as aws.py defers boto3

    if isinstance(err, boto.NoRegionError):
        return f"no AWS region: {REGION}"
    if isinstance(err, boto.InvalidRegionError):
        return f"{str(err).rstrip('.')}: {REGION}"
    if isinstance(err, boto.NoCredentialsError):
        return f"no AWS credentials: {CREDENTIALS}"
    if isinstance(err, boto.ProfileNotFound):
        return f"{err}: set AWS_PROFILE to a profile in your AWS config, or unset it"
    credential_errors = (
        boto.PartialCredentialsError,
        boto.CredentialRetrievalError,
        boto.TokenRetrievalError,
        boto.SSOError,
        boto.RefreshWithMFAUnsupportedError,
        boto.UnknownCredentialError,
    )
    if isinstance(err, credential_errors):
        return f"AWS credentials could not be loaded ({err}): {CREDENTIALS}"
    if isinstance(err, boto.ConnectionError | boto.HTTPClientError):
        where = err.kwargs.get("endpoint_url") or "AWS"
        return (
            f"cannot reach {where}: check AWS_ENDPOINT_URL (the moto server's URL for make "
            "demo; unset it for AWS) and AWS_DEFAULT_REGION"
        )
    if isinstance(err, boto.ClientError):
        return _refusal(err, svc)
    return None


def _refusal(err, svc: Services) -> str | None:
    code = err.response.get("Error", {}).get("Code", "")
    region = _region(svc)
    if code == "ResourceNotFoundException":  # DynamoDB: no such table
        prefix = svc.settings.table_prefix
        given = os.environ.get("TABLE_PREFIX")
        source = f"TABLE_PREFIX={prefix}" if given else f"TABLE_PREFIX unset: default {prefix}"
        return (
            f"no DynamoDB table with the prefix {prefix!r} in {region} ({source}): set "
            f"TABLE_PREFIX and AWS_DEFAULT_REGION to the deployment's ({WHERE})"
        )
    if code == "NotFoundException" and err.operation_name in ("GenerateDataKey", "Decrypt"):
        return (
            f"no KMS key {svc.settings.kms_key_id} in {region}: set KMS_KEY_ID and "
            f"AWS_DEFAULT_REGION to the deployment's ({WHERE})"
        )
    if code in REFUSED_CREDENTIALS:
        return f"AWS refused the credentials ({code}): {CREDENTIALS}"
    if code in ("AccessDenied", "AccessDeniedException"):
        return (
            f"AWS denied {err.operation_name} to these credentials: the CLI needs an operator's "
            f"(docs/deploy.md), not the function's role; set AWS_PROFILE to one"
        )
    return None


def _region(svc: Services) -> str:
    try:
        return svc.dynamodb.meta.region_name
    except Exception:  # the line is still worth printing without its region
        return "your AWS region"


def _whole(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
