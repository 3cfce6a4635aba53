variable "region" {
  type    = string
  default = "us-east-1"
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "phonesignin-prod-"
}

variable "lambda_zip" {
  description = "The zip `make package` builds."
  type        = string
  default     = "../../../build/package/deployment.zip"
}

variable "apns_key_file" {
  description = "Path of the APNs token signing key (AuthKey_<key id>.p8); empty: no iOS push."
  type        = string
  default     = ""
}

variable "apns_key_id" {
  description = "The .p8 key's id (10 characters)."
  type        = string
  default     = ""
}

variable "apple_team_id" {
  type    = string
  default = ""
}

variable "ios_bundle_id" {
  description = "The authenticator app's bundle id (the APNs topic)."
  type        = string
  default     = ""
}

variable "apns_sandbox" {
  description = "Also create the APNS_SANDBOX application, for development builds of the app."
  type        = bool
  default     = false
}

variable "fcm_service_account_file" {
  description = "Path of the Firebase service account JSON (FCM HTTP v1); empty: no Android push."
  type        = string
  default     = ""
}

variable "acme_portal_secret" {
  description = "The client secret of acme-portal (at least 32 characters; e.g. `openssl rand -base64 32`). Pass it as TF_VAR_acme_portal_secret."
  type        = string
  sensitive   = true
}

variable "platform_log_lines" {
  description = "Keep Lambda's START, END and REPORT lines (Text log format); tools/tf_local.py sets it for moto, which ignores the logging configuration."
  type        = bool
  default     = false
}

variable "domain_name" {
  description = "The service's host name, e.g. login.example.com (issuers become https://<domain_name>/t/<tenant>). Empty: the HTTP API's own address."
  type        = string
  default     = ""
}

variable "route53_zone_id" {
  description = "The Route 53 zone of domain_name: Terraform makes the DNS records. Empty: make the records output dns_records lists (docs/deploy.md)."
  type        = string
  default     = ""
}

variable "cloudfront" {
  description = "CloudFront and AWS WAF in front of the HTTP API (needs domain_name and cloudfront_origin_secret)."
  type        = bool
  default     = false
}

variable "cloudfront_origin_secret" {
  description = "The secret CloudFront sends the function as X-Origin-Secret (at least 32 characters; `openssl rand -base64 32`). Pass it as TF_VAR_cloudfront_origin_secret."
  type        = string
  default     = null
  sensitive   = true
}

variable "cloudfront_previous_origin_secret" {
  description = "While rotating the origin secret: the previous one, which the function still accepts until CloudFront sends the new one everywhere (docs/operations.md). Pass it as TF_VAR_cloudfront_previous_origin_secret; null otherwise."
  type        = string
  default     = null
  sensitive   = true
}

variable "waf_mode" {
  description = "\"block\", or \"count\" to watch what WAF's rules would block before they do (docs/deploy.md)."
  type        = string
  default     = "block"
}

variable "alarm_emails" {
  description = "Who gets the alarms by email (each confirms SNS's subscription message)."
  type        = list(string)
  default     = []
}
