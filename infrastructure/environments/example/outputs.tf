output "base_url" {
  value = module.service.base_url
}

output "acme_issuer" {
  description = "What acme's relying parties configure (discovery: <issuer>/.well-known/openid-configuration)."
  value       = module.acme.issuer
}

output "environment" {
  description = "The settings the function reads; export them to run the admin CLI against this deployment."
  value       = module.service.environment
}

output "function_name" {
  value = module.service.function_name
}
