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
