"""Return decisions: the window, eligibility, the RMA deadline and the refund breakdown."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from domain.decisions import Deadline, Decision, allow, merged, refuse
from domain.money import Money
from domain.policy import Policy
from domain.policy.returns import FAULT_REASONS, ReturnReason


def _latest_window_end(
    policy: Policy,
    purchased_at: datetime,
    delivered_at: datetime | None,
    reason: ReturnReason | None,
) -> Deadline | None:
    """Of the windows that apply (all of them when `reason` is None), whichever ends later."""
    rules = policy.returns
    if rules is None:
        return None
    ends: list[tuple[datetime, tuple[str, ...]]] = []
    for window in rules.windows:
        if reason is not None and window.reasons and reason not in window.reasons:
            continue
        start = purchased_at if window.counted_from == "purchase" else delivered_at
        if start is not None:
            ends.append((start + window.length, window.clauses))
    if not ends:
        return None
    return Deadline(at=max(at for at, _ in ends), clauses=merged(*(c for _, c in ends)))


def return_window(
    policy: Policy, reason: ReturnReason, purchased_at: datetime, delivered_at: datetime | None
) -> Deadline | None:
    """The window's end for this reason: of several windows, whichever ends later."""
    return _latest_window_end(policy, purchased_at, delivered_at, reason)


class ReturnedItem(BaseModel):
    sku: str
    category: str = "general"
    unit_price: Decimal
    quantity: int = 1
    opened: bool = False
    used: bool = False
    original_packaging: bool = True
    all_accessories: bool = True
    damage_cause: str | None = None  # misuse, breakage, water_damage, ...


class ReturnRequest(BaseModel):
    reason: ReturnReason
    items: list[ReturnedItem] = Field(min_length=1)
    purchased_at: datetime
    delivered_at: datetime | None = None
    has_original_invoice: bool = True
    exchange: bool = False
    international: bool = False


class ReturnOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision
    needs_rma: bool = False
    inspection: bool = False
    return_shipping_paid_by: str = "customer"
    customer_pays_all_shipping: bool = False
    window_closes_at: datetime | None = None


def return_eligibility(policy: Policy, request: ReturnRequest, now: datetime) -> ReturnOutcome:
    rules = policy.returns
    if rules is None:
        return ReturnOutcome(decision=refuse(f"{policy.display_name} publishes no return policy"))
    fault = request.reason in FAULT_REASONS
    for item in request.items:
        if (
            item.category == "digital_card"
            and policy.digital
            and request.reason is not ReturnReason.DEFECTIVE
        ):
            rule = policy.digital.no_returns_unless_faulty
            return ReturnOutcome(
                decision=refuse(
                    "delivered digital cards are not returned unless faulty on the company's side",
                    *rule.clauses,
                )
            )
        for exclusion in rules.exclusions:
            if item.category in exclusion.categories and request.reason not in exclusion.unless:
                return ReturnOutcome(
                    decision=refuse(
                        f"{item.category} items cannot be returned for {request.reason.value}",
                        *exclusion.clauses,
                    )
                )
    window = return_window(policy, request.reason, request.purchased_at, request.delivered_at)
    if window is None:
        return ReturnOutcome(decision=refuse(f"no return window for {request.reason.value}"))
    if now > window.at:
        return ReturnOutcome(
            decision=refuse(
                "the return window has closed", *window.clauses, return_window_closes_at=window.at
            ),
            window_closes_at=window.at,
        )
    clauses = [window.clauses]
    condition = rules.conditions
    if condition is not None:
        if condition.original_invoice and not request.has_original_invoice:
            return ReturnOutcome(
                decision=refuse("the original purchase invoice is required", *condition.clauses)
            )
        for item in request.items if not fault else []:
            problem = (
                "it has been opened"
                if condition.unopened and item.opened
                else "it has been used"
                if condition.unused and item.used
                else "it is not in its original packaging"
                if condition.original_packaging and not item.original_packaging
                else "accessories are missing"
                if condition.all_accessories and not item.all_accessories
                else None
            )
            if problem:
                return ReturnOutcome(
                    decision=refuse(f"{item.sku} cannot be returned: {problem}", *condition.clauses)
                )
        clauses.append(condition.clauses)
    exchange = rules.exchange
    if request.exchange and exchange is not None:
        for item in request.items:
            if item.damage_cause and item.damage_cause in exchange.customer_damage_excluded:
                return ReturnOutcome(
                    decision=refuse(
                        f"no exchange for {item.damage_cause.replace('_', ' ')}", *exchange.clauses
                    )
                )
            if (item.opened or item.used) and exchange.opened_only_if_defective and not fault:
                return ReturnOutcome(
                    decision=refuse(
                        "opened or used products are exchanged only for a proven manufacturing defect",
                        *exchange.clauses,
                    )
                )
        clauses.append(exchange.clauses)
    payer, all_shipping = "customer", False
    if rules.shipping is not None:
        clauses.append(rules.shipping.clauses)
        if fault and rules.shipping.seller_pays_for_fault:
            payer = "merchant"
        all_shipping = (
            payer == "customer"
            and request.international
            and rules.shipping.international_all_shipping_by_customer
        )
    if rules.rma is not None:
        clauses.append(rules.rma.clauses)
    if rules.inspection is not None:
        clauses.append(rules.inspection.clauses)
    return ReturnOutcome(
        decision=allow(
            "the return may go ahead", *merged(*clauses), return_window_closes_at=window.at
        ),
        needs_rma=rules.rma is not None,
        inspection=rules.inspection is not None,
        return_shipping_paid_by=payer,
        customer_pays_all_shipping=all_shipping,
        window_closes_at=window.at,
    )


