# Metrics from the service's own log lines, alarms on them and on AWS's metrics, and one
# dashboard. Metric filters, not the embedded metric format: the service logs the events it
# already logs (chalicelib/web/middleware.py), and operators change a metric here, in
# metrics.json, without a deploy. No dimensions: one per tenant would be a metric per tenant
# ($0.30 each a month); the runbook's log queries find the tenant.
locals {
  metrics          = jsondecode(file("${path.module}/metrics.json")).metrics
  metric_namespace = "PhoneSignIn/${trimsuffix(var.name, "-")}"
  log_alarms       = var.alarms && var.metrics
  alarm_topic_arn  = !var.alarms ? "" : var.alarm_topic_arn != "" ? var.alarm_topic_arn : aws_sns_topic.alarms[0].arn
  runbook          = "Runbook: docs/operations.md#runbook-"
  table_names      = { for key, table in aws_dynamodb_table.table : key => table.name }
}

resource "aws_cloudwatch_log_metric_filter" "service" {
  for_each       = var.metrics ? local.metrics : {}
  name           = "${var.name}${each.key}"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.key
    namespace = local.metric_namespace
    value     = each.value.value
    unit      = "Count"
  }
}

# Encrypted with the module's key: CloudWatch cannot publish to a topic encrypted with the
# AWS managed key (alias/aws/sns), whose policy nobody can change; kms.tf lets CloudWatch use
# this one for this deployment's alarms only.
resource "aws_sns_topic" "alarms" {
  count             = var.alarms && var.alarm_topic_arn == "" ? 1 : 0
  name              = "${var.name}alarms"
  kms_master_key_id = aws_kms_key.tenant_keys.arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each  = var.alarms ? toset(var.alarm_emails) : toset([])
  topic_arn = local.alarm_topic_arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  # The service's own counts: name => [metric, threshold, comparison, period in seconds,
  # what it means].
  log_alarms_spec = {
    server-errors = ["ServerErrors", 1, "GreaterThanOrEqualToThreshold", 60,
    "A 5xx answered: a bug, or AWS throttling or unreachable (503s are counted here too)."]
    unavailable = ["Unavailable", var.alarm_unavailable_per_5min, "GreaterThanThreshold", 300,
    "More than ${var.alarm_unavailable_per_5min} 503s in 5 minutes: DynamoDB, SNS or KMS throttled or out of reach after retries."]
    push-failures = ["PushFailures", var.alarm_push_failures_per_5min, "GreaterThanOrEqualToThreshold", 300,
    "${var.alarm_push_failures_per_5min} or more pushes refused by SNS in 5 minutes: a push credential expired, or a push service is failing; phones must poll."]
  }
}

resource "aws_cloudwatch_metric_alarm" "service" {
  for_each            = local.log_alarms ? local.log_alarms_spec : {}
  alarm_name          = "${var.name}${each.key}"
  alarm_description   = "${each.value[4]} ${local.runbook}${each.key}"
  namespace           = local.metric_namespace
  metric_name         = each.value[0]
  statistic           = "Sum"
  period              = each.value[3]
  evaluation_periods  = 1
  threshold           = each.value[1]
  comparison_operator = each.value[2]
  treat_missing_data  = "notBreaching" # no line, nothing counted
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]

  depends_on = [aws_cloudwatch_log_metric_filter.service]
}

# Push bombing: many people's "this wasn't me", locks, and refused starts (429s: too many
# starts from one person and place) together. A refused start is a script asking again past
# the limit: the campaign's own signal, before anyone reports fraud. PushesHeld is left out:
# it also counts full queues and locked accounts (Locks already counts those).
resource "aws_cloudwatch_metric_alarm" "abuse_surge" {
  count               = local.log_alarms ? 1 : 0
  alarm_name          = "${var.name}abuse-surge"
  alarm_description   = "More than ${var.alarm_abuse_per_5min} fraud reports, locks and refused starts in 5 minutes: a push-bombing campaign? ${local.runbook}abuse-surge"
  evaluation_periods  = 1
  threshold           = var.alarm_abuse_per_5min
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]

  metric_query {
    id          = "abuse"
    expression  = "FILL(fraud, 0) + FILL(locks, 0) + FILL(refused, 0)"
    label       = "Fraud reports, locks and refused starts"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { fraud = "FraudReports", locks = "Locks", refused = "StartsRefused" }
    content {
      id = metric_query.key
      metric {
        namespace   = local.metric_namespace
        metric_name = metric_query.value
        period      = 300
        stat        = "Sum"
      }
    }
  }

  depends_on = [aws_cloudwatch_log_metric_filter.service]
}

