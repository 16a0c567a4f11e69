"""What a return refunds once its goods are inspected: line by line, with the clause of each
line, never more than the order still has refundable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.decisions import Decision, allow, merged, refuse
from domain.money import Money
from domain.policy import Policy
from domain.policy.returns import FAULT_REASONS, ReturnReason
from domain.status import InspectionResult


class Priced(Protocol):
    """A line with its price and quantity (a return's line)."""

    @property
    def unit_price(self) -> Decimal: ...

    @property
    def quantity(self) -> int: ...


class InspectedItem(BaseModel):
    """One returned line as the inspection found it."""

    sku: str
    unit_price: Decimal
    quantity: int = 1
    acceptable: bool = True  # in a state the merchant takes back
    defect_confirmed: bool | None = None  # for a fault reason: the reported problem found
    missing_accessories_cost: Decimal = Decimal(0)


class InspectionFacts(BaseModel):
    reason: ReturnReason
    items: list[InspectedItem] = Field(min_length=1)
    approved: bool = True
    shipping_refundable: Money  # the order's shipping not yet refunded by an earlier return
    refundable: Money  # captured and not yet refunded, across every refund of the order
    inspected_at: datetime


class RefundLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    amount: Money
    clauses: tuple[str, ...]


class RefundBreakdown(BaseModel):
    model_config = ConfigDict(frozen=True)

    lines: tuple[RefundLine, ...]
    total: Money
    shipping: Money  # the part of the total that is the order's shipping
    pay_by: datetime | None
    clauses: tuple[str, ...]


def inspection_result(
    policy: Policy, reason: ReturnReason, item: InspectedItem
) -> InspectionResult:
    """What an inspected line comes to: refused when not in an acceptable state or when the
    reported fault was not found (KWO-RMA-7/8, CRD-RET-3); accepted with deductions when
    accessories are missing or a restocking fee applies (KWO-DOA-2, PAR-RET-8)."""
    if not item.acceptable or (reason in FAULT_REASONS and item.defect_confirmed is False):
        return InspectionResult.REJECTED
    restocking = policy.returns.restocking if policy.returns else None
    if item.missing_accessories_cost > 0 or (restocking and restocking.applies_to(reason)):
        return InspectionResult.ACCEPTED_WITH_DEDUCTIONS
    return InspectionResult.ACCEPTED


def _item_lines(policy: Policy, facts: InspectionFacts) -> list[RefundLine]:
    """Each item's price, or nothing where inspection refused it (KWO-RMA-7/8, CRD-RET-3)."""
    rules = policy.returns
    assert rules is not None
    currency = facts.refundable.currency
    inspection = rules.inspection.clauses if rules.inspection else ()
    fault = facts.reason in FAULT_REASONS
    percent = Decimal(100) if fault else rules.refund.item_percent_change_of_mind
    lines: list[RefundLine] = []
    for item in facts.items:
        price = Money(amount=item.unit_price, currency=currency).times(item.quantity)
        if inspection_result(policy, facts.reason, item) is InspectionResult.REJECTED:
            why = "not in an acceptable state" if not item.acceptable else "problem not confirmed"
            lines.append(
                RefundLine(
                    label=f"item {item.sku}: no refund, {why}",
                    amount=Money.zero(currency),
                    clauses=inspection,
                )
            )
            continue
        lines.append(
            RefundLine(
                label=f"item {item.sku} x {item.quantity}",
                amount=price.times(percent / 100),
                clauses=rules.refund.clauses,
            )
        )
        if item.missing_accessories_cost > 0 and rules.refund.missing_accessories_charged:
            lines.append(
                RefundLine(
                    label=f"missing accessories of {item.sku}",
                    amount=Money.zero(currency)
                    - Money(amount=item.missing_accessories_cost, currency=currency),
                    clauses=rules.refund.clauses,
                )
            )
    return lines


def _bank_fees(policy: Policy, items_total: Money) -> list[RefundLine]:
    """Intermediary and bank fees, where the customer bears them (KWO-REF-1): deducted at the
    merchant's rates, or noted when it sets none."""
    route = policy.payment.refunds
    if route is None or not route.bank_fees_borne_by_customer:
        return []
    zero = Money.zero(items_total.currency)
    fee = items_total.times(route.bank_fee_percent / 100) + Money(
        amount=route.bank_fee_fixed, currency=items_total.currency
    )
    if fee.amount > 0:
        label = "intermediary and bank fees (the merchant's setting)"
        return [RefundLine(label=label, amount=zero - fee, clauses=route.clauses)]
    label = "intermediary and bank fees, if any, are the customer's"
    return [RefundLine(label=label, amount=zero, clauses=route.clauses)]


def refund_breakdown(policy: Policy, facts: InspectionFacts) -> RefundBreakdown:
    """The refund a return grants: the items' price, the restocking fee (PAR-RET-8, not for
    the seller's fault), shipping only where the seller was at fault (CRD-RET-7, KWO-RET-1),
    missing accessories charged (KWO-DOA-2), intermediary fees noted as the customer's
    (KWO-REF-1); never negative, never above what remains refundable of the order."""
    rules = policy.returns
    if rules is None:
        raise ValueError(f"{policy.merchant} publishes no return policy")
    currency = facts.refundable.currency
    zero = Money.zero(currency)
    rma = rules.rma.clauses if rules.rma else ()
    inspection = rules.inspection.clauses if rules.inspection else ()
    if not facts.approved:
        line = RefundLine(
            label="no refund: not approved", amount=zero, clauses=merged(rma, inspection)
        )
        return RefundBreakdown(
            lines=(line,), total=zero, shipping=zero, pay_by=None, clauses=line.clauses
        )
    lines = _item_lines(policy, facts)
    items_total = sum((line.amount for line in lines if line.amount.amount > 0), zero)
    restocking = rules.restocking
    if restocking is not None and restocking.applies_to(facts.reason) and items_total.amount:
        fee = items_total.times(restocking.percent / 100)
        lines.append(
            RefundLine(
                label=f"restocking fee {restocking.percent}%",
                amount=zero - fee,
                clauses=restocking.clauses,
            )
        )
    shipping = zero
    seller_fault = facts.reason in FAULT_REASONS and items_total.amount > 0
    if (rules.refund.includes_shipping or seller_fault) and facts.shipping_refundable.amount:
        shipping = facts.shipping_refundable
        lines.append(RefundLine(label="shipping", amount=shipping, clauses=rules.refund.clauses))
    lines.extend(_bank_fees(policy, items_total))
    raw = sum((line.amount for line in lines), zero)
    total = max(zero, min(raw, facts.refundable, key=lambda m: m.amount), key=lambda m: m.amount)
    if total != raw:
        lines.append(
            RefundLine(label="bounded to what remains refundable", amount=total - raw, clauses=())
        )
    shipping = min(shipping, total, key=lambda m: m.amount)
    within = rules.refund.within
    return RefundBreakdown(
        lines=tuple(lines),
        total=total,
        shipping=shipping,
        pay_by=facts.inspected_at + within if within else None,
        clauses=merged(*(line.clauses for line in lines), inspection),
    )


# The faults of an item that keeping it where it is may settle: it arrived dead or damaged,
# or it does not work (a wrong item is sent back for the right one).
KEPT_FAULTS = frozenset(
    {ReturnReason.DEAD_ON_ARRIVAL, ReturnReason.DAMAGED_IN_SHIPPING, ReturnReason.DEFECTIVE}
)


def send_back(policy: Policy, reason: ReturnReason, lines: Sequence[Priced]) -> Decision:
    """`allowed`: the goods come back and are inspected before the return settles. Refused:
    a dead or damaged item worth less than the merchant's setting is refunded or replaced
    without being sent back (KWO-DOA-2's reading)."""
    value = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
    currency = policy.currency
    rules = policy.returns.shipping if policy.returns else None
    below = rules.kept_below if rules else None
    if rules is None or below is None or reason not in KEPT_FAULTS or value >= below:
        return allow("the goods are sent back and inspected", *(rules.clauses if rules else ()))
    return refuse(
        f"{reason.value}, worth {value:.2f} {currency}: below {below:.2f} {currency} (merchant "
        "setting) it is settled without being sent back",
        *rules.clauses,
    )
