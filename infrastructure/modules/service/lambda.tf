# The whole service is one function: app.handler adapts every front's event for Chalice
# (chalicelib/web/gateway_events.py). Only the zip comes from `chalice package`; see
# docs/deploy.md.
locals {
  function_name      = "${var.name}api"
  function_log_group = "/aws/lambda/${local.function_name}"
  access_log_group   = "/aws/apigateway/${var.name}api"
  # The domain, when there is one: known before anything is made, so the function never
  # names the distribution or domain in front of it (that would be a cycle).
  public_base_url = (
    var.domain_name != "" ? "https://${var.domain_name}" :
    var.public_base_url != "" ? var.public_base_url :
    var.front == "http_api" ? aws_apigatewayv2_api.http[0].api_endpoint : ""
  )
  # The function accepts any of these digests as X-Origin-Secret: the current secret's and,
  # while it is rotated out, the previous one's.
  origin_secret_env = merge(
    var.cloudfront_origin_secret == null ? {} : {
      CLOUDFRONT_SECRET_SHA256 = join(",", concat(
        [sha256(var.cloudfront_origin_secret)],
        var.cloudfront_previous_origin_secret == null ? [] : [sha256(var.cloudfront_previous_origin_secret)],
      ))
    },
    # Behind CloudFront, a request without the secret went around CloudFront and WAF: 403.
    var.cloudfront ? { REQUIRE_ORIGIN_SECRET = "true" } : {},
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
    variables = merge(local.environment, local.origin_secret_env, {
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
      error_message = "front = \"function_url\" needs domain_name (with cloudfront = true) or public_base_url: the https address of the CDN in front of the function URL."
    }
    precondition {
      condition     = var.domain_name == "" || var.cloudfront || var.front == "http_api"
      error_message = "domain_name with front = \"function_url\" needs cloudfront = true: a Lambda function URL cannot serve a custom domain itself (an API Gateway HTTP API can: front = \"http_api\")."
    }
    precondition {
      condition     = var.domain_name == "" || var.public_base_url == "" || var.public_base_url == "https://${var.domain_name}"
      error_message = "public_base_url and domain_name disagree: with domain_name set, leave public_base_url empty (it becomes https://<domain_name>)."
    }
  }
}
