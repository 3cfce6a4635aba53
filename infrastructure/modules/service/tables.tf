# The tables come from chalicelib/schema.json, the one definition the stores, the local
# server and the tests also read: they cannot drift apart.
locals {
  schema = jsondecode(file("${path.module}/../../../chalicelib/schema.json")).tables
}

resource "aws_dynamodb_table" "table" {
  for_each = local.schema

  name         = "${var.name}${each.key}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = each.value.hash_key
  range_key    = each.value.range_key

  dynamic "attribute" {
    for_each = compact([each.value.hash_key, each.value.range_key])
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "ttl" {
    for_each = each.value.ttl == null ? [] : [each.value.ttl]
    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.tenant_keys.arn
  }

  deletion_protection_enabled = var.deletion_protection
}
