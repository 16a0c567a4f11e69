"""What the customer may change after paying: the edit window and cancellation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field

from domain.policy.rules import Rule, Section

LineEditKind = Literal["set_quantity", "remove", "add", "swap"]


class LineEditRule(Rule):
    """Which changes to its lines a paid order takes while its edit window is open: the
    merchant's setting (no published clause speaks of lines). A preset without one takes
    none."""

    changes: tuple[LineEditKind, ...] = ("set_quantity", "remove", "add", "swap")
    fixed_categories: tuple[str, ...] = Field(
        (), description="categories whose lines never change once bought"
    )
    approval_within: timedelta = Field(
        timedelta(hours=48),
        description="how long the customer has to approve an operator's edit that raises the "
        "total; after it the order stays as it was",
    )


class EditRule(Rule):
    """The order may be edited from payment until the window closes or fulfilment starts."""

    window_after_payment: timedelta
    closes_when_fulfilment_starts: bool = True
    lines: LineEditRule | None = None


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
