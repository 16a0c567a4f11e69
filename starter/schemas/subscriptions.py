"""Answers about subscriptions."""

from __future__ import annotations

from starter.schemas.common import (
    Amount,
    Answer,
    Deadlines,
    EmailSent,
    Instant,
    Links,
    Movement,
    TimelineEntry,
)


class Subscribed(Answer):
    subscription_id: str
    status: str
    access_token: str
    price: Amount
    period_end: Instant | None
    next_charge_at: Instant | None
    links: Links
    decline_code: str | None = None


class SubscriptionAnswer(Answer):
    subscription_id: str
    merchant: str
    plan: str
    plan_name: str
    price: Amount
    interval: str
    anchor: Instant
    status: str
    period: int
    deadlines: Deadlines
    payments: list[Movement]
    emails: list[EmailSent]
    timeline: list[TimelineEntry]


class SubscriptionCancelAnswer(Answer):
    subscription_id: str
    status: str
    refund: Amount
    access_ends_at: Instant | None
    clauses: list[str]
