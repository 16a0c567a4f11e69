"""Pure decisions of (policy, order facts, time). Each names the clauses that decided it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from domain.money import Money
from domain.orders import OrderLine
from domain.policy import Policy


class Deadline(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime
    clauses: tuple[str, ...]


class Quote(BaseModel):
    """What the customer pays: items, shipping and the total."""

    model_config = ConfigDict(frozen=True)

    items: Money
    shipping: Money
    total: Money
    clauses: tuple[str, ...]


def quote_order(policy: Policy, lines: list[OrderLine]) -> Quote:
    items = Money.zero(policy.currency)
    for line in lines:
        items = items + Money(amount=line.unit_price, currency=policy.currency).times(line.quantity)
    fee = Decimal(0) if policy.shipping.free else Decimal(policy.shipping.flat_fee)
    shipping = Money(amount=fee, currency=policy.currency)
    return Quote(
        items=items, shipping=shipping, total=items + shipping, clauses=policy.shipping.clauses
    )


def return_window_closes_at(policy: Policy, delivered_at: datetime) -> Deadline:
    """The end of the return window; once it passes, the order is complete."""
    rules = policy.returns
    return Deadline(at=delivered_at + rules.window, clauses=rules.clauses)
