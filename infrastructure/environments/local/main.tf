# The whole deployment (service + one tenant) in a local moto server: tests/e2e/
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
    apigatewayv2 = var.endpoint
    dynamodb     = var.endpoint
    iam          = var.endpoint
    kms          = var.endpoint
    lambda       = var.endpoint
    logs         = var.endpoint
    sns          = var.endpoint
    sts          = var.endpoint
  }
}

module "service" {
  source     = "../../modules/service"
  name       = var.name
  lambda_zip = var.lambda_zip
  front      = var.front
  # Throwaway tables: the test destroys them.
  deletion_protection = false
  # moto ignores a function's logging configuration: a second plan would show it again.
  platform_log_lines = true
  # A function URL needs the CDN's address; locally any https host will do.
  public_base_url = var.front == "function_url" ? "https://signin.tf.example" : ""
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
