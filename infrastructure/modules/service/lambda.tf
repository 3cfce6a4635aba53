# The whole service is one function: app.handler adapts every front's event for Chalice
# (chalicelib/web/gateway_events.py). Only the zip comes from `chalice package`; see
# docs/deploy.md.
locals {
  function_name      = "${var.name}api"
  function_log_group = "/aws/lambda/${local.function_name}"
  access_log_group   = "/aws/apigateway/${var.name}api"
  public_base_url = (
    var.public_base_url != "" ? var.public_base_url :
    var.front == "http_api" ? aws_apigatewayv2_api.http[0].api_endpoint : ""
  )
}

# Made before the function, so Lambda does not make one without retention or encryption.
resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days): these logs hold client IPs and are kept no longer than operations need.
  name              = local.function_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.tenant_keys.arn
}

resource "aws_lambda_function" "api" {
  #checkov:skip=CKV_AWS_117:No VPC: the function talks only to AWS APIs (DynamoDB, SNS, KMS) over TLS with IAM auth; a VPC would add NAT or endpoint costs and cold-start time for nothing.
  #checkov:skip=CKV_AWS_116:No dead-letter queue: every invocation is synchronous (HTTP), so the caller gets the error; DLQs apply to asynchronous invocations only.
  #checkov:skip=CKV_AWS_173:The environment holds only names and ARNs (no secrets), and Lambda encrypts it at rest with its service key anyway.
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer profiles the operator must own; the zip's hash is pinned by source_code_hash.
  function_name    = local.function_name
  description      = "Phone sign-in (${var.name}): every HTTP route, from the chalice package zip."
  role             = aws_iam_role.function.arn
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)
  handler          = "app.handler"
  runtime          = "python3.11"
  architectures    = [var.architecture]
  memory_size      = var.memory_mb
  timeout          = var.timeout_seconds

  reserved_concurrent_executions = var.reserved_concurrency == null ? -1 : var.reserved_concurrency

  environment {
    variables = merge(local.environment, var.cloudfront_origin_secret == null ? {} : {
      CLOUDFRONT_SECRET_SHA256 = sha256(var.cloudfront_origin_secret)
      }, {
      PUBLIC_BASE_URL      = local.public_base_url
      TENANT_CACHE_SECONDS = tostring(var.tenant_cache_seconds)
    })
  }

  tracing_config {
    mode = var.xray_tracing ? "Active" : "PassThrough"
  }

  # JSON logs with the platform's own at WARN: no START, END and REPORT line for every request
  # (a third of a sign-in's log bytes; Lambda's metrics carry the durations). The service's
  # lines (web/middleware.py: every change and every error) arrive as JSON.
  dynamic "logging_config" {
    for_each = var.platform_log_lines ? [] : [1]
    content {
      log_format            = "JSON"
      application_log_level = "INFO"
      system_log_level      = "WARN"
    }
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]

  lifecycle {
    precondition {
      condition     = local.public_base_url != ""
      error_message = "front = \"function_url\" needs public_base_url: the https address of the CDN in front of the function URL."
    }
  }
}
