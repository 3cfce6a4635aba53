# One customer-managed key wraps every tenant's data key (GenerateDataKey/Decrypt with the
# tenant id as encryption context; the service unwraps a tenant's key once per container),
# encrypts the tables at rest, the log groups and the alarm topic.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  log_group_arns = [
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.function_log_group}",
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.access_log_group}",
  ]
}

resource "aws_kms_key" "tenant_keys" {
  description             = "${var.name} tenant data keys, table and log encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "tenant_keys" {
  name          = "alias/${var.name}tenants"
  target_key_id = aws_kms_key.tenant_keys.key_id
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy: Resource "*" is this key alone, and the account-root statement is AWS's default key policy, handing access control to IAM.
  #checkov:skip=CKV_AWS_111:A key policy: Resource "*" is this key alone; CloudWatch Logs is limited to this deployment's log groups by encryption context.
  #checkov:skip=CKV_AWS_356:A key policy: Resource "*" is this key alone (a key policy cannot name other resources).
  # The account's IAM policies decide who else may use the key (the default key policy);
  # the function's own grants are in iam.tf.
  statement {
    sid       = "AccountIAMPolicies"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts only this deployment's log groups with it.
  statement {
    sid       = "CloudWatchLogsForThisDeployment"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = local.log_group_arns
    }
  }

  # CloudWatch publishes this deployment's alarms to the alarm topic this key encrypts
  # (monitoring.tf), and nothing else: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
  dynamic "statement" {
    for_each = var.alarms && var.alarm_topic_arn == "" ? [1] : []
    content {
      sid       = "CloudWatchAlarmsToTheAlarmTopic"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}*"]
      }
    }
  }
}
