"""Subscriptions: `SubscriptionWorkflow` (`subscription-<subscription_id>`), one run per
billing period (continue-as-new)."""
