# AWS WAF on the distribution (var.waf, with cloudfront): per-address rate limits where a
# stranger's requests cost the service or a person (a push to a phone, a guess at a secret,
# a token request), and AWS's common rule set. CloudFront's web ACLs live in us-east-1.
# The service's own limits (pushes per account, password attempts, locks) stay in force:
# WAF stops one address's flood before it reaches the function at all.
locals {
  waf       = var.cloudfront && var.waf
  waf_block = var.waf_mode == "block"
  # One rule per surface: the routes (under /t/<tenant>, app.py) and what limits them.
  rate_rules = {
    start = {
      priority = 1
      # The page's phone sign-in and CIBA's backchannel start: each pushes to a phone.
      path  = "^/t/[^/]+/(signin|bc-authorize)$"
      limit = var.waf_rate_limits.start
    }
    password = {
      priority = 2
      # The routes that check a guessable secret: a password, a recovery code, a typed code.
      path  = "^/t/[^/]+/(password|recovery|signin/[^/]+/code)$"
      limit = var.waf_rate_limits.password
    }
    token = {
      priority = 3
      path     = "^/t/[^/]+/token$"
      limit    = var.waf_rate_limits.token
    }
  }
  waf_metric = replace(var.name, "-", "")
}

resource "aws_wafv2_web_acl" "cloudfront" {
  #checkov:skip=CKV2_AWS_31:No WAF logging by default: a log line per request (every viewer's address) at $0.50/GB; each rule's CloudWatch metrics and sampled requests show what it counted or blocked.
  #checkov:skip=CKV_AWS_192:The Log4j rule set protects Java origins; the origin is a Python function.
  count       = local.waf ? 1 : 0
  provider    = aws.us_east_1
  name        = "${var.name}cloudfront"
  description = "Phone sign-in (${var.name}): rate limits per address, AWS common rules."
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  dynamic "rule" {
    for_each = local.rate_rules
    content {
      name     = "rate-${rule.key}"
      priority = rule.value.priority

      action {
        dynamic "block" {
          for_each = local.waf_block ? [1] : []
          content {}
        }
        dynamic "count" {
          for_each = local.waf_block ? [] : [1]
          content {}
        }
      }

      statement {
        rate_based_statement {
          limit                 = rule.value.limit
          aggregate_key_type    = "IP" # the viewer's address: WAF sits at CloudFront's edge
          evaluation_window_sec = 300

          scope_down_statement {
            and_statement {
              statement {
                byte_match_statement {
                  search_string         = "POST"
                  positional_constraint = "EXACTLY"
                  field_to_match {
                    method {}
                  }
                  text_transformation {
                    priority = 0
                    type     = "NONE"
                  }
                }
              }
              statement {
                regex_match_statement {
                  regex_string = rule.value.path
                  field_to_match {
                    uri_path {}
                  }
                  text_transformation {
                    priority = 0
                    type     = "NONE"
                  }
                }
              }
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.waf_metric}-rate-${rule.key}"
        sampled_requests_enabled   = true
      }
    }
  }

  rule {
    name     = "aws-common"
    priority = 10

    override_action {
      dynamic "none" {
        for_each = local.waf_block ? [1] : []
        content {}
      }
      dynamic "count" {
        for_each = local.waf_block ? [] : [1]
        content {}
      }
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"

        # In block mode these only count (variables.tf says why); in count mode all do.
        dynamic "rule_action_override" {
          for_each = local.waf_block ? var.waf_count_only_rules : []
          content {
            name = rule_action_override.value
            action_to_use {
              count {}
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.waf_metric}-aws-common"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.waf_metric}-cloudfront"
    sampled_requests_enabled   = true
  }
}
