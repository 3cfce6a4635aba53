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
    https://<domain_name> when domain_name is set, else the HTTP API's own
    https://<id>.execute-api.<region>.amazonaws.com. Set it only for a CDN of your own in
    front of a function URL, or to CloudFront's https://<id>.cloudfront.net address when
    cloudfront = true has no domain_name (a second apply, once the distribution exists).
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
  description = <<-EOT
    Reserved concurrent executions: a ceiling on cost and on the load a flood puts on the
    tables, and capacity no other function in the account can take. 100 serves about 140
    sign-ins a second: Lambda allows a function 10 requests a second per unit of concurrency and
    a sign-in makes about 7 requests (by duration alone, ~119 ms of function time a sign-in, it
    would be ~840). Lambda keeps 100 of the account's quota unreserved, so an account at the
    default quota of 1,000 can reserve 100; a new account held at 10 cannot: lower this, or set
    null (unreserved: the account's shared pool, no ceiling). docs/operations.md, Lambda.
  EOT
  type        = number
  default     = 100
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

# A custom domain, CloudFront and AWS WAF (domain.tf, cloudfront.tf, waf.tf)

variable "domain_name" {
  description = <<-EOT
    The service's own host name, e.g. "login.example.com": PUBLIC_BASE_URL becomes
    https://<domain_name>, so every tenant's issuer is https://<domain_name>/t/<tenant>. An ACM
    certificate (DNS validation) is made for it: in us-east-1 for CloudFront, else in this
    region for an API Gateway custom domain (front = "http_api"). A function URL cannot carry a
    domain without CloudFront. Empty: no domain.
  EOT
  type        = string
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name: a lower-case host name such as login.example.com (no scheme, no path)."
  }
}

variable "route53_zone_id" {
  description = <<-EOT
    The Route 53 hosted zone that holds domain_name: the module makes the certificate's
    validation record and alias A (and, for CloudFront, AAAA) records, and waits for the
    certificate. Empty: DNS is elsewhere; output dns_records lists the records to make, and
    the first apply targets the certificate alone (docs/deploy.md).
  EOT
  type        = string
  default     = ""
}

variable "cloudfront" {
  description = <<-EOT
    Put CloudFront (and, with waf, AWS WAF) in front of the HTTP API or function URL. Needs
    domain_name (or an explicit public_base_url): the function's PUBLIC_BASE_URL cannot name a
    distribution whose origin is the function itself. Needs cloudfront_origin_secret. The
    function then refuses requests that bypass CloudFront (REQUIRE_ORIGIN_SECRET).
  EOT
  type        = bool
  default     = false
}

variable "cloudfront_origin_secret" {
  description = "Behind CloudFront (required with cloudfront = true): the secret it sends to the origin as the custom header X-Origin-Secret, at least 32 characters (e.g. `openssl rand -base64 32`). Requests carrying it have their viewer headers believed, so phones show the person's address and place; with cloudfront = true, requests without it are refused. The function gets only its SHA-256 (CLOUDFRONT_SECRET_SHA256)."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.cloudfront_origin_secret == null || length(coalesce(var.cloudfront_origin_secret, "-")) >= 32
    error_message = "cloudfront_origin_secret: at least 32 characters."
  }
}

variable "cloudfront_previous_origin_secret" {
  description = "The origin secret being rotated out: the function accepts it beside cloudfront_origin_secret (CLOUDFRONT_SECRET_SHA256 lists both digests) while CloudFront's edges take up the new one. Rotate: set this to the old secret and cloudfront_origin_secret to a new one, apply, wait for the distribution to deploy, then set this back to null and apply."
  type        = string
  default     = null
  sensitive   = true
}

