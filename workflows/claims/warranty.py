"""A warranty claim after it is taken: to the manufacturer's agent (CRD-WAR-1), or the product
sent in (at the customer's cost where the policy says so, CRD-WAR-2), received, inspected
(void conditions, PAR-WAR-3), then repaired or replaced free (PAR-WAR-1) or, not covered,
serviced at basic cost once the customer pays the quote (PAR-WAR-2). The repair itself is
`repair.py`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.claims import (
        QuoteAnswer,
        QuoteOutcome,
        WarrantyInspection,
        WarrantyTerms,
    )
    from domain.decisions.claims import inspected_warranty
    from domain.money import Money
    from domain.status import ClaimStatus, MovementState

from workflows.claims.repair import Repair
from workflows.claims.state import ClaimContext
from workflows.payment.movements import authorise, capture


class WarrantySteps:
    def __init__(self, ctx: ClaimContext) -> None:
        self._ctx = ctx
        self.received_by: str | None = None
        self.inspection: WarrantyInspection | None = None
        self.quote_answer: QuoteAnswer | None = None
        self.repair = Repair(ctx)

    @property
    def _terms(self) -> WarrantyTerms:
        assert self._ctx.snapshot.warranty is not None
        return self._ctx.snapshot.warranty

    async def run(self) -> None:
        ctx, snap, terms = self._ctx, self._ctx.snapshot, self._terms
        if terms.via_agent:
            snap.outcome = "to the manufacturer's authorised agent"
            await ctx.record(
                "warranty_via_agent",
                ClaimStatus.CLOSED,
                "covered by the authorised agent's warranty; the invoice is the warranty",
                terms.clauses,
            )
            await ctx.email("warranty_via_agent")
            return
        shipping = (
            "the shipping is at your cost, both ways"
            if terms.customer_pays_shipping
            else "we tell you how to send it"
        )
        await ctx.record(
            "warranty_taken",
            ClaimStatus.AWAITING_PRODUCT,
            "the product is to be sent in"
            + (f" ({shipping})" if terms.customer_pays_shipping else ""),
            terms.clauses,
            deadlines={"warranty_ends_at": terms.ends_at},
        )
        address = ctx.policy.returns.address if ctx.policy.returns else None
        await ctx.email(
            "warranty_send_product",
            {
                "reason": "covered by the warranty" if terms.covered else "a service at basic cost",
                "shipping": shipping,
                "address": address.block() if address else "(the merchant gives the address)",
            },
        )
        await ctx.task("claim_product", "mark the product received when it arrives", terms.clauses)
        await workflow.wait_condition(lambda: self.received_by is not None)
        await ctx.task("claim_product", closed=True)
        snap.received_at = workflow.now()
        await ctx.record(
            "warranty_received",
            ClaimStatus.INSPECTING,
            f"product received ({self.received_by})",
            terms.clauses,
        )
        await ctx.task("warranty_inspection", "inspect the product under warranty", terms.clauses)
        await workflow.wait_condition(lambda: self.inspection is not None)
        await ctx.task("warranty_inspection", closed=True)
        await self._inspected()

    async def _inspected(self) -> None:
        ctx, snap = self._ctx, self._ctx.snapshot
        found = self.inspection
        assert found is not None
        snap.operator = found.operator
        snap.void_conditions = found.void_conditions
        terms = (
            inspected_warranty(
                ctx.policy, ctx.input, found.void_conditions, snap.received_at or workflow.now()
            )
            if found.void_conditions
            else self._terms
        )
        snap.warranty = terms.model_copy(update={"via_agent": False})
        details = {
            "operator": found.operator,
            "void_conditions": list(found.void_conditions),
            "defect_confirmed": found.defect_confirmed,
        }
        if terms.covered and not found.defect_confirmed:
            snap.outcome = "no fault found: sent back"
            await ctx.record(
                "warranty_no_fault",
                ClaimStatus.CLOSED,
                "no manufacturing fault found: the product goes back",
                terms.clauses,
                details=details,
            )
            await ctx.email(
                "claim_decided", {"outcome": snap.outcome, "reason": "no fault was found"}
            )
            return
        if terms.covered:
            await ctx.record(
                "warranty_inspected",
                None,
                "covered: free repair or replacement",
                terms.clauses,
                details=details,
            )
            await self.repair.run(terms.clauses)
            return
        why = (
            f"warranty void: {', '.join(found.void_conditions)}"
            if found.void_conditions
            else "the warranty period has ended"
        )
        if terms.service_charge is None or found.quote is None:
            snap.outcome = why
            await ctx.record(
                "warranty_refused", ClaimStatus.REFUSED, why, terms.clauses, details=details
            )
            await ctx.email("claim_decided", {"outcome": "refused", "reason": why})
            return
        await self._quoted(terms, why, found.quote, details)

    async def _quoted(
        self, terms: WarrantyTerms, why: str, quote: Decimal, details: dict[str, Any]
    ) -> None:
        """Not covered: serviced at basic cost once the customer pays the quote (PAR-WAR-2)."""
        ctx, snap = self._ctx, self._ctx.snapshot
        snap.quote = Money(amount=quote, currency=ctx.policy.currency)
        await ctx.record(
            "warranty_quoted",
            ClaimStatus.QUOTED,
            f"{why}; service at basic cost: {snap.quote}",
            terms.clauses,
            details={**details, "quote": str(snap.quote)},
        )
        await ctx.email("warranty_quote", {"reason": why, "quote": str(snap.quote)})
        await workflow.wait_condition(
            lambda: (
                self.quote_answer is not None and not self.quote_answer.accept or snap.quote_paid
            )
        )
        if not snap.quote_paid:
            snap.outcome = "quote declined: sent back"
            await ctx.record(
                "warranty_quote_declined",
                ClaimStatus.CLOSED,
                "the customer declined the quote",
                terms.clauses,
            )
            return
        await self.repair.run(terms.clauses)

    async def pay_quote(self, answer: QuoteAnswer, attempt: int) -> QuoteOutcome:
        """The customer's answer to the quote: paid through the gateway (authorised, then
        captured, each once under the claim's keys), declined, or a decline to try again."""
        ctx, snap = self._ctx, self._ctx.snapshot
        assert snap.quote is not None and ctx.input.order_id is not None
        if not answer.accept:
            self.quote_answer = answer
            return QuoteOutcome(paid=False, amount=snap.quote, status=ClaimStatus.CLOSED)
        assert answer.payment_token is not None
        oid, cid = ctx.input.order_id, ctx.claim_id
        clauses = self._terms.clauses
        auth = await authorise(
            oid,
            snap.quote,
            answer.payment_token,
            f"{oid}:authorization:claim:{cid}:{attempt}",
            clauses,
            "authorise the service quote",
        )
        if auth.state is not MovementState.AUTHORIZED:
            return QuoteOutcome(
                paid=False,
                amount=snap.quote,
                status=ClaimStatus.QUOTED,
                decline_code=auth.decline_code or auth.state,
            )
        key = f"{oid}:capture:claim:{cid}"
        await capture(oid, auth.payment_id, snap.quote, key, clauses, "capture the service quote")
        snap.quote_paid = True
        self.quote_answer = answer
        await ctx.record(
            "warranty_quote_paid",
            None,
            f"quote of {snap.quote} paid",
            self._terms.clauses,
            details={"payment_id": auth.payment_id},
        )
        return QuoteOutcome(paid=True, amount=snap.quote, status=ClaimStatus.IN_REPAIR)
