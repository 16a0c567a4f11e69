"""Answers of the operators' endpoints: lists, refunds, stock, webhooks."""

from __future__ import annotations

from pydantic import Field

from starter.schemas.common import Amount, Answer, Instant, Links


class Page(Answer):
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


class OrderParcel(Answer):
    carrier: str | None
    tracking_number: str | None
    status: str | None


class OrderRow(Answer):
    order_id: str
    merchant: str
    external_reference: str | None
    status: str
    total: Amount
    payment_method: str | None
    parcels: list[OrderParcel]
    placed_at: Instant
    updated_at: Instant
    links: Links


class OrderList(Page):
    items: list[OrderRow]


class TaskAction(Answer):
    method: str
    path: str
    update: str | None = None


class Task(Answer):
    task_key: str
    kind: str
    summary: str
    order_id: str | None
    subscription_id: str | None
    ref: str | None
    due_at: Instant | None
    opened_at: Instant
    escalated_at: Instant | None
    priority: int = Field(
        0, description="higher first: a case that met the policy's recommendations (evidence)"
    )
    clauses: list[str]
    overdue: bool
    action: TaskAction | None


class TaskList(Page):
    items: list[Task]


class UnmatchedWebhook(Answer):
    id: int
    kind: str
    provider: str
    event_id: str
    event_type: str
    order_id: str | None
    received_at: Instant
    last_error: str | None


class UnmatchedList(Page):
    items: list[UnmatchedWebhook]


class Requeued(Answer):
    requeued: int


class Stock(Answer):
    merchant: str
    sku: str
    available: int


class Refunded(Answer):
    order_id: str
    refund_id: str
    amount: Amount
    refunded_total: Amount
    operator: str
    clauses: list[str]


class WebhookReceived(Answer):
    received: bool
    duplicate: bool = Field(description="The same event ID was received before")


class Health(Answer):
    status: str


class WebhookBacklog(Answer):
    pending: int = Field(description="events waiting for the relay")
    oldest_unrelayed_seconds: float = Field(description="how long the oldest has waited")


class Readiness(Answer):
    status: str = Field(description="`ready` or `not ready`")
    checks: dict[str, str] | None = Field(
        None, description="each dependency's state: for operators only"
    )
    webhooks: WebhookBacklog | None = Field(
        None, description="the relay's backlog, when PostgreSQL answers"
    )


class EventEndpoint(Answer):
    """An endpoint of events out."""

    endpoint_id: str
    url: str
    event_types: list[str]
    personal_data: bool
    status: str = Field(description="active, paused, or failing (events parked)")
    previous_until: Instant | None = Field(
        None, description="the secret before the last rotation signs beside the new one until"
    )
    created_at: Instant
    updated_at: Instant
    retry_for_seconds: int = Field(
        description="how long a delivery is retried before it is parked (the setting when the "
        "endpoint was made)"
    )
    links: Links
    secret: str | None = Field(None, description="its signing secret: shown once, at creation")


class EventEndpoints(Answer):
    items: list[EventEndpoint]


class RotatedSecret(Answer):
    endpoint_id: str
    secret: str
    previous_valid_until: Instant


class ParkedEvent(Answer):
    event_id: str
    type: str
    at: Instant
    stream: str = Field(description="the order (or `subscription:<id>`) the event is of")
    attempts: int
    last_error: str | None
    parked_at: Instant | None


class ParkedEvents(Answer):
    items: list[ParkedEvent]


class Replayed(Answer):
    endpoint_id: str
    replayed: int


class PolicyDifference(Answer):
    order_id: str
    before: str
    after: str
    money: Amount | None = None


class PolicyDecisionReport(Answer):
    decision: str
    orders: int = Field(description="open orders the decision applies to")
    changed: int = Field(description="of them, those it would decide otherwise")
    examples: list[PolicyDifference]
    money: dict[str, str] = Field(description="currency -> what the changes move in all")


class PolicyWhatIf(Answer):
    merchant: str
    version_now: str
    version_new: str
    orders: int
    decisions: list[PolicyDecisionReport]
