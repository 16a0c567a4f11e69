"""After the sale: warranty, repairs, claims, support deadlines, digital cards, subscriptions."""

from __future__ import annotations

import hmac
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain.calendar import add_months
from domain.decisions import Deadline, Decision, allow, merged, refuse
from domain.decisions.fulfilment import calendar
from domain.money import Money
from domain.policy import Policy
from domain.policy.aftercare import ClaimKind
from domain.policy.rules import SETTING


class WarrantyFacts(BaseModel):
    model: str
    category: str | None = None
    purchased_at: datetime
    delivered_at: datetime | None = None
    void_conditions: tuple[str, ...] = ()
    has_invoice: bool = True
    store_mediation: bool = False


class WarrantyOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision
    remedies: tuple[str, ...] = ()
    customer_pays_shipping: bool = False
    service_charge: str | None = None


def warranty(policy: Policy, facts: WarrantyFacts, now: datetime) -> WarrantyOutcome:
    rules = policy.warranty
    if rules is None:
        return WarrantyOutcome(decision=refuse(f"{policy.display_name} publishes no warranty"))
    cover = rules.coverage
    if cover.invoice_is_warranty and not facts.has_invoice:
        return WarrantyOutcome(
            decision=refuse("the purchase invoice is the warranty", *cover.clauses)
        )
    start = facts.purchased_at if cover.counted_from == "purchase" else facts.delivered_at
    if start is None:
        return WarrantyOutcome(decision=refuse("the warranty starts on receipt", *cover.clauses))
    period = cover.period_by_model.get(facts.model) or cover.period_by_category.get(
        facts.category or "", cover.default_period
    )
    # no period of the merchant's own: the manufacturer's, which the store never decides by
    ends = start + period if period is not None else None
    deadline = {"warranty_ends_at": ends} if ends is not None else {}
    void = rules.void
    voided = [c for c in facts.void_conditions if void and c in void.conditions]
    out = rules.out_of_warranty
    if voided or (ends is not None and now > ends):
        ended = "the warranty period has ended"
        if facts.model in cover.period_by_model:
            ended += f" (this model's period: the {SETTING})"
        why = f"warranty void: {', '.join(voided)}" if voided else ended
        clauses = merged(cover.clauses, void.clauses if voided and void else ())
        if out is not None:
            return WarrantyOutcome(
                decision=allow(
                    f"{why}; technical service at basic cost",
                    *merged(clauses, out.clauses),
                    **deadline,
                ),
                remedies=("service",),
                service_charge=out.charge,
            )
        return WarrantyOutcome(decision=refuse(why, *clauses, **deadline))
    how = "through the authorised agent" if cover.via_authorised_agent else "by the merchant"
    until = f"until {ends.date()}" if ends is not None else "for the manufacturer's period"
    return WarrantyOutcome(
        decision=allow(f"covered {how} {until}", *cover.clauses, **deadline),
        remedies=cover.remedies,
        customer_pays_shipping=facts.store_mediation and cover.store_mediation_shipping_by_customer,
    )


def repair_deadline(
    policy: Policy, received_at: datetime, spare_part_wait_days: int = 0
) -> Deadline:
    """A warranty repair's limit: calendar days from the product's receipt, each public
    holiday on the way and each day spent waiting for spare parts added."""
    rules = policy.warranty
    if rules is None or rules.repair is None:
        raise ValueError(f"{policy.merchant} publishes no repair time limit")
    days = rules.repair.max_days + (
        spare_part_wait_days if rules.repair.excludes_spare_part_delivery else 0
    )
    at = calendar(policy).days_after_holidays_added(received_at, days)
    return Deadline(at=at, clauses=rules.repair.clauses)


class ClaimFacts(BaseModel):
    kind: ClaimKind
    purchased_at: datetime
    delivered_at: datetime | None = None
    in_writing: bool = True
    evidence: tuple[str, ...] = ()
    expectation_only: bool = False


def claim(policy: Policy, facts: ClaimFacts, now: datetime) -> Decision:
    rule = next((r for r in policy.claims if r.kind is facts.kind), None)
    if rule is None:
        return refuse(f"{policy.display_name} takes no {facts.kind.value.replace('_', ' ')} claims")
    if rule.within is not None:
        start = facts.purchased_at if rule.counted_from == "purchase" else facts.delivered_at
        if start is None:
            return refuse("the claim window starts on delivery", *rule.clauses)
        if now > start + rule.within:
            return refuse(
                "the claim window has closed",
                *rule.clauses,
                claim_window_closed_at=start + rule.within,
            )
    if rule.in_writing and not facts.in_writing:
        return refuse("the claim must be made in writing", *rule.clauses)
    missing = [e for e in rule.evidence if e not in facts.evidence]
    if missing:
        return refuse(f"evidence missing: {', '.join(missing)}", *rule.clauses)
    if len(facts.evidence) < rule.evidence_at_least:
        return refuse(
            f"evidence missing: at least {rule.evidence_at_least} photo or video of the damage",
            *rule.clauses,
        )
    if rule.expectation_only_refused and facts.expectation_only:
        return refuse(
            "a claim resting only on the customer's expectations is refused", *rule.clauses
        )
    return allow("the claim is accepted for review", *rule.clauses)


