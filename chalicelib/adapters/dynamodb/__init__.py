"""One module per DynamoDB table. Each owns its keys, conditions and TTL attribute."""
