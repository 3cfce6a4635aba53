output "tenant_id" {
  value = var.tenant_id
}

output "issuer" {
  description = "The tenant's OpenID Connect issuer (discovery at <issuer>/.well-known/openid-configuration)."
  value       = var.public_base_url == "" ? null : "${var.public_base_url}/t/${var.tenant_id}"
}

output "client_ids" {
  value = sort(keys(local.clients))
}
