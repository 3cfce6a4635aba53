# One customer-managed key wraps every tenant's data key (GenerateDataKey/Decrypt with the
# tenant id as encryption context). The service unwraps a tenant's key once per container.
resource "aws_kms_key" "tenant_keys" {
  description             = "${var.name} tenant data keys and table encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "tenant_keys" {
  name          = "alias/${var.name}tenants"
  target_key_id = aws_kms_key.tenant_keys.key_id
}
