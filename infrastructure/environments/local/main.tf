# The service's AWS resources in a local moto server (tests/e2e/test_terraform.py applies
# this). Fake credentials; every check that needs real AWS is skipped.
variable "endpoint" {
  type    = string
  default = "http://127.0.0.1:5000"
}

variable "name" {
  type    = string
  default = "phonesignin-tf-"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true

  endpoints {
    dynamodb = var.endpoint
    kms      = var.endpoint
    sns      = var.endpoint
    iam      = var.endpoint
    lambda   = var.endpoint
    sts      = var.endpoint
    logs     = var.endpoint
  }
}

module "service" {
  source = "../../modules/service"
  name   = var.name
  push_platforms = {
    APNS         = { credential = "local-p8-key", principal = "KEYID12345", team_id = "TEAM123456", bundle_id = "com.example.signin" }
    APNS_SANDBOX = { credential = "local-p8-key", principal = "KEYID12345", team_id = "TEAM123456", bundle_id = "com.example.signin" }
    GCM          = { credential = "{\"type\": \"service_account\"}" }
  }
}

output "environment" {
  value = module.service.environment
}
