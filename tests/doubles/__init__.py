"""Stand-ins for providers that cannot run here (Stripe, PayPal, EasyPost): small servers that
speak each provider's documented protocol, keep what was asked of them, and send webhooks
signed each provider's way, so the real adapters run unchanged against them."""
