locals {
  # The names the app's settings read (chalicelib/settings.py), as environment variables.
  environment = merge(
    {
      TABLE_PREFIX = var.name
      KMS_KEY_ID   = aws_kms_alias.tenant_keys.name
    },
    contains(keys(aws_sns_platform_application.push), "APNS") ? { PUSH_APP_APNS_ARN = aws_sns_platform_application.push["APNS"].arn } : {},
    contains(keys(aws_sns_platform_application.push), "APNS_SANDBOX") ? { PUSH_APP_APNS_SANDBOX_ARN = aws_sns_platform_application.push["APNS_SANDBOX"].arn } : {},
    contains(keys(aws_sns_platform_application.push), "GCM") ? { PUSH_APP_FCM_ARN = aws_sns_platform_application.push["GCM"].arn } : {},
  )
}

output "environment" {
  description = "What the function reads (and what the admin CLI needs), as environment variables."
  value       = merge(local.environment, { PUBLIC_BASE_URL = local.public_base_url })
}

output "base_url" {
  description = "Where the service answers: the HTTP API's endpoint, or the function URL (without a trailing slash)."
  value = trimsuffix(
    var.front == "http_api" ? aws_apigatewayv2_api.http[0].api_endpoint : aws_lambda_function_url.api[0].function_url,
    "/",
  )
}

output "public_base_url" {
  description = "The issuers' base: <public_base_url>/t/<tenant>."
  value       = local.public_base_url
}

output "tenants_table" {
  description = "The table the tenant module writes to."
  value       = aws_dynamodb_table.table["tenants"].name
}

output "table_arns" {
  value = [for t in aws_dynamodb_table.table : t.arn]
}

output "kms_key_arn" {
  value = aws_kms_key.tenant_keys.arn
}

output "function_name" {
  value = aws_lambda_function.api.function_name
}

output "role_name" {
  value = aws_iam_role.function.name
}

output "policy_json" {
  description = "The function role's policy, as applied."
  value       = data.aws_iam_policy_document.function.json
}

# Since October 2025 a function URL also needs lambda:InvokeFunction, conditioned on
# lambda:InvokedViaFunctionUrl; hashicorp/aws 5.x cannot express that condition
# (aws_lambda_permission gained invoked_via_function_url in 6.x). Run this once after the
# first apply with front = "function_url" (docs/deploy.md).
output "function_url_post_apply" {
  description = "The one command a function URL front still needs after apply (null with the HTTP API)."
  value = var.front != "function_url" ? null : join(" ", [
    "aws lambda add-permission --function-name", aws_lambda_function.api.function_name,
    "--statement-id FunctionUrlInvokeFunction --action lambda:InvokeFunction",
    "--principal '*' --invoked-via-function-url",
  ])
}

output "cloudfront_domain_name" {
  description = "The distribution's own host (<id>.cloudfront.net), where domain_name points; null without CloudFront."
  value       = var.cloudfront ? aws_cloudfront_distribution.api[0].domain_name : null
}

output "dns_records" {
  description = "The DNS records to make by hand when domain_name is set without route53_zone_id: the certificate's validation CNAME (first; keep it for renewals) and the domain's CNAME to CloudFront or API Gateway. Empty otherwise."
  value       = local.dns_records
}

output "dns_validation_records" {
  description = "The certificate's validation record alone (the first of dns_records): written by a first apply with -target=module.service.aws_acm_certificate.domain -target=module.service.aws_acm_certificate.regional, before anything else exists. Empty unless dns_records has records."
  value       = local.dns_validation_records
}

output "web_acl_arn" {
  description = "The WAF web ACL on the distribution (us-east-1); null without it."
  value       = local.waf ? aws_wafv2_web_acl.cloudfront[0].arn : null
}

output "metric_namespace" {
  description = "The CloudWatch namespace of the metrics the log's metric filters make (metrics.json)."
  value       = local.metric_namespace
}

output "alarm_topic_arn" {
  description = "The SNS topic the alarms notify (the module's, or alarm_topic_arn); null without alarms."
  value       = var.alarms ? local.alarm_topic_arn : null
}

output "dashboard_name" {
  description = "The CloudWatch dashboard; null without it."
  value       = var.dashboard ? aws_cloudwatch_dashboard.signins[0].dashboard_name : null
}
