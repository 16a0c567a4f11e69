"""Fulfilment decisions: the dispatch slot, carrier, tracking and delivery deadlines,
customs, and parcels that come back or get lost."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from domain.calendar import Calendar
from domain.decisions import Deadline, Decision, allow, refuse
from domain.money import Money
from domain.orders import OrderLine
from domain.policy import Carrier, Policy


def calendar(policy: Policy) -> Calendar:
    return Calendar(policy.calendar, policy.zone)


def dispatch_slot(policy: Policy, paid_at: datetime) -> Deadline:
    """When the warehouse takes the order. With a dispatch rule: the cut-off of the day the
    order leaves, the same business day when paid before it, else the next business day's
    (merchant's time zone, weekends, holidays). Without one: at once."""
    rule = policy.shipping.dispatch if policy.shipping else None
    if rule is None:
        return Deadline(at=paid_at, clauses=())
    cal = calendar(policy)
    local = cal.local(paid_at)
    day = local.date()
    if not (rule.same_business_day and cal.is_business_day(day) and local.time() < rule.cutoff):
        day = cal.next_business_day(day)
    return Deadline(at=cal.at(day, rule.cutoff), clauses=rule.clauses)


def pickup_at(policy: Policy, ready_at: datetime) -> Deadline:
    """When the carrier collects parcels handed to the warehouse at `ready_at`: the merchant's
    daily pickup, after its lead time in business days. An order leaves (and counts as shipped)
    then, not when its label is bought. A dispatch rule's cut-off is that pickup."""
    if policy.shipping is None:
        raise ValueError(f"{policy.merchant} ships nothing")
    settings, rule = policy.shipping.fulfilment, policy.shipping.dispatch
    clauses = rule.clauses if rule else ()
    if settings.on_demand and rule is None:
        return Deadline(at=ready_at, clauses=clauses)
    pickup = rule.cutoff if rule else settings.pickup
    cal = calendar(policy)
    local = cal.local(ready_at)
    day = local.date()
    if not cal.is_business_day(day) or local.time() > pickup:
        day = cal.next_business_day(day)
    day = cal.add_business_days(day, settings.lead_business_days)
    return Deadline(at=cal.at(day, pickup), clauses=clauses)


def choose_carrier(policy: Policy, destination_country: str) -> tuple[Carrier, tuple[str, ...]]:
    if policy.shipping is None:
        raise ValueError(f"{policy.merchant} ships nothing")
    rule = policy.shipping.carriers
    return rule.by_destination.get(destination_country, rule.carriers[0]), rule.clauses


def tracking_email_deadline(policy: Policy, dispatched_at: datetime) -> Deadline | None:
    rule = policy.shipping.tracking if policy.shipping else None
    if rule is None:
        return None
    return Deadline(at=dispatched_at + rule.email_within, clauses=rule.clauses)


class DeliveryEstimate(BaseModel):
    model_config = ConfigDict(frozen=True)

    earliest: datetime
    latest: datetime
    clauses: tuple[str, ...]


def delivery_estimate(policy: Policy, dispatched_at: datetime) -> DeliveryEstimate | None:
    """Expected delivery in business days after dispatch; past `latest` the parcel is late."""
    rule = policy.shipping.delivery if policy.shipping else None
    if rule is None:
        return None
    cal = calendar(policy)
    return DeliveryEstimate(
        earliest=cal.business_days_after(dispatched_at, rule.min_business_days),
        latest=cal.business_days_after(dispatched_at, rule.max_business_days),
        clauses=rule.clauses,
    )


def customs_notice(policy: Policy, destination_country: str) -> Decision:
    """`allowed` means: the shipping e-mail carries the duties-and-taxes notice."""
    rule = policy.shipping.customs if policy.shipping else None
    if rule is None or destination_country == rule.origin_country:
        return refuse(
            "no customs notice: domestic delivery or no customs rule",
            *(rule.clauses if rule else ()),
        )
    payer = "the customer" if rule.duties_paid_by == "customer" else "the merchant"
    return allow(f"international delivery: duties and taxes are paid by {payer}", *rule.clauses)


def refused_at_customs(policy: Policy) -> Decision:
    """`allowed` means: a parcel held or refused at customs is a conversation about the duties
    with an operator, the customer told and charged no reshipping fee (IMA-CUS-1: the merchant
    offers to talk about settling them). Refused: the policy has no customs rule, and the
    parcel comes back as any other."""
    rule = policy.shipping.customs if policy.shipping else None
    if rule is None:
        return refuse("no customs rule: the parcel comes back as any other")
    payer = "the customer's" if rule.duties_paid_by == "customer" else "the merchant's"
    return allow(
        f"refused at customs: the duties are {payer}; an operator talks their settling through "
        "with the customer, no reshipping fee",
        *rule.clauses,
    )


def returned_to_sender(policy: Policy, came_back_at: datetime) -> Decision:
    """A parcel back for an insufficient address: reshipped to a corrected address once the
    customer pays for it, within the policy's time (IMA-EDT-2)."""
    rule = policy.shipping.returned_to_sender if policy.shipping else None
    if rule is None:
        return refuse("no reshipping rule: the merchant settles the returned parcel")
    who = "the customer's" if rule.reship_at_customer_cost else "the merchant's"
    return allow(
        f"reshipped to a corrected address at {who} cost",
        *rule.clauses,
        pay_reshipping_by=came_back_at + rule.pay_within,
    )


def reshipping_payable(policy: Policy, pay_by: datetime | None, now: datetime) -> Decision:
    """Whether the customer may still pay for a returned parcel to leave again."""
    clauses = returned_to_sender(policy, now).clauses
    if pay_by is None:
        return refuse("no returned parcel is waiting for its reshipping payment", *clauses)
    if now >= pay_by:
        return refuse(f"the reshipping had to be paid by {pay_by.isoformat()}", *clauses)
    return allow("the reshipping may be paid", *clauses, pay_reshipping_by=pay_by)


def reshipping_fee(policy: Policy) -> Money:
    """What the customer pays before a returned parcel leaves again."""
    rule = policy.shipping.returned_to_sender if policy.shipping else None
    if rule is None or not rule.reship_at_customer_cost:
        return Money.zero(policy.currency)
    return Money(amount=rule.reshipping_fee, currency=policy.currency)


def unclaimed_parcel_refund(policy: Policy, parcel_paid: Money) -> tuple[Money, Decision]:
    """The customer did not pay the reshipping in time: the parcel's price comes back,
    less the cost of its round trip, never below zero."""
    rule = policy.shipping.returned_to_sender if policy.shipping else None
    clauses = rule.clauses if rule else ()
    costs = reshipping_fee(policy)
    refund = (
        parcel_paid - costs
        if parcel_paid.amount > costs.amount
        else Money.zero(parcel_paid.currency)
    )
    return refund, allow(f"reshipping not paid in time: refunded less costs of {costs}", *clauses)


def parcels(lines: list[OrderLine]) -> list[int]:
    """The parcels an order leaves in, by the parcel number each line carries (digital cards
    leave in none)."""
    return sorted({line.parcel for line in lines if not line.is_digital})


def parcel_value(lines: list[OrderLine], parcel: int, currency: str) -> Money:
    """What the items of one parcel cost: the refund when that parcel is lost for good."""
    total = Money.zero(currency)
    for line in lines:
        if line.parcel == parcel and not line.is_digital:
            total = total + Money(amount=line.unit_price, currency=currency).times(line.quantity)
    return total


def lost_parcel(policy: Policy, in_stock: bool) -> Decision:
    """`allowed` means reship; otherwise the lost items are refunded."""
    rule = policy.shipping.lost_parcel if policy.shipping else None
    clauses = rule.clauses if rule else ()
    if rule is not None and rule.reship_if_in_stock and in_stock:
        return allow("the lost item is in stock: reshipped", *clauses)
    return refuse("the lost item is refunded", *clauses)


# How long after the booked pickup a silent carrier is asked whether it collected the parcel.
PICKUP_GRACE = timedelta(hours=1)


def carrier_quiet_for(
    policy: Policy,
    now: datetime,
    shipped_at: datetime | None,
    pickup_at: datetime | None,
    late_after: datetime | None,
) -> timedelta:
    """How long the order waits for the carrier's next scan before asking the carrier itself:
    the preset's polling interval, at least until an hour past the booked pickup while the
    parcel is not yet collected, and no later than `late_after` (the delivery estimate, when
    the customer is still to be told the parcel is late)."""
    wait = policy.shipping.carriers.poll_after if policy.shipping else timedelta(days=1)
    if shipped_at is None and pickup_at is not None:
        wait = max(pickup_at + PICKUP_GRACE - now, wait)
    if late_after is not None:
        wait = min(wait, max(late_after - now, timedelta(seconds=1)))
    return wait