def claim_priority(policy: Policy, kind: ClaimKind, evidence: tuple[str, ...]) -> int:
    """A case that brings every kind of evidence the policy recommends comes first on the
    operators' list (1); any other, in its turn (0). A recommendation never refuses."""
    rule = next((r for r in policy.claims if r.kind is kind), None)
    recommended = rule.evidence_recommended if rule else ()
    return int(bool(recommended) and all(kind in evidence for kind in recommended))


def support_deadline(policy: Policy, asked_at: datetime, topic: str = "general") -> Deadline | None:
    rule = next((r for r in policy.support if r.topic == topic), None)
    if rule is None:
        return None
    if rule.business_days:
        at = calendar(policy).business_days_after(asked_at, rule.respond_within.days)
        return Deadline(at=at, clauses=rule.clauses)
    return Deadline(at=asked_at + rule.respond_within, clauses=rule.clauses)


class DigitalDelivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    deliver_by: datetime
    verification_required: bool
    clauses: tuple[str, ...]


def digital_delivery(policy: Policy, total: Money, paid_at: datetime) -> DigitalDelivery:
    """Under the threshold: at once (within minutes); at or above it: after verification."""
    if policy.digital is None:
        raise ValueError(f"{policy.merchant} sells no digital cards")
    rule = policy.digital.delivery
    if total.amount < rule.instant_below:
        return DigitalDelivery(
            deliver_by=paid_at + rule.instant_within,
            verification_required=False,
            clauses=rule.clauses,
        )
    return DigitalDelivery(
        deliver_by=paid_at + rule.verified_within, verification_required=True, clauses=rule.clauses
    )


def digital_card_expiry(policy: Policy, issued_at: datetime) -> Deadline:
    if policy.digital is None:
        raise ValueError(f"{policy.merchant} sells no digital cards")
    rule = policy.digital.expiry
    return Deadline(at=add_months(issued_at, rule.expires_after_months), clauses=rule.clauses)


def card_code_matches(policy: Policy, given: str, issued: str) -> Decision:
    """Codes are shown and compared exactly: case matters."""
    clauses = policy.digital.codes_case_sensitive.clauses if policy.digital else ()
    # compared in constant time: how long a wrong guess takes tells nothing of the code
    if hmac.compare_digest(given.encode(), issued.encode()):
        return allow("the code matches exactly", *clauses)
    return refuse("the code does not match (codes are case-sensitive)", *clauses)


class SubscriptionCancellation(BaseModel):
    model_config = ConfigDict(frozen=True)

    refund: Money
    service_ends_at: datetime
    future_billing_cancelled: bool
    clauses: tuple[str, ...]


def cancel_subscription(
    policy: Policy,
    last_payment: Money,
    last_paid_at: datetime,
    cycle_ends_at: datetime,
    stop: str,
    now: datetime,
) -> SubscriptionCancellation:
    """Within the window after the last payment it is refunded and the service stops at once
    (a refunded period is not kept); later nothing is refunded, and the customer picks the
    end of the cycle or now. Future billing stops either way."""
    if policy.services is None:
        raise ValueError(f"{policy.merchant} sells no subscriptions")
    rule = policy.services.subscription
    if stop not in rule.stop:
        raise ValueError(f"stop must be one of {rule.stop}")
    within = now - last_paid_at <= rule.refund_last_payment_within
    refund = last_payment if within else Money.zero(last_payment.currency)
    return SubscriptionCancellation(
        refund=refund,
        future_billing_cancelled=True,
        service_ends_at=cycle_ends_at if stop == "end_of_cycle" and not within else now,
        clauses=rule.clauses,
    )


def unhappy_customer(policy: Policy, purchased_at: datetime, now: datetime) -> Decision:
    """Intangible services are not returned; within the window an operator looks for a
    solution case by case."""
    services = policy.services
    if services is None:
        raise ValueError(f"{policy.merchant} sells no services")
    clauses = merged(services.intangible.clauses, services.case_by_case_refunds.clauses)
    if now - purchased_at <= services.case_by_case_within:
        return allow("an operator offers a solution case by case", *clauses)
    return refuse("the goods are intangible and irrevocable; the 7 days have passed", *clauses)
