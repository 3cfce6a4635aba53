# The names the app's settings read (chalicelib/settings.py), as environment variables.
output "environment" {
  description = "Environment variables for the Lambda function."
  value = merge(
    {
      TABLE_PREFIX = var.name
      KMS_KEY_ID   = aws_kms_alias.tenant_keys.name
    },
    contains(keys(aws_sns_platform_application.push), "APNS") ? { PUSH_APP_APNS_ARN = aws_sns_platform_application.push["APNS"].arn } : {},
    contains(keys(aws_sns_platform_application.push), "APNS_SANDBOX") ? { PUSH_APP_APNS_SANDBOX_ARN = aws_sns_platform_application.push["APNS_SANDBOX"].arn } : {},
    contains(keys(aws_sns_platform_application.push), "GCM") ? { PUSH_APP_FCM_ARN = aws_sns_platform_application.push["GCM"].arn } : {},
  )
}

output "table_arns" {
  value = [for t in aws_dynamodb_table.table : t.arn]
}

output "kms_key_arn" {
  value = aws_kms_key.tenant_keys.arn
}
