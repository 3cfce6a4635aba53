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

output "dns_records" {
  description = "With domain_name and no route53_zone_id: the records to make in your DNS."
  value       = module.service.dns_records
}

output "dns_validation_records" {
  description = "The certificate's validation record, written by the first apply (-target=module.service.aws_acm_certificate.domain -target=module.service.aws_acm_certificate.regional)."
  value       = module.service.dns_validation_records
}

output "cloudfront_domain_name" {
  value = module.service.cloudfront_domain_name
}

output "alarm_topic_arn" {
  value = module.service.alarm_topic_arn
}

output "dashboard_name" {
  value = module.service.dashboard_name
}
