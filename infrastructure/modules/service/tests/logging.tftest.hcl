# The function's log configuration, planned with a mock provider (no AWS, no moto: moto ignores
# LoggingConfig). tests/e2e/test_terraform.py runs `terraform test` here.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

mock_provider "aws" {
  alias = "us_east_1"
}

variables {
  name       = "phonesignin-test"
  lambda_zip = "versions.tf" # any file: a plan only hashes it
}

run "json_logs_without_the_platforms_lines_by_default" {
  command = plan

  assert {
    condition     = aws_lambda_function.api.logging_config[0].log_format == "JSON"
    error_message = "The function must log JSON by default."
  }
  assert {
    condition     = aws_lambda_function.api.logging_config[0].system_log_level == "WARN"
    error_message = "Without system logs at WARN, Lambda writes START, END and REPORT for every request."
  }
}

run "platform_lines_kept_when_asked" {
  command = plan
  variables {
    platform_log_lines = true
  }

  assert {
    condition     = length(aws_lambda_function.api.logging_config) == 0
    error_message = "platform_log_lines = true must leave the logging configuration unset."
  }
}
