variable "name" {
  description = "Prefix of every resource name, e.g. \"phonesignin-prod-\"."
  type        = string
}

variable "push_platforms" {
  description = <<-EOT
    SNS platform applications to create, by SNS platform (APNS, APNS_SANDBOX, GCM).
    APNS: credential = the .p8 signing key, principal = the key id (token auth), plus team_id
    and bundle_id. GCM (FCM HTTP v1): credential = the service account JSON, principal empty.
  EOT
  type = map(object({
    credential = string
    principal  = optional(string, "")
    team_id    = optional(string, "")
    bundle_id  = optional(string, "")
  }))
  sensitive = true
  default   = {}
}

variable "point_in_time_recovery" {
  description = "Continuous backups for every table (35 days of restore points)."
  type        = bool
  default     = true
}
