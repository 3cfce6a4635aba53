# One tenant: its head item (name and policy) and one item per OIDC client, in the tenants
# table, laid out exactly as chalicelib/adapters/dynamodb/tenants.py reads them.
#
# The service gives the tenant its data key (KMS) and signing key itself when it first loads
# it (chalicelib/usecases/tenant_directory.py): no key material passes through Terraform or its
# state. The provider owns these items whole: an apply deletes any attribute of them it did not
# write. So the service keeps what it adds in items of its own (sk "datakey", "key#<kid>"), and a
# policy or client changed with the admin CLI is reverted by the next apply.

locals {
  # Whole-number settings the service defaults when absent (chalicelib/domain/tenants.py LIMITS).
  limits = ["pushes_per_minute", "pushes_per_day", "max_pending", "deny_lock_after", "lock_seconds", "session_idle_seconds", "session_max_seconds"]
}

resource "aws_dynamodb_table_item" "tenant" {
  table_name = var.tenants_table
  hash_key   = "pk"
  range_key  = "sk"
  item = jsonencode(merge(
    {
      pk               = { S = var.tenant_id }
      sk               = { S = "tenant" }
      name             = { S = var.name }
      phone_signin     = { BOOL = var.policy.phone_signin }
      signin_seconds   = { N = tostring(var.policy.signin_seconds) }
      number_match     = { S = var.policy.number_match }
      require_two_step = { BOOL = var.policy.require_two_step }
      # A person may remove their last phone or passkey on the security-info page.
      password_only_accounts = { BOOL = var.policy.password_only_accounts }
      # People may sign in with passkeys (and register them on the security-info page).
      passkeys = { BOOL = var.policy.passkeys }
    },
    # Only the limits given: the service uses its defaults for the others.
    { for name in local.limits : name => { N = tostring(var.policy[name]) } if var.policy[name] != null },
  ))
}

locals {
  # The variable is sensitive because it carries secrets; what is not secret is unmarked so
  # plans stay readable. A secret's SHA-256 (of >= 32 characters) reveals nothing usable.
  clients = {
    for id in nonsensitive(toset(keys(var.clients))) : id => {
      name          = nonsensitive(var.clients[id].name)
      redirect_uris = nonsensitive(var.clients[id].redirect_uris)
      # The registration beyond redirect URIs (chalicelib/domain/tenants.py Client).
      id_token_signed_response_alg        = nonsensitive(var.clients[id].id_token_signed_response_alg)
      post_logout_redirect_uris           = nonsensitive(var.clients[id].post_logout_redirect_uris)
      backchannel_logout_uri              = nonsensitive(var.clients[id].backchannel_logout_uri)
      backchannel_logout_session_required = nonsensitive(var.clients[id].backchannel_logout_session_required)
      # base64sha256: the standard, padded form; the service compares either form.
      secret_hash = nonsensitive(var.clients[id].client_secret == null ? null : base64sha256(var.clients[id].client_secret))
    }
  }
}

resource "aws_dynamodb_table_item" "client" {
  for_each = local.clients

  table_name = var.tenants_table
  hash_key   = "pk"
  range_key  = "sk"
  item = jsonencode(merge(
    {
      pk            = { S = var.tenant_id }
      sk            = { S = "client#${each.key}" }
      name          = { S = each.value.name }
      redirect_uris = { L = [for uri in each.value.redirect_uris : { S = uri }] }
      # Always written: an item without it is one stored before RS256, which keeps ES256.
      id_token_signed_response_alg        = { S = each.value.id_token_signed_response_alg }
      post_logout_redirect_uris           = { L = [for uri in each.value.post_logout_redirect_uris : { S = uri }] }
      backchannel_logout_session_required = { BOOL = each.value.backchannel_logout_session_required }
    },
    each.value.secret_hash == null ? {} : { secret_hash = { S = each.value.secret_hash } },
    each.value.backchannel_logout_uri == null ? {} : { backchannel_logout_uri = { S = each.value.backchannel_logout_uri } },
  ))

  depends_on = [aws_dynamodb_table_item.tenant]
}
