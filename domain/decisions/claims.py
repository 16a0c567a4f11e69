"""Claims and questions: whether one is taken when it is filed, by when a person must answer,
what the warranty covers, and whether an operator's decision fits the claim."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.claims import ClaimInput, ClaimVerdict, Outcome, WarrantyTerms
from domain.decisions import Deadline, Decision, allow, merged, refuse
from domain.decisions.aftercare import (
    ClaimFacts,
    WarrantyFacts,
    claim,
    claim_priority,
    support_deadline,
    unhappy_customer,
    warranty,
)
from domain.money import Money
from domain.policy import Policy
from domain.policy.aftercare import ClaimKind


class ClaimOpening(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision
    answer_by: Deadline | None = None
    warranty: WarrantyTerms | None = None
    field: str | None = None
    priority: int = 0  # its place on the operators' list: recommendations met come first

    def taken(self) -> dict[str, Any]:
        """What a claim's workflow input carries of this decision."""
        answer = self.answer_by
        return {
            "answer_by": answer.at if answer else None,
            "answer_clauses": answer.clauses if answer else (),
            "clauses": self.decision.clauses,
            "warranty": self.warranty,
            "priority": self.priority,
        }


class Filing(BaseModel):
    """What the customer filed, as the policy sees it."""

    kind: ClaimKind
    purchased_at: datetime
    delivered_at: datetime | None = None
    model: str | None = None
    category: str | None = None  # the model's category: some warranties run by category
    evidence: tuple[str, ...] = ()
    has_invoice: bool = False
    store_mediation: bool = False
    standing: str = ""  # "the order is paid": to say why a claim comes too early
    paid: bool = True
    shipped_at: datetime | None = None


AFTER_SHIPMENT = (ClaimKind.NON_DELIVERY,)
AFTER_DELIVERY = (ClaimKind.SHIPPING_DAMAGE, ClaimKind.DEAD_ON_ARRIVAL, ClaimKind.WARRANTY)


def _too_early(policy: Policy, filing: Filing) -> ClaimOpening | None:
    """A claim about goods not bought, not shipped or not delivered yet; a warranty claim
    that names no product."""
    clauses = kind_clauses(policy, filing.kind)
    now = f"{filing.standing}: " if filing.standing else ""
    if not filing.paid:
        return ClaimOpening(
            decision=refuse(f"{now}nothing was bought yet", *clauses), field="order"
        )
    goods = policy.shipping is not None  # a merchant that ships nothing sells services
    if goods and filing.kind in AFTER_SHIPMENT and filing.shipped_at is None:
        return ClaimOpening(decision=refuse(f"{now}it has not shipped yet", *clauses), field="kind")
    if goods and filing.kind in AFTER_DELIVERY and filing.delivered_at is None:
        reason = f"{now}it has not been delivered"
        return ClaimOpening(decision=refuse(reason, *clauses), field="kind")
    if filing.kind is ClaimKind.WARRANTY and filing.model is None:
        reason = "a warranty claim names the product (sku)"
        return ClaimOpening(decision=refuse(reason, *clauses), field="sku")
    return None


def kind_clauses(policy: Policy, kind: ClaimKind) -> tuple[str, ...]:
    """The clauses behind a kind of claim in this policy."""
    if kind is ClaimKind.QUESTION:
        support = next((r for r in policy.support if r.topic == "general"), None)
        return support.clauses if support else ()
    if kind is ClaimKind.UNHAPPY and policy.services is not None:
        return merged(
            policy.services.intangible.clauses, policy.services.case_by_case_refunds.clauses
        )
    if kind is ClaimKind.WARRANTY and policy.warranty is not None:
        rules = policy.warranty
        return merged(
            rules.coverage.clauses,
            rules.void.clauses if rules.void else (),
            rules.out_of_warranty.clauses if rules.out_of_warranty else (),
        )
    rule = next((r for r in policy.claims if r.kind is kind), None)
    return rule.clauses if rule else ()


def _covered(
    policy: Policy, filing: Filing, now: datetime, void: tuple[str, ...] = ()
) -> tuple[Decision, WarrantyTerms]:
    """The warranty's decision on these facts, and the terms a claim carries of it."""
    outcome = warranty(
        policy,
        WarrantyFacts(
            model=filing.model or "",
            category=filing.category,
            purchased_at=filing.purchased_at,
            delivered_at=filing.delivered_at,
            void_conditions=void,
            has_invoice=filing.has_invoice,
            store_mediation=filing.store_mediation,
        ),
        now,
    )
    decision = outcome.decision
    cover = policy.warranty.coverage if policy.warranty else None
    return decision, WarrantyTerms(
        covered=decision.allowed and outcome.service_charge is None,
        ends_at=decision.deadlines.get("warranty_ends_at"),
        remedies=outcome.remedies,
        customer_pays_shipping=outcome.customer_pays_shipping,
        service_charge=outcome.service_charge,
        via_agent=bool(cover and cover.via_authorised_agent) and not filing.store_mediation,
        clauses=decision.clauses,
    )


def _warranty_terms(policy: Policy, filing: Filing, now: datetime) -> ClaimOpening:
    decision, terms = _covered(policy, filing, now)
    if not decision.allowed:
        field = "evidence" if "invoice" in decision.reason else "kind"
        return ClaimOpening(decision=decision, field=field)
    return ClaimOpening(decision=decision, warranty=terms)


