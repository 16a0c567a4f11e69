"""Sandbox providers: a payment gateway, a carrier and an SMTP sink that behave like real ones.

They make the whole system runnable and testable offline: HTTP APIs with idempotency keys,
and signed Standard Webhooks callbacks delivered with retries.
"""
