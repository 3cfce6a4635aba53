variable "name" {
  description = "Prefix of every resource name, e.g. \"phonesignin-prod-\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,40}$", var.name))
    error_message = "name: lower-case letters, digits and '-', at most 41 characters (it prefixes table, role and function names)."
  }
}

variable "push_platforms" {
  description = <<-EOT
    SNS platform applications to create, by SNS platform (APNS, APNS_SANDBOX, GCM).
    APNS and APNS_SANDBOX (token auth): credential = the .p8 signing key's text, principal =
    its key id, plus team_id and bundle_id. GCM (FCM HTTP v1): credential = the Firebase
    service account JSON; no principal.
  EOT
  type = map(object({
    credential = string
    principal  = optional(string, "")
    team_id    = optional(string, "")
    bundle_id  = optional(string, "")
  }))
  sensitive = true
  default   = {}

  validation {
    condition     = alltrue([for p in keys(var.push_platforms) : contains(["APNS", "APNS_SANDBOX", "GCM"], p)])
    error_message = "push_platforms keys must be APNS, APNS_SANDBOX or GCM."
  }
}

variable "point_in_time_recovery" {
  description = "Continuous backups for every table (35 days of restore points)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the tables (terraform destroy fails until this is false and applied)."
  type        = bool
  default     = true
}

# The Lambda function

variable "lambda_zip" {
  description = "Path of the deployment.zip that `make package` builds (build/package/deployment.zip: `chalice package`, then tools/package.py)."
  type        = string
}

variable "public_base_url" {
  description = <<-EOT
    The URL people and relying parties see; issuers are <public_base_url>/t/<tenant>. Empty:
    the HTTP API's own https://<id>.execute-api.<region>.amazonaws.com. Required with
    front = "function_url" (the CDN's address in front of the function URL).
  EOT
  type        = string
  default     = ""

  validation {
    condition     = var.public_base_url == "" || can(regex("^https://[^/?#]+$", var.public_base_url))
    error_message = "public_base_url: https://host, without a path or a trailing slash."
  }
}

variable "architecture" {
  description = "arm64 (what `make package` builds: .chalice/config.json's prod stage sets lambda_architecture, so the zip holds aarch64 wheels of cryptography, cffi and argon2's bindings; about 20% cheaper per GB-second) or x86_64 (needs a zip built with lambda_architecture = \"x86_64\"). It must match the zip: tools/package.py refuses extension modules of another architecture than the one chalice declares."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "platform_log_lines" {
  description = "Keep Lambda's START, END and REPORT lines for every request (the Text log format). Off by default: the JSON format with system logs at WARN drops them. moto ignores a function's logging configuration, so the environments applied to moto turn this on (a second plan would show it again)."
  type        = bool
  default     = false
}

variable "memory_mb" {
  description = "Lambda memory; CPU scales with it (docs/performance.md prices 512 MB)."
  type        = number
  default     = 512
}

variable "timeout_seconds" {
  description = "Lambda timeout. Every request is a few DynamoDB/SNS calls with 2 s connect and 5 s read timeouts."
  type        = number
  default     = 10
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions: a ceiling on cost and on load on the tables. null: unreserved (the account's pool)."
  type        = number
  default     = null
}

variable "xray_tracing" {
  description = "Active X-Ray tracing (priced per trace; off by default)."
  type        = bool
  default     = false
}

variable "tenant_cache_seconds" {
  description = "How long a container keeps a tenant's policy, clients and keys (TENANT_CACHE_SECONDS)."
  type        = number
  default     = 60
}

variable "cloudfront_origin_secret" {
  description = "Behind CloudFront: the secret it sends to the origin as the custom header X-Origin-Secret. Requests carrying it have their viewer headers believed, so phones show the person's address and place. The function gets only its SHA-256 (CLOUDFRONT_SECRET_SHA256)."
  type        = string
  default     = null
  sensitive   = true
}

variable "log_retention_days" {
  description = "Retention of the function's (and the API's access) logs."
  type        = number
  default     = 30
}

# The HTTP front

variable "front" {
  description = <<-EOT
    What receives HTTP and invokes the function, a cost decision (docs/deploy.md):
    "http_api" (API Gateway HTTP API, $1.00 per million requests, ~8 requests per sign-in) or
    "function_url" (a Lambda function URL: no request charge; put a CDN in front of it).
  EOT
  type        = string
  default     = "http_api"

  validation {
    condition     = contains(["http_api", "function_url"], var.front)
    error_message = "front must be \"http_api\" or \"function_url\"."
  }
}

variable "payload_format_version" {
  description = "HTTP API payload format; app.handler adapts both \"1.0\" and \"2.0\"."
  type        = string
  default     = "2.0"

  validation {
    condition     = contains(["1.0", "2.0"], var.payload_format_version)
    error_message = "payload_format_version must be \"1.0\" or \"2.0\"."
  }
}

variable "throttle_rate_limit" {
  description = "HTTP API steady-state requests per second across all routes (a sign-in makes ~8 requests)."
  type        = number
  default     = 1000
}

variable "throttle_burst_limit" {
  description = "HTTP API burst capacity, requests."
  type        = number
  default     = 2000
}

variable "access_logs" {
  description = "HTTP API access logs (one line per request: $0.50 per GB ingested). The function's own log has every error either way."
  type        = bool
  default     = false
}
