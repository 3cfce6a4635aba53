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
