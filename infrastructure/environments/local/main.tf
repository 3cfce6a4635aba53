# The whole deployment (service + one tenant; the domain login.tf.example behind CloudFront and
# WAF; metrics, alarms and a dashboard) in a local moto server: tests/e2e/
# test_terraform.py applies this, signs in against what it made, and destroys it. Fake
# credentials; every check that needs real AWS is skipped. moto stores the Lambda function,
# its front and its role but runs nothing: the test drives the same code in-process.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
    }
  }
}

variable "endpoint" {
  type    = string
  default = "http://127.0.0.1:5000"
}

variable "name" {
  type    = string
  default = "phonesignin-tf-"
}

variable "lambda_zip" {
  description = "Any zip: moto stores the function without running it (the test builds a small one)."
  type        = string
}

variable "front" {
  type    = string
  default = "http_api"
}

variable "route53_zone_id" {
  description = <<-EOT
    The hosted zone of tf.example, made before the apply as an operator's zone is (the module
    counts its records by whether the id is set, which Terraform must know when it plans).
    Empty: no zone; output dns_records lists the records instead.
  EOT
  type        = string
  default     = ""
}

variable "origin_secret" {
  description = "CloudFront's X-Origin-Secret (TF_VAR_origin_secret)."
  type        = string
  sensitive   = true
}

variable "tf_web_secret" {
  description = "The client secret of tfco's client tf-web (TF_VAR_tf_web_secret)."
  type        = string
  sensitive   = true
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    acm          = var.endpoint
    apigatewayv2 = var.endpoint
    cloudfront   = var.endpoint
    cloudwatch   = var.endpoint
    dynamodb     = var.endpoint
    iam          = var.endpoint
    kms          = var.endpoint
    lambda       = var.endpoint
    logs         = var.endpoint
    route53      = var.endpoint
    sns          = var.endpoint
    sts          = var.endpoint
    wafv2        = var.endpoint
  }
}

module "service" {
  source = "../../modules/service"
  # CloudFront's certificate and web ACL come from us-east-1: the default provider's region
  # here (an alias with the same settings would start a second provider process, ~20 s a
  # command on a busy machine).
  providers = {
    aws           = aws
    aws.us_east_1 = aws
  }
  name       = var.name
  lambda_zip = var.lambda_zip
  front      = var.front
  # Throwaway tables: the test destroys them.
  deletion_protection = false
  # moto ignores a function's logging configuration: a second plan would show it again.
  platform_log_lines = true
  # The domain, CloudFront and WAF in front of either front, the zone's records made.
  domain_name              = "login.tf.example"
  route53_zone_id          = var.route53_zone_id
  cloudfront               = true
  cloudfront_origin_secret = var.origin_secret
  alarm_emails             = ["ops@tf.example"]
  # moto's distribution is deployed on its second read; the provider's wait for that polls
  # every 30 s or so, with nothing to wait for.
  cloudfront_wait_for_deployment = false
  push_platforms = {
    APNS         = { credential = "local-p8-key", principal = "KEYID12345", team_id = "TEAM123456", bundle_id = "com.example.signin" }
    APNS_SANDBOX = { credential = "local-p8-key", principal = "KEYID12345", team_id = "TEAM123456", bundle_id = "com.example.signin" }
    GCM          = { credential = "{\"type\": \"service_account\"}" }
  }
}

module "tfco" {
  source          = "../../modules/tenant"
  tenants_table   = module.service.tenants_table
  public_base_url = module.service.public_base_url
  tenant_id       = "tfco"
  name            = "Terraform Co"
  policy          = { number_match = "type", pushes_per_minute = 5 }
  clients = {
    tf-web = {
      name          = "TF Portal"
      redirect_uris = ["https://tf.example/cb"]
      client_secret = var.tf_web_secret
    }
    # Every registration field the module takes, none left at its default.
    tf-spa = {
      name                                = "TF SPA"
      redirect_uris                       = ["http://127.0.0.1:9000/cb"]
      id_token_signed_response_alg        = "ES256"
      post_logout_redirect_uris           = ["http://127.0.0.1:9000/bye", "https://tf.example/bye"]
      backchannel_logout_uri              = "https://tf.example/logout"
      backchannel_logout_session_required = false
    }
  }
}

output "environment" {
  value = module.service.environment
}

output "base_url" {
  value = module.service.base_url
}

output "issuer" {
  value = module.tfco.issuer
}

output "table_arns" {
  value = module.service.table_arns
}

output "role_name" {
  value = module.service.role_name
}

output "function_name" {
  value = module.service.function_name
}

output "cloudfront_domain_name" {
  value = module.service.cloudfront_domain_name
}

output "web_acl_arn" {
  value = module.service.web_acl_arn
}

output "alarm_topic_arn" {
  value = module.service.alarm_topic_arn
}

output "dashboard_name" {
  value = module.service.dashboard_name
}

output "metric_namespace" {
  value = module.service.metric_namespace
}

output "dns_records" {
  value = module.service.dns_records
}

output "dns_validation_records" {
  value = module.service.dns_validation_records
}
