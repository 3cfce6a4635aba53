# CloudFront in front of the HTTP API or the function URL (var.cloudfront): the domain's TLS,
# AWS WAF (waf.tf), and the edge cache for what every visitor fetches alike. It proves itself
# to the function with the X-Origin-Secret header; the function refuses requests without it
# (REQUIRE_ORIGIN_SECRET), so nobody goes around WAF, and believes the viewer headers only
# with it (chalicelib/web/origin_trust.py).
locals {
  # AWS managed policies, by the IDs AWS documents (moto has no policy API, so no data
  # sources): https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
  # CachingDisabled: nothing cached, nothing in the cache key.
  caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  # CachingOptimized: the origin's Cache-Control decides how long (1 s to a year; 24 h when
  # it sends none), with only the normalised Accept-Encoding in the cache key. Not
  # UseOriginCacheControlHeaders (83da9c7e-...): that one keys on, and so forwards, the
  # viewer's Host header, which neither API Gateway nor a function URL accepts.
  caching_optimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
  # AllViewerExceptHostHeader: every viewer header but Host (the origin needs its own), every
  # cookie and query string, and CloudFront's own headers, CloudFront-Viewer-Address, -City,
  # -Country-Name and -Country-Region-Name among them.
  all_viewer_except_host = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

  # Cached at the edge, GET and HEAD only: the page's static files (hashed names, a year's
  # Cache-Control), discovery and JWKS (their own short max-age). Everything else is a
  # sign-in's state and is never cached.
  cached_paths = ["/static/*", "/t/*/.well-known/openid-configuration", "/t/*/jwks.json"]

  # The origin's host: https://<id>.execute-api.<region>.amazonaws.com or
  # https://<id>.lambda-url.<region>.on.aws/.
  origin_host = var.front == "http_api" ? split("/", aws_apigatewayv2_api.http[0].api_endpoint)[2] : split("/", aws_lambda_function_url.api[0].function_url)[2]
  origin_id   = "function"
}

resource "aws_cloudfront_distribution" "api" {
  #checkov:skip=CKV_AWS_86:Access logs are a variable (cloudfront_log_bucket, off by default: they hold every viewer's address); the function's log has every change and error, and WAF's metrics count what it blocked.
  #checkov:skip=CKV_AWS_374:No geo restriction: people sign in from wherever they travel, and relying parties call from anywhere; WAF limits abuse per address instead.
  #checkov:skip=CKV_AWS_305:No default root object: the origin is an API whose "/" is its own route, not an S3 site.
  #checkov:skip=CKV_AWS_310:No origin failover: one regional function is the only origin, and CloudFront fails over GET and HEAD only, never the POSTs a sign-in is made of.
  #checkov:skip=CKV2_AWS_32:No response headers policy: the service sets its own security headers (HSTS, CSP, X-Content-Type-Options, chalicelib/web/responses.py and page.py), tested by the API suite.
  #checkov:skip=CKV_AWS_174:With domain_name the minimum is TLSv1.2_2021; only without one (public_base_url naming the cloudfront.net host) does CloudFront's default certificate require the setting TLSv1.
  #checkov:skip=CKV2_AWS_47:The Log4j rule set protects Java origins; the origin is a Python function. WAF has AWS's common rule set (waf.tf).
  count           = var.cloudfront ? 1 : 0
  enabled         = true
  comment         = "Phone sign-in (${var.name})"
  aliases         = local.domain ? [var.domain_name] : []
  price_class     = var.cloudfront_price_class
  http_version    = "http2and3"
  is_ipv6_enabled = true
  web_acl_id      = var.waf ? aws_wafv2_web_acl.cloudfront[0].arn : null
  # A change reaches every edge in minutes; false lets apply return before it has.
  wait_for_deployment = var.cloudfront_wait_for_deployment

  origin {
    origin_id   = local.origin_id
    domain_name = local.origin_host

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }

    custom_header {
      name  = "X-Origin-Secret"
      value = var.cloudfront_origin_secret == null ? "" : var.cloudfront_origin_secret # a precondition below
    }
  }

  # Everything dynamic: no caching, the viewer's headers (its address and place included)
  # passed on, every method.
  default_cache_behavior {
    target_origin_id         = local.origin_id
    viewer_protocol_policy   = "redirect-to-https"
    allowed_methods          = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    cached_methods           = ["GET", "HEAD"]
    compress                 = true
    cache_policy_id          = local.caching_disabled
    origin_request_policy_id = local.all_viewer_except_host
  }

  dynamic "ordered_cache_behavior" {
    for_each = local.cached_paths
    content {
      path_pattern           = ordered_cache_behavior.value
      target_origin_id       = local.origin_id
      viewer_protocol_policy = "redirect-to-https"
      allowed_methods        = ["GET", "HEAD"]
      cached_methods         = ["GET", "HEAD"]
      compress               = true
      cache_policy_id        = local.caching_optimized
    }
  }

  dynamic "logging_config" {
    for_each = var.cloudfront_log_bucket == "" ? [] : [var.cloudfront_log_bucket]
    content {
      bucket          = logging_config.value
      prefix          = var.name
      include_cookies = false # cookies carry sessions
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn            = local.domain ? aws_acm_certificate_validation.domain[0].certificate_arn : null
    cloudfront_default_certificate = !local.domain
    ssl_support_method             = local.domain ? "sni-only" : null
    minimum_protocol_version       = local.domain ? "TLSv1.2_2021" : "TLSv1"
  }

  lifecycle {
    precondition {
      condition     = local.domain || var.public_base_url != ""
      error_message = "cloudfront = true needs domain_name (or public_base_url set to the distribution's https address): the function's PUBLIC_BASE_URL cannot name a distribution whose origin is the function itself."
    }
    precondition {
      condition     = var.cloudfront_origin_secret != null
      error_message = "cloudfront = true needs cloudfront_origin_secret (e.g. `openssl rand -base64 32`): CloudFront proves itself to the function with it."
    }
  }
}