variable "cloudfront_price_class" {
  description = "CloudFront's edge locations: PriceClass_100 (North America and Europe, the cheapest), PriceClass_200 or PriceClass_All. Viewers elsewhere are served from the nearest included edge."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "cloudfront_wait_for_deployment" {
  description = "Let apply wait until a change to the distribution has reached every edge (several minutes). false: apply returns at once; the edges follow."
  type        = bool
  default     = true
}

variable "cloudfront_log_bucket" {
  description = "CloudFront standard access logs: the S3 bucket's domain name (<bucket>.s3.amazonaws.com; the bucket must allow ACLs). Empty (the default): none; the function's log has every change and every error, and WAF's metrics count what it blocked."
  type        = string
  default     = ""
}

variable "waf" {
  description = "With cloudfront: an AWS WAF web ACL on the distribution (waf.tf): per-address rate limits on sign-in starts, password-like guesses and /token, and AWS's common rule set. $5 a month, $1 per rule a month and $0.60 per million requests."
  type        = bool
  default     = true
}

variable "waf_mode" {
  description = "\"block\": the rules act. \"count\": every rule only counts what it would block (CloudWatch metrics per rule): deploy in count first on a busy service, read the metrics, then switch to block."
  type        = string
  default     = "block"

  validation {
    condition     = contains(["block", "count"], var.waf_mode)
    error_message = "waf_mode must be \"block\" or \"count\"."
  }
}

variable "waf_rate_limits" {
  description = <<-EOT
    Requests per client address per 5 minutes before WAF blocks that address (for the rest
    of the window); one office's NAT is one address, so these are ceilings on abuse, not on
    people. The service's own per-account limits (pushes, password attempts) stay in force.
    start: POST /t/<tenant>/signin (the page) and /bc-authorize (CIBA), each a push to a
      phone: 500, about 1.7 a second: an office of 2,000 behind one NAT signing in within 20
      minutes stays under; a CIBA relying party's server starts every user's sign-in from one
      address, so one starting more than ~100 a minute needs more.
    password: POST /t/<tenant>/password, /recovery and /signin/<id>/code, the routes that check
      a guessable secret (password, recovery code, a typed code): 200, ten times what a
      person mistypes, the most a NAT's worth of people needs at a morning peak.
    token: POST /t/<tenant>/token: 5000, about 17 a second: a relying party's server redeems
      every user's code (and refresh token) from one address, so this is generous; codes are
      single use with PKCE or a client secret, so it is no guessing surface.
    AWS WAF's smallest limit is 10.
  EOT
  type = object({
    start    = optional(number, 500)
    password = optional(number, 200)
    token    = optional(number, 5000)
  })
  default = {}

  validation {
    condition     = alltrue([for v in values(var.waf_rate_limits) : v >= 10 && v <= 2000000000])
    error_message = "waf_rate_limits: each limit between 10 and 2,000,000,000 requests per 5 minutes."
  }
}

variable "waf_count_only_rules" {
  description = <<-EOT
    Rules of AWSManagedRulesCommonRuleSet that only count, even in block mode:
    NoUserAgent_HEADER, since phones' and relying parties' HTTP clients may send none; and
    SizeRestrictions_BODY, which blocks bodies over 8 KB while the service accepts up to 16 KB
    (chalicelib/web/bodies.py) and passkey registrations with attestation certificates can be
    larger than 8 KB.
  EOT
  type        = list(string)
  default     = ["NoUserAgent_HEADER", "SizeRestrictions_BODY"]
}

# Metrics, alarms and a dashboard (monitoring.tf)

variable "metrics" {
  description = "CloudWatch metric filters on the function's log, one per entry of metrics.json, in the namespace PhoneSignIn/<name without its trailing '-'>: operators change a metric without a deploy. $0.30 a metric a month."
  type        = bool
  default     = true
}

variable "alarms" {
  description = "CloudWatch alarms (server errors, unavailability, DynamoDB throttles, push failures, an abuse surge, function errors and throttles) into an SNS topic; each alarm's description names its runbook section in docs/operations.md. $0.10 an alarm metric a month."
  type        = bool
  default     = true
}

variable "alarm_topic_arn" {
  description = "An existing SNS topic for the alarms (and their OK notices). Empty: the module makes <name>alarms, encrypted with its KMS key."
  type        = string
  default     = ""
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic by email; each must confirm the subscription from the message SNS sends."
  type        = list(string)
  default     = []
}

variable "alarm_unavailable_per_5min" {
  description = "The unavailable alarm fires when more than this many 503s (DynamoDB, SNS or KMS throttled or out of reach after retries) are answered in 5 minutes."
  type        = number
  default     = 10
}

variable "alarm_push_failures_per_5min" {
  description = "The push-failures alarm fires at this many pushes SNS refused in 5 minutes (phones then have to poll)."
  type        = number
  default     = 10
}

variable "alarm_abuse_per_5min" {
  description = "The abuse-surge alarm fires when fraud reports, locks and refused starts together exceed this in 5 minutes: a push-bombing campaign."
  type        = number
  default     = 5
}

variable "dashboard" {
  description = "A CloudWatch dashboard <name>signins: the sign-in funnel, push failures, 5xx and 503s, the function and DynamoDB throttles ($3 a month beyond the free three)."
  type        = bool
  default     = true
}
