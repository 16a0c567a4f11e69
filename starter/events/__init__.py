"""Events out: delivered to the merchant's endpoints, signed (Standard Webhooks)."""