# Lambda's own: an invocation that failed outright (a timeout, a crash before the app
# answered), and requests Lambda refused for want of concurrency (reserved_concurrency).
resource "aws_cloudwatch_metric_alarm" "function" {
  for_each = var.alarms ? {
    function-errors    = ["Errors", "An invocation failed outright (a timeout, or a crash before the app could answer)."]
    function-throttles = ["Throttles", "Lambda refused requests: the function is at its reserved concurrency or the account's quota."]
  } : {}
  alarm_name          = "${var.name}${each.key}"
  alarm_description   = "${each.value[1]} ${local.runbook}${each.key}"
  namespace           = "AWS/Lambda"
  metric_name         = each.value[0]
  dimensions          = { FunctionName = aws_lambda_function.api.function_name }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
}

# One alarm per table: an alarm's metric math takes at most 10 metrics (a hard limit,
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html), and the
# tables' reads and writes are 22.
resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  for_each            = var.alarms ? local.table_names : {}
  alarm_name          = "${var.name}dynamodb-throttles-${each.key}"
  alarm_description   = "DynamoDB throttled reads or writes on ${each.value}: on-demand tables throttle past their partitions' limits (a hot key) or twice their previous peak. ${local.runbook}dynamodb-throttles"
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]

  metric_query {
    id          = "throttles"
    expression  = "FILL(reads, 0) + FILL(writes, 0)"
    label       = "Throttled reads and writes"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { reads = "ReadThrottleEvents", writes = "WriteThrottleEvents" }
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = metric_query.value
        dimensions  = { TableName = each.value }
        period      = 60
        stat        = "Sum"
      }
    }
  }
}

locals {
  # Every metric of metrics.json but the errors' is a step of the funnel (started, approved,
  # denied, wrong numbers, fraud reports, refused, held, locks...): a metric added there shows.
  errors = ["ServerErrors", "Unavailable", "PushFailures"]
  funnel = [
    for name in keys(local.metrics) : [local.metric_namespace, name, { stat = "Sum", label = name }]
    if !contains(local.errors, name)
  ]
  widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title = "Sign-ins: started, approved, denied, wrong numbers, fraud reports, refused, held, locks"
      region = local.region, view = "timeSeries", period = 300, metrics = local.funnel }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title = "Server errors (5xx), 503s and push failures"
        region = local.region, view = "timeSeries", period = 300, metrics = [
          for name in local.errors : [local.metric_namespace, name, { stat = "Sum" }]
        ]
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title = "The function: invocations, throttles, errors and concurrency"
        region = local.region, view = "timeSeries", period = 60, metrics = [
          ["AWS/Lambda", "Invocations", "FunctionName", local.function_name, { stat = "Sum" }],
          ["AWS/Lambda", "Throttles", "FunctionName", local.function_name, { stat = "Sum" }],
          ["AWS/Lambda", "Errors", "FunctionName", local.function_name, { stat = "Sum" }],
          ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", local.function_name, { stat = "Maximum", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title = "The function's duration, p95 (ms)"
        region = local.region, view = "timeSeries", period = 60, metrics = [
          ["AWS/Lambda", "Duration", "FunctionName", local.function_name, { stat = "p95" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 24, height = 6
      properties = {
        title = "DynamoDB throttled reads and writes, by table"
        region = local.region, view = "timeSeries", period = 60, stacked = true, metrics = flatten([
          for key, table in local.table_names : [
            ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", table, { stat = "Sum", label = "${key} reads" }],
            ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", table, { stat = "Sum", label = "${key} writes" }],
          ]
        ])
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "signins" {
  count          = var.dashboard ? 1 : 0
  dashboard_name = "${var.name}signins"
  dashboard_body = jsonencode({ widgets = local.widgets })
}
