# The domain, CloudFront and WAF where moto cannot tell: WAF's count mode, the API Gateway
# custom domain, the records to make by hand without a zone, the origin secrets in rotation,
# and the preconditions' refusals. Planned with mock providers; tests/e2e/test_terraform.py
# applies the CloudFront path with a zone to moto and runs `terraform test` here.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

mock_provider "aws" {
  alias = "us_east_1"
}

variables {
  name                     = "phonesignin-test-"
  lambda_zip               = "versions.tf" # any file: a plan only hashes it
  domain_name              = "login.example.com"
  route53_zone_id          = "Z0123456789ABCDEFGHIJ"
  cloudfront               = true
  cloudfront_origin_secret = "0123456789abcdef0123456789abcdef"
}

run "waf_blocks_by_default_but_two_common_rules_only_count" {
  command = plan

  assert {
    condition = alltrue([
      for r in aws_wafv2_web_acl.cloudfront[0].rule :
      length(r.action[0].block) == 1 && length(r.action[0].count) == 0 if startswith(r.name, "rate-")
    ])
    error_message = "In block mode every rate rule must block."
  }
  assert {
    condition = one([
      for r in aws_wafv2_web_acl.cloudfront[0].rule :
      length(r.override_action[0].none) == 1 if r.name == "aws-common"
    ])
    error_message = "In block mode AWS's common rules must act (override_action none)."
  }
  assert {
    condition = toset(flatten([
      for r in aws_wafv2_web_acl.cloudfront[0].rule : [
        for o in r.statement[0].managed_rule_group_statement[0].rule_action_override : o.name
      ] if r.name == "aws-common"
    ])) == toset(["NoUserAgent_HEADER", "SizeRestrictions_BODY"])
    error_message = "NoUserAgent_HEADER and SizeRestrictions_BODY must only count."
  }
  assert {
    condition = toset([
      for r in aws_wafv2_web_acl.cloudfront[0].rule : r.statement[0].rate_based_statement[0].limit if startswith(r.name, "rate-")
    ]) == toset([500, 200, 5000])
    error_message = "The default limits are start 500, password 200, token 5000 per 5 minutes."
  }
  assert {
    condition     = aws_lambda_function.api.environment[0].variables["REQUIRE_ORIGIN_SECRET"] == "true"
    error_message = "Behind CloudFront the function must refuse requests without the origin secret."
  }
  assert {
    condition     = aws_lambda_function.api.environment[0].variables["PUBLIC_BASE_URL"] == "https://login.example.com"
    error_message = "The domain must be the public base URL."
  }
  assert {
    condition     = length(aws_acm_certificate.domain) == 1 && length(aws_acm_certificate.regional) == 0
    error_message = "CloudFront's certificate is the us-east-1 one."
  }
}

run "waf_count_mode_only_counts_and_both_origin_secrets_while_rotating" {
  command = plan
  variables {
    waf_mode                          = "count"
    cloudfront_previous_origin_secret = "fedcba9876543210fedcba9876543210"
  }

  assert {
    condition = alltrue([
      for r in aws_wafv2_web_acl.cloudfront[0].rule :
      length(r.action[0].count) == 1 && length(r.action[0].block) == 0 if startswith(r.name, "rate-")
    ])
    error_message = "In count mode every rate rule must count."
  }
  assert {
    condition = one([
      for r in aws_wafv2_web_acl.cloudfront[0].rule :
      length(r.override_action[0].count) == 1 && length(r.statement[0].managed_rule_group_statement[0].rule_action_override) == 0
      if r.name == "aws-common"
    ])
    error_message = "In count mode the whole managed group counts (override_action count)."
  }
  assert {
    condition = aws_lambda_function.api.environment[0].variables["CLOUDFRONT_SECRET_SHA256"] == join(",", [
      sha256("0123456789abcdef0123456789abcdef"), sha256("fedcba9876543210fedcba9876543210"),
    ])
    error_message = "CLOUDFRONT_SECRET_SHA256 must list the current secret's digest, then the previous one's."
  }
}

run "without_a_zone_the_records_are_listed" {
  command = plan
  variables {
    route53_zone_id = ""
  }

  assert {
    condition     = length(output.dns_records) == 2 && length(aws_route53_record.domain) == 0 && length(aws_route53_record.validation) == 0
    error_message = "Without a zone: no Route 53 records, and dns_records lists the validation and the domain's CNAME."
  }
  assert {
    condition     = output.dns_records[1].name == "login.example.com" && output.dns_records[1].type == "CNAME"
    error_message = "The domain's record is a CNAME to the distribution."
  }
  assert {
    condition     = length(output.dns_validation_records) == 1
    error_message = "dns_validation_records holds the validation record alone (known after the first, targeted apply)."
  }
}

run "http_api_serves_the_domain_without_cloudfront" {
  command = plan
  variables {
    cloudfront               = false
    cloudfront_origin_secret = null
  }

  assert {
    condition     = length(aws_acm_certificate.regional) == 1 && length(aws_acm_certificate.domain) == 0
    error_message = "An API Gateway regional domain takes a certificate from its own region."
  }
  assert {
    condition     = aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].endpoint_type == "REGIONAL"
    error_message = "The API's custom domain must be regional."
  }
  assert {
    condition     = length(aws_apigatewayv2_api_mapping.api) == 1 && keys(aws_route53_record.domain) == ["A"]
    error_message = "The domain maps to the API, with an alias A record."
  }
  assert {
    condition     = length(aws_cloudfront_distribution.api) == 0 && length(aws_wafv2_web_acl.cloudfront) == 0
    error_message = "No CloudFront, no WAF."
  }
  assert {
    condition     = !contains(keys(aws_lambda_function.api.environment[0].variables), "REQUIRE_ORIGIN_SECRET")
    error_message = "Without CloudFront nothing sends the origin secret."
  }
}

run "cloudfront_needs_a_domain" {
  command = plan
  variables {
    domain_name     = ""
    route53_zone_id = ""
  }
  expect_failures = [aws_cloudfront_distribution.api]
}

run "cloudfront_needs_the_origin_secret" {
  command = plan
  variables {
    cloudfront_origin_secret = null
  }
  expect_failures = [aws_cloudfront_distribution.api]
}

run "a_function_url_cannot_serve_a_domain_alone" {
  command = plan
  variables {
    front                    = "function_url"
    cloudfront               = false
    cloudfront_origin_secret = null
  }
  expect_failures = [aws_lambda_function.api]
}
