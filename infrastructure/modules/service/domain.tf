# The service's own domain (var.domain_name): an ACM certificate validated by DNS, served by
# CloudFront (cloudfront.tf) or, without it, by an API Gateway custom domain. With a Route 53
# zone the module makes the DNS records and waits for the certificate; without one, output
# dns_records lists what to make by hand.
locals {
  domain = var.domain_name != ""
  zone   = var.route53_zone_id != ""
  # Without CloudFront only an HTTP API can carry the domain (lambda.tf's precondition
  # refuses a function URL).
  api_domain = local.domain && !var.cloudfront && var.front == "http_api"
  # A certificate, and something to serve the domain with it.
  served = local.domain && (var.cloudfront || local.api_domain)
  # One domain, no alternative names: one validation record, of whichever certificate below
  # is made. (Not through a function of the whole certificate: its private_key attribute
  # would make the result sensitive.)
  validation = (
    length(aws_acm_certificate.domain) > 0 ? tolist(aws_acm_certificate.domain[0].domain_validation_options)[0] :
    length(aws_acm_certificate.regional) > 0 ? tolist(aws_acm_certificate.regional[0].domain_validation_options)[0] : null
  )
  # Where the domain points: the distribution, or the API's regional domain.
  target = (
    var.cloudfront && local.domain ? {
      name    = aws_cloudfront_distribution.api[0].domain_name
      zone_id = aws_cloudfront_distribution.api[0].hosted_zone_id
    } :
    local.api_domain ? {
      name    = aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].target_domain_name
      zone_id = aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].hosted_zone_id
    } : null
  )
}

# CloudFront accepts certificates from us-east-1 only.
resource "aws_acm_certificate" "domain" {
  count             = local.domain && var.cloudfront ? 1 : 0
  provider          = aws.us_east_1
  domain_name       = var.domain_name
  validation_method = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  # A replacement is issued and in use before the old certificate goes.
  lifecycle {
    create_before_destroy = true
  }
}

# An API Gateway regional custom domain takes a certificate from its own region.
resource "aws_acm_certificate" "regional" {
  count             = local.api_domain ? 1 : 0
  domain_name       = var.domain_name
  validation_method = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  count           = local.served && local.zone ? 1 : 0
  zone_id         = var.route53_zone_id
  name            = local.validation.resource_record_name
  type            = local.validation.resource_record_type
  records         = [local.validation.resource_record_value]
  ttl             = 300
  allow_overwrite = true # the same record validates a re-issued certificate
}

# Waits until ACM has issued the certificate (up to 75 minutes): with a zone, after the
# record above; without, after the operator made the record dns_records lists.
resource "aws_acm_certificate_validation" "domain" {
  count                   = length(aws_acm_certificate.domain)
  provider                = aws.us_east_1
  certificate_arn         = aws_acm_certificate.domain[0].arn
  validation_record_fqdns = local.zone ? [aws_route53_record.validation[0].fqdn] : null
}

resource "aws_acm_certificate_validation" "regional" {
  count                   = length(aws_acm_certificate.regional)
  certificate_arn         = aws_acm_certificate.regional[0].arn
  validation_record_fqdns = local.zone ? [aws_route53_record.validation[0].fqdn] : null
}

resource "aws_apigatewayv2_domain_name" "api" {
  count       = local.api_domain ? 1 : 0
  domain_name = var.domain_name

  domain_name_configuration {
    certificate_arn = aws_acm_certificate_validation.regional[0].certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }
}

resource "aws_apigatewayv2_api_mapping" "api" {
  count       = local.api_domain ? 1 : 0
  api_id      = aws_apigatewayv2_api.http[0].id
  domain_name = aws_apigatewayv2_domain_name.api[0].id
  stage       = aws_apigatewayv2_stage.default[0].id
}

# Alias records (no charge for queries, unlike a CNAME): IPv4 always, IPv6 where CloudFront
# serves it (is_ipv6_enabled); a regional API Gateway domain answers on IPv4.
resource "aws_route53_record" "domain" {
  for_each = local.served && local.zone ? toset(var.cloudfront ? ["A", "AAAA"] : ["A"]) : toset([])
  zone_id  = var.route53_zone_id
  name     = var.domain_name
  type     = each.key

  alias {
    name                   = local.target.name
    zone_id                = local.target.zone_id
    evaluate_target_health = false
  }
}

locals {
  # What the operator makes in DNS when the module cannot (no route53_zone_id). The
  # validation record depends on the certificates alone, so it is known after a first apply
  # that targets both (-target=module.service.aws_acm_certificate.domain
  # -target=module.service.aws_acm_certificate.regional: one is made, the other has count 0,
  # but the output names both), as output dns_validation_records; the domain's own record
  # only once the distribution or API domain exists.
  dns_validation_records = !local.served || local.zone ? [] : [
    {
      name    = local.validation.resource_record_name
      type    = local.validation.resource_record_type
      value   = local.validation.resource_record_value
      purpose = "ACM validation of ${var.domain_name}: make it first (after terraform apply -target=module.service.aws_acm_certificate.domain -target=module.service.aws_acm_certificate.regional), then apply; keep it, ACM renews with it."
    },
  ]
  dns_records = !local.served || local.zone ? [] : concat(local.dns_validation_records, [
    {
      name    = var.domain_name
      type    = "CNAME"
      value   = local.target.name
      purpose = var.cloudfront ? "The domain, to the CloudFront distribution." : "The domain, to the API Gateway regional domain name."
    },
  ])
}
