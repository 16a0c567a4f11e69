"""The outside world behind protocols: payment gateways, carriers and e-mail."""

# How far from now a provider's signed webhook time may be (Stripe's, PayPal's; the Standard
# Webhooks of the sandboxes hold the same 5 minutes): older, it is refused as a replay.
WEBHOOK_TOLERANCE_SECONDS = 300
