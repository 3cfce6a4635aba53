# The HTTP front, a cost decision (docs/deploy.md): a sign-in makes ~8 requests (start,
# respond, token, ~5 result polls). At list prices that is $28 per million sign-ins with a
# REST API ($3.50/M requests), $8 with an HTTP API ($1.00/M) and $0 with a function URL (plus
# a CDN's price, if one is put in front). Chalice's REST API is therefore not used.

# API Gateway HTTP API: one catch-all route; app.handler finds the Chalice route itself.
resource "aws_apigatewayv2_api" "http" {
  count         = var.front == "http_api" ? 1 : 0
  name          = "${var.name}api"
  protocol_type = "HTTP"
  description   = "Phone sign-in (${var.name})"
}

resource "aws_apigatewayv2_integration" "lambda" {
  count                  = var.front == "http_api" ? 1 : 0
  api_id                 = aws_apigatewayv2_api.http[0].id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.api.invoke_arn
  payload_format_version = var.payload_format_version
  timeout_milliseconds   = var.timeout_seconds * 1000 + 1000
}

resource "aws_apigatewayv2_route" "default" {
  #checkov:skip=CKV_AWS_309:The sign-in service is public by nature; every route authenticates its caller itself (client secrets/PKCE, signed device proofs, per-sign-in secrets).
  count     = var.front == "http_api" ? 1 : 0
  api_id    = aws_apigatewayv2_api.http[0].id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.lambda[0].id}"
}

resource "aws_apigatewayv2_stage" "default" {
  #checkov:skip=CKV_AWS_76:Access logs are a variable (access_logs, off by default: $0.50/GB for a line per request); the function's own log records every error.
  count       = var.front == "http_api" ? 1 : 0
  api_id      = aws_apigatewayv2_api.http[0].id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit  = var.throttle_rate_limit
    throttling_burst_limit = var.throttle_burst_limit
  }

  dynamic "access_log_settings" {
    for_each = var.access_logs ? [1] : []
    content {
      destination_arn = aws_cloudwatch_log_group.access[0].arn
      format = jsonencode({
        requestId = "$context.requestId", ip = "$context.identity.sourceIp",
        time      = "$context.requestTime", method = "$context.httpMethod", path = "$context.path",
        status    = "$context.status", latencyMs = "$context.responseLatency",
        error     = "$context.integrationErrorMessage"
      })
    }
  }
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days): access logs hold client IPs and are kept no longer than operations need.
  count             = var.front == "http_api" && var.access_logs ? 1 : 0
  name              = local.access_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.tenant_keys.arn
}

resource "aws_lambda_permission" "http_api" {
  count         = var.front == "http_api" ? 1 : 0
  statement_id  = "HttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http[0].execution_arn}/*"
}

# A Lambda function URL: no per-request charge. Public (auth NONE) because browsers, phones
# and relying parties call it directly or through a CDN; the app authenticates each request.
resource "aws_lambda_function_url" "api" {
  #checkov:skip=CKV_AWS_258:A public sign-in endpoint: browsers, phones and relying parties cannot sign requests with IAM; the app authenticates every route itself.
  count              = var.front == "function_url" ? 1 : 0
  function_name      = aws_lambda_function.api.function_name
  authorization_type = "NONE"
}

resource "aws_lambda_permission" "function_url" {
  count                  = var.front == "function_url" ? 1 : 0
  statement_id           = "FunctionUrlInvoke"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.api.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}