def exchange_out_of_stock(policy: Policy) -> Decision:
    """The product to exchange for is out of stock: the customer is offered another."""
    exchange = policy.returns.exchange if policy.returns else None
    if exchange is None or not exchange.out_of_stock_offer_alternative:
        return refuse("no exchange alternative is offered: the return is refunded")
    return allow("the customer is contacted and offered another product", *exchange.clauses)


def rma_ship_back(
    policy: Policy, approved_at: datetime, shipped_at: datetime | None, now: datetime
) -> Decision:
    """After approval the customer has a set time to send the goods; then it lapses."""
    rma = policy.returns.rma if policy.returns else None
    if rma is None or rma.ship_back_within is None:
        return allow("no ship-back deadline")
    deadline = approved_at + rma.ship_back_within
    moment = shipped_at or now
    if moment > deadline:
        return refuse(
            "the return approval lapsed: the goods were not sent in time",
            *rma.clauses,
            ship_back_by=deadline,
        )
    return allow("within the ship-back time", *rma.clauses, ship_back_by=deadline)


class InspectionFacts(BaseModel):
    reason: ReturnReason
    items: list[ReturnedItem] = Field(min_length=1)
    approved: bool = True
    acceptable: bool = True  # the reported problem confirmed / the state acceptable
    shipping_paid: Money
    paid_total: Money
    missing_accessories_cost: Money | None = None
    bank_fees: Money | None = None
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
    pay_by: datetime | None
    clauses: tuple[str, ...]


def refund_breakdown(policy: Policy, facts: InspectionFacts) -> RefundBreakdown:
    """Line by line: item price, restocking fee, shipping, missing accessories, bank fees.
    Never negative and never above what was paid."""
    rules = policy.returns
    currency = facts.paid_total.currency
    zero = Money.zero(currency)
    if rules is None:
        raise ValueError(f"{policy.merchant} publishes no return policy")
    inspection = rules.inspection.clauses if rules.inspection else ()
    rma = rules.rma.clauses if rules.rma else ()
    if not facts.approved or not facts.acceptable:
        why = "not approved" if not facts.approved else "not in an acceptable state"
        return RefundBreakdown(
            lines=(
                RefundLine(label=f"no refund: {why}", amount=zero, clauses=merged(rma, inspection)),
            ),
            total=zero,
            pay_by=None,
            clauses=merged(rma, inspection),
        )
    fault = facts.reason in FAULT_REASONS
    cover = rules.refund
    percent = Decimal(100) if fault else cover.item_percent_change_of_mind
    lines: list[RefundLine] = []
    for item in facts.items:
        price = Money(amount=item.unit_price, currency=currency).times(item.quantity)
        lines.append(
            RefundLine(
                label=f"item {item.sku}", amount=price.times(percent / 100), clauses=cover.clauses
            )
        )
    items_total = sum((line.amount for line in lines), zero)
    restocking = rules.restocking
    if restocking is not None and facts.reason in restocking.for_reasons:
        fee = items_total.times(restocking.percent / 100)
        lines.append(
            RefundLine(label="restocking fee", amount=zero - fee, clauses=restocking.clauses)
        )
    if cover.includes_shipping or fault:
        lines.append(
            RefundLine(label="shipping", amount=facts.shipping_paid, clauses=cover.clauses)
        )
    if cover.missing_accessories_charged and facts.missing_accessories_cost is not None:
        lines.append(
            RefundLine(
                label="missing accessories",
                amount=zero - facts.missing_accessories_cost,
                clauses=cover.clauses,
            )
        )
    route = policy.payment.refunds
    if route is not None and route.bank_fees_borne_by_customer and facts.bank_fees is not None:
        lines.append(
            RefundLine(
                label="intermediary and bank fees",
                amount=zero - facts.bank_fees,
                clauses=route.clauses,
            )
        )
    raw = sum((line.amount for line in lines), zero)
    capped = raw if raw.amount <= facts.paid_total.amount else facts.paid_total
    total = capped if capped.amount >= 0 else zero
    if total != raw:
        lines.append(RefundLine(label="bounded to what was paid", amount=total - raw, clauses=()))
    clauses = merged(*(line.clauses for line in lines), inspection)
    pay_by = facts.inspected_at + cover.within if cover.within else None
    return RefundBreakdown(lines=tuple(lines), total=total, pay_by=pay_by, clauses=clauses)


def returns_close_at(
    policy: Policy, purchased_at: datetime, delivered_at: datetime
) -> Deadline | None:
    """When the last return window for any reason closes: after it the order is complete."""
    return _latest_window_end(policy, purchased_at, delivered_at, None)
