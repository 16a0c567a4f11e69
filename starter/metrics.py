"""Prometheus metrics of the API process."""

from prometheus_client import Counter, Gauge

ORDERS_PLACED = Counter("orderflow_orders_placed_total", "Orders placed", ["merchant"])
WEBHOOKS_RECEIVED = Counter(
    "orderflow_webhooks_received_total", "Webhooks received", ["kind", "provider", "outcome"]
)
RELAYED = Counter("orderflow_relay_events_total", "Inbox events relayed", ["kind", "outcome"])
TASKS_OVERDUE = Gauge(
    "orderflow_operator_tasks_overdue", "Open operator tasks past their due time", ["kind"]
)
TASKS_ESCALATED = Gauge(
    "orderflow_operator_tasks_escalated",
    "Open operator tasks past their due time whose escalation was sent",
    ["kind"],
)
EVENTS_DELIVERED = Counter(
    "orderflow_events_delivered_total",
    "Deliveries of events out, by outcome (delivered, retry, parked)",
    ["outcome"],
)
EVENTS_OLDEST_WAITING = Gauge(
    "orderflow_events_oldest_undelivered_seconds",
    "Age of the oldest event not yet delivered, per endpoint",
    ["endpoint"],
)
