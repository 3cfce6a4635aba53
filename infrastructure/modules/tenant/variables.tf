variable "tenants_table" {
  description = "The service's tenants table (module.service.tenants_table)."
  type        = string
}

variable "public_base_url" {
  description = "The service's public_base_url output; only used for the issuer output."
  type        = string
  default     = ""
}

variable "tenant_id" {
  description = "3-32 characters of a-z, 0-9 and '-'; the first part of every key and of the issuer URL."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$", var.tenant_id))
    error_message = "tenant_id must be 3-32 characters of a-z, 0-9 and '-', not starting or ending with '-'."
  }
}

variable "name" {
  description = "The organisation's name."
  type        = string

  validation {
    condition     = length(var.name) > 0 && length(var.name) <= 100
    error_message = "name must be 1-100 characters."
  }
}

variable "policy" {
  description = <<-EOT
    The tenant's sign-in policy (chalicelib/domain/tenants.py Policy): phone_signin (the
    organisation allows phone sign-in), signin_seconds (30-600: how long a sign-in may wait for
    the phone),
    number_match ("type", the default: type the page's two-digit number on the phone; "pick":
    tap it among three; "strict": type a six-digit number, for NIST SP 800-63B-4 out-of-band
    authenticators),
    require_two_step (password sign-ins also need the phone or a TOTP code),
    password_only_accounts (a person may remove their last phone or passkey on the
    security-info page and keep only a password; off by default),
    passkeys (people may sign in with a passkey and register one; on by default).
    Push-fatigue limits (chalicelib/domain/tenants.py PUSH_LIMITS; null: the service's default):
    pushes_per_minute (1-20), pushes_per_day (1-1000), max_pending (1-10 sign-ins waiting at
    once), deny_lock_after (1-100 denials in a row lock phone sign-in), lock_seconds (60-86400).
    Single sign-on (null: the service's default, 7200 and 43200): session_idle_seconds
    (300-86400: a browser's session ends unused this long), session_max_seconds (300-2592000:
    it ends this long after the sign-in, however used).
  EOT
  type = object({
    phone_signin           = optional(bool, true)
    signin_seconds         = optional(number, 120)
    number_match           = optional(string, "type")
    require_two_step       = optional(bool, false)
    password_only_accounts = optional(bool, false)
    passkeys               = optional(bool, true)
    pushes_per_minute      = optional(number)
    pushes_per_day         = optional(number)
    max_pending            = optional(number)
    deny_lock_after        = optional(number)
    lock_seconds           = optional(number)
    session_idle_seconds   = optional(number)
    session_max_seconds    = optional(number)
  })
  default = {}

  validation {
    condition     = var.policy.signin_seconds >= 30 && var.policy.signin_seconds <= 600 && floor(var.policy.signin_seconds) == var.policy.signin_seconds
    error_message = "policy.signin_seconds must be a whole number from 30 to 600 (sign-ins live at most 10 minutes)."
  }

  validation {
    condition     = contains(["pick", "type", "strict"], var.policy.number_match)
    error_message = "policy.number_match must be \"pick\", \"type\" or \"strict\"."
  }

  validation {
    condition = alltrue([
      for name, range in { pushes_per_minute = [1, 20], pushes_per_day = [1, 1000], max_pending = [1, 10], deny_lock_after = [1, 100], lock_seconds = [60, 86400], session_idle_seconds = [300, 86400], session_max_seconds = [300, 2592000] } :
      var.policy[name] == null || (
        coalesce(var.policy[name], 0) >= range[0] && coalesce(var.policy[name], 0) <= range[1] && floor(coalesce(var.policy[name], 0)) == coalesce(var.policy[name], 0)
      )
    ])
    error_message = "policy limits: whole numbers, pushes_per_minute 1-20, pushes_per_day 1-1000, max_pending 1-10, deny_lock_after 1-100, lock_seconds 60-86400, session_idle_seconds 300-86400, session_max_seconds 300-2592000."
  }

  validation {
    # 3 and 30: the service's defaults for the one left out.
    condition     = coalesce(var.policy.pushes_per_minute, 3) <= coalesce(var.policy.pushes_per_day, 30)
    error_message = "policy.pushes_per_minute cannot exceed pushes_per_day."
  }
}

variable "clients" {
  description = <<-EOT
    The tenant's OpenID Connect clients (relying parties), by client_id: name (shown in every
    push, 1-64 characters), redirect_uris (exact match; https, or http on loopback), and
    client_secret: at least 32 characters for a confidential client, or null for a public one
    (PKCE required). Only SHA-256 of a secret is stored, in the table and in Terraform state.
    id_token_signed_response_alg: "RS256" (the default, as OpenID Connect Dynamic Client
    Registration 1.0 has it) or "ES256", the algorithm of the client's ID tokens.
    For logout: post_logout_redirect_uris (exact match; https, or http on loopback),
    backchannel_logout_uri (https, or http on loopback; null: none) and
    backchannel_logout_session_required (the logout token carries sid; default true).
  EOT
  type = map(object({
    name                                = string
    redirect_uris                       = list(string)
    client_secret                       = optional(string)
    id_token_signed_response_alg        = optional(string, "RS256")
    post_logout_redirect_uris           = optional(list(string), [])
    backchannel_logout_uri              = optional(string)
    backchannel_logout_session_required = optional(bool, true)
  }))
  default   = {}
  sensitive = true

  validation {
    condition     = alltrue([for id, c in var.clients : can(regex("^[A-Za-z0-9._-]{3,64}$", id))])
    error_message = "client ids must be 3-64 characters of A-Z a-z 0-9 . _ -."
  }

  validation {
    # chalicelib/domain/tenants.py RESERVED_CLIENT_IDS: the security-info page's own client.
    condition     = !contains(keys(var.clients), "account")
    error_message = "the client id \"account\" is the service's own (the security-info page)."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : length(c.name) > 0 && length(c.name) <= 64])
    error_message = "a client's name must be 1-64 characters (phones show it)."
  }

  validation {
    condition = alltrue(flatten([for c in values(var.clients) : [
      for uri in c.redirect_uris :
      can(regex("^(https://[^/?#\\s]+|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]+)?)(/[^#\\s]*)?$", uri))
    ]]))
    error_message = "redirect URIs must be absolute without a fragment, and https unless on loopback."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : contains(["RS256", "ES256"], c.id_token_signed_response_alg)])
    error_message = "id_token_signed_response_alg must be \"RS256\" or \"ES256\"."
  }

  validation {
    # The same rule as redirect_uris (chalicelib/domain/tenants.py check_client_uri).
    condition = alltrue(flatten([for c in values(var.clients) : [
      for uri in concat(c.post_logout_redirect_uris, c.backchannel_logout_uri == null ? [] : [c.backchannel_logout_uri]) :
      can(regex("^(https://[^/?#\\s]+|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]+)?)(/[^#\\s]*)?$", uri))
    ]]))
    error_message = "post_logout_redirect_uris and backchannel_logout_uri must be absolute without a fragment, and https unless on loopback."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : c.client_secret == null || length(coalesce(c.client_secret, "x")) >= 32])
    error_message = "a client_secret must be at least 32 characters (or null for a public client)."
  }
}
