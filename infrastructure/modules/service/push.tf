# One SNS platform application per platform for the whole deployment; one platform endpoint
# per registered phone is created by the service (chalicelib/adapters/sns_push.py).
# APNs uses token auth (.p8 key); FCM uses HTTP v1 (SNS's GCM platform with the service
# account JSON as credential, no principal).
resource "aws_sns_platform_application" "push" {
  for_each = nonsensitive(toset(keys(var.push_platforms)))

  name                     = "${var.name}${lower(each.key)}"
  platform                 = each.key
  platform_credential      = var.push_platforms[each.key].credential
  platform_principal       = var.push_platforms[each.key].principal != "" ? var.push_platforms[each.key].principal : null
  apple_platform_team_id   = var.push_platforms[each.key].team_id != "" ? var.push_platforms[each.key].team_id : null
  apple_platform_bundle_id = var.push_platforms[each.key].bundle_id != "" ? var.push_platforms[each.key].bundle_id : null
}
