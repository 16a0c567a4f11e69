"""A policy change tried on the open orders before it is made: for each order, the decisions
the workflows make (its return window, edit window, dispatch slot, cancellation refund, the
refund of a return), under the policy it was placed under and under the new one. Running
orders keep their pinned policy; the report says what the change means for orders like them.
The same pure functions the workflows call, on the order's facts from the read model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, Field

from domain.decisions.changes import OrderFacts, cancellation, edit_window
from domain.decisions.fulfilment import dispatch_slot
from domain.decisions.return_refunds import InspectedItem, InspectionFacts, refund_breakdown
from domain.decisions.returns import returns_close_at
from domain.money import Money
from domain.orders import OrderLine
from domain.policy import Policy
from domain.policy.returns import ReturnReason

EXAMPLES = 5


class OpenOrder(BaseModel):
    """An open order as the read model knows it."""

    order_id: str
    status: str
    policy: Policy  # the one it was placed under
    lines: list[OrderLine]
    shipping_total: Money
    total: Money
    placed_at: datetime
    paid_at: datetime | None = None
    fulfilment_started_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None

    def facts(self) -> OrderFacts:
        return OrderFacts(
            lines=self.lines,
            shipping_paid=self.shipping_total,
            paid_at=self.paid_at,
            fulfilment_started_at=self.fulfilment_started_at,
            shipped_at=self.shipped_at,
        )


class Difference(BaseModel):
    order_id: str
    before: str
    after: str
    money: Money | None = None  # after less before, where the decision is an amount


class DecisionReport(BaseModel):
    decision: str
    orders: int = 0  # orders it applies to
    changed: int = 0
    examples: list[Difference] = Field(default_factory=list)
    money: dict[str, str] = Field(default_factory=dict)  # currency -> total difference


class WhatIf(BaseModel):
    merchant: str
    version_now: str
    version_new: str
    orders: int
    decisions: list[DecisionReport]


Outcome = str | Money | None


def _return_window(policy: Policy, order: OpenOrder, now: datetime) -> Outcome:
    if order.delivered_at is None:
        return None
    window = returns_close_at(policy, order.placed_at, order.delivered_at)
    return window.at.isoformat() if window else "no return window"


def _edit_window(policy: Policy, order: OpenOrder, now: datetime) -> Outcome:
    if order.paid_at is None or order.shipped_at is not None:
        return None
    decision = edit_window(policy, order.facts(), order.paid_at)
    closes = decision.deadlines.get("edit_window_closes_at")
    return closes.isoformat() if closes else "not editable"


def _dispatch(policy: Policy, order: OpenOrder, now: datetime) -> Outcome:
    if order.paid_at is None or order.fulfilment_started_at is not None:
        return None
    return dispatch_slot(policy, order.paid_at).at.isoformat()


def _cancellation(policy: Policy, order: OpenOrder, now: datetime) -> Outcome:
    if order.paid_at is None or order.shipped_at is not None:
        return None
    decided = cancellation(policy, order.facts(), now)
    return decided.refund if decided.decision.allowed else "not cancellable"


def _return_refund(policy: Policy, order: OpenOrder, now: datetime) -> Outcome:
    """What a return of the whole order for a change of mind would give back."""
    if order.delivered_at is None or policy.returns is None:
        return None
    goods = [line for line in order.lines if not line.is_digital]
    if not goods:
        return None
    facts = InspectionFacts(
        reason=ReturnReason.CHANGE_OF_MIND,
        items=[
            InspectedItem(sku=x.sku, unit_price=x.unit_price, quantity=x.quantity) for x in goods
        ],
        shipping_refundable=order.shipping_total,
        refundable=order.total,
        inspected_at=now,
    )
    return refund_breakdown(policy, facts).total


DECISIONS: dict[str, Callable[[Policy, OpenOrder, datetime], Outcome]] = {
    "return window closes": _return_window,
    "edit window closes": _edit_window,
    "dispatch slot": _dispatch,
    "cancellation refund": _cancellation,
    "change-of-mind return refund": _return_refund,
}


def what_if(new: Policy, orders: list[OpenOrder], now: datetime) -> WhatIf:
    """Each decision on each open order, under its pinned policy and under `new`."""
    reports = {name: DecisionReport(decision=name) for name in DECISIONS}
    for order in orders:
        for name, decide in DECISIONS.items():
            before = decide(order.policy, order, now)
            after = decide(new, order, now)
            if before is None and after is None:
                continue
            report = reports[name]
            report.orders += 1
            if before == after:
                continue
            report.changed += 1
            money = None
            if isinstance(before, Money) and isinstance(after, Money):
                money = after - before
                total = Money(amount=report.money.get(money.currency, "0"), currency=money.currency)
                report.money[money.currency] = str((total + money).amount)
            if len(report.examples) < EXAMPLES:
                report.examples.append(
                    Difference(
                        order_id=order.order_id,
                        before=str(before),
                        after=str(after),
                        money=money,
                    )
                )
    current = orders[0].policy.version if orders else ""
    return WhatIf(
        merchant=new.merchant,
        version_now=current,
        version_new=new.version,
        orders=len(orders),
        decisions=list(reports.values()),
    )
