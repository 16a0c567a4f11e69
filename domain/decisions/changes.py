"""May the customer still edit or cancel the order, and for what refund."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from domain.decisions import Decision, allow, merged, refuse
from domain.money import Money
from domain.orders import OrderLine
from domain.policy import Policy
from domain.policy.changes import CancelRule


class OrderFacts(BaseModel):
    """Where an order stands, as the workflow knows it."""

    lines: list[OrderLine]
    shipping_paid: Money
    paid_at: datetime | None = None
    fulfilment_started_at: datetime | None = None
    shipped_at: datetime | None = None
    cancelling: bool = False  # a cancellation was accepted and is being carried out

    @property
    def digital(self) -> bool:
        return any(line.is_digital for line in self.lines)

    @property
    def only_digital(self) -> bool:
        return all(line.is_digital for line in self.lines)


def _digital_lock(policy: Policy, facts: OrderFacts, edit: bool = False) -> Decision | None:
    """A purchased card cannot be changed or taken back. An order that also ships goods keeps
    its parcel's address editable: the cards do not depend on it."""
    locked = facts.only_digital if edit else facts.digital
    if locked and policy.digital is not None:
        return refuse(
            "digital card orders cannot be edited or cancelled after purchase",
            *policy.digital.no_changes.clauses,
        )
    return None


def edit_window(policy: Policy, facts: OrderFacts, now: datetime) -> Decision:
    """Editable from payment until the earlier of the window's end and fulfilment's start."""
    locked = _digital_lock(policy, facts, edit=True)
    if locked is not None:
        return locked
    rule = policy.edit
    if rule is None:
        return refuse(f"{policy.display_name} publishes no edit window")
    if facts.cancelling:
        return refuse("the order is being cancelled", *rule.clauses)
    if facts.paid_at is None:
        return allow("not paid yet: the order may still change", *rule.clauses)
    closes = facts.paid_at + rule.window_after_payment
    if rule.closes_when_fulfilment_starts and facts.fulfilment_started_at is not None:
        closes = min(closes, facts.fulfilment_started_at)
    if now >= closes:
        return refuse("the edit window has closed", *rule.clauses, edit_window_closes_at=closes)
    return allow("within the edit window", *rule.clauses, edit_window_closes_at=closes)


class Cancellation(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision
    refund: Money
    lines: tuple[tuple[str, Money], ...] = ()


def _band(bands: tuple[CancelRule, ...], category: str, since_payment: timedelta) -> CancelRule:
    for band in bands:
        limit = band.within_after_payment
        in_time = limit is None or since_payment <= limit
        if in_time and (not band.categories or category in band.categories):
            return band
    raise ValueError(f"no cancellation band covers category {category!r}")


def cancellation_refund(policy: Policy, facts: OrderFacts, asked_at: datetime) -> Cancellation:
    """The refund of a cancellation asked at `asked_at`, decided when it is carried out, from
    what was actually captured: under the band in force when it was asked (a payment captured
    after the request counts as captured at once)."""
    if facts.paid_at is None:
        return cancellation(policy, facts, asked_at)
    return cancellation(policy, facts, max(asked_at, facts.paid_at))


def cancellation_stage(
    policy: Policy, facts: OrderFacts, now: datetime, *, by_operator: bool = False
) -> Decision:
    """Whether the order, or some of its lines, may still be cancelled at this stage: until
    the parcel leaves or fulfilment starts, as the policy says (KWO-CAN-3). A shop with no
    cancellation rule lets only its operators cancel, until the carrier collects."""
    rules = policy.cancellation
    if rules is None:
        if not by_operator or facts.shipped_at is not None:
            return refuse(f"{policy.display_name} publishes no cancellation rule")
        return allow("cancelled by the shop before the carrier collected it")
    past = {
        "shipment": facts.shipped_at,
        "fulfilment": facts.fulfilment_started_at or facts.shipped_at,
        "never": facts.paid_at or now,
    }[rules.allowed_until]
    if past is not None and past <= now:
        stage = "shipped" if rules.allowed_until == "shipment" else "in fulfilment"
        return refuse(f"the order is {stage}: it can no longer be cancelled", *rules.until_clauses)
    return allow("not yet too late to cancel", *rules.until_clauses)


def band_refund(
    policy: Policy, lines: list[OrderLine], since_payment: timedelta, shipping: Money | None
) -> tuple[Money, tuple[tuple[str, Money], ...], tuple[str, ...]]:
    """What cancelling `lines` this long after payment gives back, by each line's band (all
    of it where the shop has no cancellation rule), with `shipping` when every band covering
    them refunds it; the amounts by line and the clauses applied."""
    zero = Money.zero(policy.currency)
    refund, by_line, clauses, shipping_back = zero, [], [], True
    rules = policy.cancellation
    for line in lines:
        amount = Money(amount=line.unit_price, currency=zero.currency).times(line.quantity)
        if rules is not None:
            band = _band(rules.bands, line.category, since_payment)
            amount = amount.times(band.refund_percent / Decimal(100))
            clauses.append(band.clauses)
            shipping_back = shipping_back and band.refund_shipping
        refund = refund + amount
        by_line.append((line.sku, amount))
    if shipping is not None and shipping_back:
        refund = refund + shipping
        by_line.append(("shipping", shipping))
    return refund, tuple(by_line), merged(*clauses)


def cancellation(policy: Policy, facts: OrderFacts, now: datetime) -> Cancellation:
    zero = Money.zero(facts.shipping_paid.currency)
    locked = _digital_lock(policy, facts)
    if locked is not None:
        return Cancellation(decision=locked, refund=zero)
    rules = policy.cancellation
    stage = cancellation_stage(policy, facts, now)
    if rules is None or not stage.allowed:
        return Cancellation(decision=stage, refund=zero)
    if facts.paid_at is None:
        return Cancellation(
            decision=allow("not paid: nothing to refund", *rules.until_clauses), refund=zero
        )
    since = now - facts.paid_at
    refund, lines, clauses = band_refund(policy, facts.lines, since, facts.shipping_paid)
    decision = allow(
        f"cancelled {since} after payment: {refund} refunded",
        *merged(rules.until_clauses, clauses),
    )
    return Cancellation(decision=decision, refund=refund, lines=lines)
