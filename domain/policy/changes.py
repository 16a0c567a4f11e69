"""What the customer may change after paying: the edit window and cancellation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field

from domain.policy.rules import Rule, Section


class EditRule(Rule):
    """The order may be edited from payment until the window closes or fulfilment starts."""

    window_after_payment: timedelta
    closes_when_fulfilment_starts: bool = True


class CancelRule(Rule):
    """One cancellation band: within `within_after_payment` of payment confirmation (or any
    time when empty), for the given product categories (all when empty)."""

    within_after_payment: timedelta | None = None
    categories: tuple[str, ...] = ()
    refund_percent: Decimal = Field(Decimal(100), ge=0, le=100)
    refund_shipping: bool = True


class CancellationRules(Section):
    allowed_until: Literal["shipment", "fulfilment", "never"] = "shipment"
    until_clauses: tuple[str, ...] = Field(min_length=1)
    bands: tuple[CancelRule, ...] = Field(min_length=1)
