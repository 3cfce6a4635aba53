terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
      # CloudFront takes certificates and web ACLs from us-east-1 only, wherever the service
      # runs: the caller passes a provider for that region (the same one when it runs there).
      configuration_aliases = [aws.us_east_1]
    }
  }
}
