# The function's role: exactly the calls the function makes, on exactly this deployment's
# tables, platform applications (and their endpoints), key and log group. Nothing else.

# Per table, the DynamoDB actions the function calls while it handles requests, as a botocore
# hook records them in the API suite and in the sign-in against what Terraform made
# (tests/aws_calls.py); each item of a TransactWriteItems counts as its own action, as IAM
# authorises it (PutItem/UpdateItem/DeleteItem). Left out: what only the admin CLI does, with
# the operator's credentials: creating accounts and activation codes (PutItem on accounts and
# activation_codes), listing accounts, reading audit and usage, policy and key rotation.
# tests/e2e/test_terraform.py fails when these grants and the recorded calls differ, naming
# each (table, action) pair to add or remove; a table added to schema.json without an entry
# here fails the plan (precondition below).
locals {
  table_actions = {
    tenants          = ["Query", "PutItem"]
    accounts         = ["GetItem", "UpdateItem"]
    devices          = ["GetItem", "PutItem", "UpdateItem", "DeleteItem"]
    signins          = ["GetItem", "Query", "PutItem", "UpdateItem"]
    activation_codes = ["GetItem", "PutItem", "UpdateItem"]
    installations    = ["GetItem", "PutItem", "UpdateItem", "DeleteItem"]
    limits           = ["PutItem", "UpdateItem", "DeleteItem"]
    audit            = ["PutItem"]
    usage            = ["UpdateItem"]
    credentials      = ["GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"]
    sessions         = ["GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"]
  }
  # The SNS calls the function makes on endpoints, recorded and checked like the tables'.
  endpoint_actions = ["sns:Publish", "sns:SetEndpointAttributes", "sns:DeleteEndpoint"]
  push_app_arns    = [for app in aws_sns_platform_application.push : app.arn]
  # arn:...:app/APNS/<name> has its endpoints at arn:...:endpoint/APNS/<name>/<id>.
  push_endpoint_arns = [for arn in local.push_app_arns : "${replace(arn, ":app/", ":endpoint/")}/*"]
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${var.name}function"
  description        = "The ${var.name} Lambda function: its tables, push apps, key and logs only."
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "function" {
  dynamic "statement" {
    for_each = { for name, table in aws_dynamodb_table.table : name => table if contains(keys(local.table_actions), name) }
    content {
      sid       = "Table${replace(title(replace(statement.key, "_", " ")), " ", "")}"
      actions   = [for a in local.table_actions[statement.key] : "dynamodb:${a}"]
      resources = [statement.value.arn]
    }
  }

  # Tenant data keys: only with an encryption context, and only the "tenant" key in it
  # (chalicelib/adapters/kms_vault.py). ForAllValues alone would also match a request with no
  # context.
  statement {
    sid       = "TenantDataKeys"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.tenant_keys.arn]
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "kms:EncryptionContextKeys"
      values   = ["tenant"]
    }
    condition {
      test     = "Null"
      variable = "kms:EncryptionContextKeys"
      values   = ["false"]
    }
  }

  # The tables are encrypted with the same key: DynamoDB decrypts each table's key with the
  # caller's permission, through DynamoDB only, for these tables only.
  statement {
    sid       = "TablesEncryptedAtRest"
    actions   = ["kms:Decrypt", "kms:DescribeKey"]
    resources = [aws_kms_key.tenant_keys.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:dynamodb:tableName"
      values   = [for t in aws_dynamodb_table.table : t.name]
    }
  }

  dynamic "statement" {
    for_each = length(local.push_app_arns) > 0 ? [1] : []
    content {
      sid       = "PushApps"
      actions   = ["sns:CreatePlatformEndpoint"]
      resources = local.push_app_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.push_app_arns) > 0 ? [1] : []
    content {
      sid       = "PushEndpoints"
      actions   = local.endpoint_actions
      resources = local.push_endpoint_arns
    }
  }

  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  dynamic "statement" {
    for_each = var.xray_tracing ? [1] : []
    content {
      sid       = "XRay"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"] # X-Ray has no resource-level permissions for these
    }
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "${var.name}function"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json

  lifecycle {
    precondition {
      condition     = length(setsubtract(keys(local.schema), keys(local.table_actions))) == 0
      error_message = "modules/service/iam.tf: table_actions has no entry for ${join(", ", setsubtract(keys(local.schema), keys(local.table_actions)))} (chalicelib/schema.json): list the actions its store uses."
    }
  }
}
