# A real AWS deployment: the service behind an HTTP API (optionally on its own domain, behind
# CloudFront and WAF), its alarms and dashboard, and one tenant.
# Step by step in docs/deploy.md. Copy terraform.tfvars.example to terraform.tfvars and fill
# it in; keep the credential files it names out of version control.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
    }
  }

  # State holds the push credentials and the clients' secret hashes: keep it in an encrypted,
  # access-controlled backend, e.g.
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "phone-signin/prod.tfstate"
  #   region       = "us-east-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { Project = "phone-signin", Deployment = var.name }
  }
}

# CloudFront takes its certificate and web ACL from us-east-1, wherever the service runs.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = { Project = "phone-signin", Deployment = var.name }
  }
}

locals {
  apns = var.apns_key_file == "" ? {} : {
    credential = file(var.apns_key_file)
    principal  = var.apns_key_id
    team_id    = var.apple_team_id
    bundle_id  = var.ios_bundle_id
  }
  push_platforms = merge(
    var.apns_key_file == "" ? {} : { APNS = local.apns },
    var.apns_key_file == "" || !var.apns_sandbox ? {} : { APNS_SANDBOX = local.apns },
    var.fcm_service_account_file == "" ? {} : { GCM = { credential = file(var.fcm_service_account_file) } },
  )
}

module "service" {
  source = "../../modules/service"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }
  name           = var.name
  lambda_zip     = var.lambda_zip
  push_platforms = local.push_platforms
  front          = "http_api"
  # false (the default): JSON logs, without the platform's lines for every request.
  platform_log_lines = var.platform_log_lines
  # Empty: the HTTP API's own https://<id>.execute-api.<region>.amazonaws.com address.
  # With domain_name: https://<domain_name>, served by CloudFront (cloudfront = true, with
  # WAF) or by an API Gateway custom domain.
  domain_name              = var.domain_name
  route53_zone_id          = var.route53_zone_id
  cloudfront               = var.cloudfront
  cloudfront_origin_secret = var.cloudfront_origin_secret
  # Only while rotating the origin secret (docs/operations.md): the one CloudFront may still send.
  cloudfront_previous_origin_secret = var.cloudfront_previous_origin_secret
  waf_mode                          = var.waf_mode
  alarm_emails                      = var.alarm_emails
}

module "acme" {
  source          = "../../modules/tenant"
  tenants_table   = module.service.tenants_table
  public_base_url = module.service.public_base_url
  tenant_id       = "acme"
  name            = "Acme Corp"
  policy = {
    phone_signin     = true
    signin_seconds   = 120
    number_match     = "pick"
    require_two_step = true
  }
  clients = {
    acme-portal = {
      name          = "Acme Portal"
      redirect_uris = ["https://portal.acme.example/oidc/callback"]
      client_secret = var.acme_portal_secret
    }
    acme-mobile = { # a public client: PKCE, no secret
      name          = "Acme Mobile"
      redirect_uris = ["https://app.acme.example/callback"]
    }
  }
}
