"""What an order costs (items, shipping, total) and whether that total is one a payment can be."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from domain.decisions import Decision, allow, refuse
from domain.money import Money
from domain.orders import OrderLine
from domain.policy import Policy


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
    fee = policy.shipping.fee if policy.shipping else None
    charged = (
        Decimal(0)
        if fee is None or fee.free or all(line.is_digital for line in lines)
        else fee.flat_fee
    )
    shipping = Money(amount=charged, currency=policy.currency)
    return Quote(
        items=items, shipping=shipping, total=items + shipping, clauses=fee.clauses if fee else ()
    )


def order_amount(policy: Policy, quote: Quote) -> Decision:
    """Whether an order's total is one a payment can be: above zero (a provider refuses a
    payment of nothing) and within the merchant's limit."""
    total, ceiling = (
        quote.total,
        Money(amount=policy.payment.max_order_total, currency=policy.currency),
    )
    if total.amount <= 0:
        return refuse(f"an order's total must be above zero, not {total}")
    if total.amount > ceiling.amount:
        return refuse(f"{policy.display_name} takes orders of up to {ceiling}; this one is {total}")
    return allow(f"a total of {total}", *quote.clauses)
