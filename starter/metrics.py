"""Prometheus metrics of the API process."""

from prometheus_client import Counter

ORDERS_PLACED = Counter("orderflow_orders_placed_total", "Orders placed", ["merchant"])
WEBHOOKS_RECEIVED = Counter(
    "orderflow_webhooks_received_total", "Webhooks received", ["kind", "provider", "outcome"]
)
RELAYED = Counter("orderflow_relay_events_total", "Inbox events relayed", ["kind", "outcome"])