def open_claim(policy: Policy, filing: Filing, now: datetime) -> ClaimOpening:
    """Whether the claim (or question) is taken now, with the clause; and the time by which
    a person answers it, where the policy sets one (SVC-SUP-1, PAR-SUP-1)."""
    answer = support_deadline(policy, now)
    kind = filing.kind
    if kind is ClaimKind.QUESTION:
        decision = allow("a question is answered by a person", *kind_clauses(policy, kind))
        return ClaimOpening(decision=decision, answer_by=answer)
    early = _too_early(policy, filing)
    if early is not None:
        return early
    if kind is ClaimKind.UNHAPPY:
        if policy.services is None:
            reason = f"{policy.display_name} sells no services: ask for a return instead"
            return ClaimOpening(decision=refuse(reason), field="kind")
        decision = unhappy_customer(policy, filing.purchased_at, now)
    elif kind is ClaimKind.WARRANTY:
        opening = _warranty_terms(policy, filing, now)
        return opening.model_copy(update={"answer_by": answer})
    else:
        decision = claim(
            policy,
            ClaimFacts(
                kind=kind,
                purchased_at=filing.purchased_at,
                delivered_at=filing.delivered_at,
                evidence=filing.evidence,
            ),
            now,
        )
    field = "evidence" if "evidence" in decision.reason else "kind"
    return ClaimOpening(
        decision=decision,
        answer_by=answer,
        field=None if decision.allowed else field,
        priority=claim_priority(policy, kind, filing.evidence),
    )


class VerdictCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision  # whether the verdict fits the claim
    refund: Money | None = None


def claim_verdict(
    policy: Policy,
    kind: ClaimKind,
    verdict: ClaimVerdict,
    refundable: Money,
    goods: bool,
) -> VerdictCheck:
    """Whether an operator's decision fits this claim: a refund within what is refundable, a
    replacement only of goods, a claim resting on expectations refused only as not as
    described (SVC-CLM-2), a case-by-case solution described in its note (SVC-REF-1)."""
    clauses = kind_clauses(policy, kind)
    if kind in (ClaimKind.WARRANTY, ClaimKind.QUESTION):
        what = "decided at inspection" if kind is ClaimKind.WARRANTY else "answered"
        return VerdictCheck(decision=refuse(f"a {kind.value} claim is {what}", *clauses))
    if verdict.expectation_only and (
        kind is not ClaimKind.NOT_AS_DESCRIBED or verdict.outcome is not Outcome.REFUSE
    ):
        return VerdictCheck(
            decision=refuse("only a not-as-described claim is refused for resting on expectations")
        )
    outcome = verdict.outcome
    if outcome is Outcome.REFUND:
        if verdict.amount is None:
            return VerdictCheck(decision=refuse("a refund names its amount", *clauses))
        amount = Money(amount=verdict.amount, currency=refundable.currency)
        if amount.amount > refundable.amount:
            return VerdictCheck(
                decision=refuse(f"at most {refundable} is still refundable", *clauses)
            )
        return VerdictCheck(decision=allow(f"{amount} refunded", *clauses), refund=amount)
    if outcome in (Outcome.REPLACE, Outcome.RESHIP) and not goods:
        return VerdictCheck(
            decision=refuse("a service is not replaced or reshipped", *kind_clauses(policy, kind))
        )
    if outcome is Outcome.SOLUTION and not verdict.note.strip():
        return VerdictCheck(decision=refuse("describe the solution offered in the note", *clauses))
    if outcome is Outcome.REFUSE and verdict.expectation_only:
        return VerdictCheck(
            decision=allow("refused: the claim rests only on the customer's expectations", *clauses)
        )
    return VerdictCheck(decision=allow(f"{outcome.value} decided", *clauses))


def inspected_warranty(
    policy: Policy, claim: ClaimInput, void_conditions: tuple[str, ...], now: datetime
) -> WarrantyTerms:
    """The warranty of a product sent in, once inspected: void conditions found (PAR-WAR-3)
    turn it into a service at basic cost where the policy offers one (PAR-WAR-2)."""
    filing = Filing(
        kind=claim.kind,
        purchased_at=claim.purchased_at,
        delivered_at=claim.delivered_at,
        model=claim.sku,
        has_invoice=True,
        store_mediation=True,
    )
    return _covered(policy, filing, now, void_conditions)[1]


def void_conditions_known(policy: Policy, given: tuple[str, ...]) -> Decision:
    void = policy.warranty.void if policy.warranty else None
    known = void.conditions if void else ()
    unknown = [c for c in given if c not in known]
    if unknown:
        return refuse(
            f"not conditions of this warranty: {', '.join(unknown)}; known: "
            + (", ".join(known) or "none"),
            *(void.clauses if void else ()),
        )
    return allow("known conditions", *(void.clauses if void else ()))


def claim_refund(granted: Money, left: Money) -> Money:
    """What a claim's refund pays: what its decision granted, capped at what the order still
    holds (`left`: captured, less refunded and the refunds in flight), so that no claim gives
    back more than was paid."""
    return granted if granted.amount <= left.amount else left
