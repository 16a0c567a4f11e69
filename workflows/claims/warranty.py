"""A warranty claim after it is taken: to the manufacturer's agent (CRD-WAR-1), or the product
sent in (at the customer's cost where the policy says so, CRD-WAR-2), received, inspected
(void conditions, PAR-WAR-3), then repaired or replaced free (PAR-WAR-1) or, not covered,
serviced at basic cost once the customer pays the quote (PAR-WAR-2). A repair has its limit
(CRD-WAR-3: calendar days, holidays and spare-part waits added): a timer; past it, escalated."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.claims import (
        QuoteAnswer,
        QuoteOutcome,
        RepairDone,
        WarrantyInspection,
        WarrantyTerms,
    )
    from domain.decisions import Deadline
    from domain.decisions.aftercare import repair_deadline
    from domain.decisions.claims import inspected_warranty
    from domain.money import Money
    from domain.status import ClaimStatus, MovementState
    from workflows.claims.state import ClaimContext
    from workflows.payment.money import authorise, capture
    from workflows.shared.deadlines import overdue


class WarrantySteps:
    def __init__(self, ctx: ClaimContext) -> None:
        self._ctx = ctx
        self.received_by: str | None = None
        self.inspection: WarrantyInspection | None = None
        self.quote_answer: QuoteAnswer | None = None
        self.waits = 0  # days spent waiting for spare parts
        self.done: RepairDone | None = None

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
            await self._repair(terms.clauses)
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
        snap.quote = Money(amount=found.quote, currency=ctx.policy.currency)
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
        await self._repair(terms.clauses)

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

    def _due(self) -> Deadline | None:
        """The repair's limit, where the policy sets one (CRD-WAR-3)."""
        snap = self._ctx.snapshot
        rules = self._ctx.policy.warranty
        if rules is None or rules.repair is None or snap.received_at is None:
            return None
        return repair_deadline(self._ctx.policy, snap.received_at, self.waits)

    async def _repair(self, clauses: tuple[str, ...]) -> None:
        ctx, snap = self._ctx, self._ctx.snapshot
        limit = self._due()
        due_clauses = limit.clauses if limit else ()
        snap.repair_due_at = limit.at if limit else None
        await ctx.record(
            "warranty_repair_started",
            ClaimStatus.IN_REPAIR,
            "in repair"
            + (f", due by {snap.repair_due_at.isoformat()}" if snap.repair_due_at else ""),
            (*clauses, *due_clauses),
            deadlines={"repair_due_at": snap.repair_due_at},
        )
        await ctx.email(
            "warranty_repair_started",
            {
                "remedy": "repair or replacement",
                "waits": "",
                "repair_due_at": snap.repair_due_at.isoformat(timespec="minutes")
                if snap.repair_due_at
                else "as soon as possible",
            },
        )
        while self.done is None:
            seen = self.waits
            task = await ctx.task(
                "warranty_repair",
                "repair or replace the product",
                due_clauses or clauses,
                due_at=snap.repair_due_at,
            )

            def changed(seen: int = seen) -> bool:
                return self.done is not None or self.waits != seen

            if task.due_at is not None and await overdue(task, changed):
                snap.escalated = (*snap.escalated, "warranty_repair")
                await ctx.record(
                    "warranty_repair_overdue",
                    None,
                    f"the repair was due at {task.due_at.isoformat()}: escalated",
                    due_clauses,
                )
            await workflow.wait_condition(changed)
            if self.waits != seen:
                limit = self._due()
                snap.repair_due_at = limit.at if limit else None
                snap.spare_part_wait_days = self.waits
                await ctx.record(
                    "spare_part_wait",
                    None,
                    f"{self.waits} days waiting for spare parts: due by {snap.repair_due_at.isoformat() if snap.repair_due_at else '-'}",
                    due_clauses,
                    deadlines={"repair_due_at": snap.repair_due_at},
                )
        await ctx.task("warranty_repair", closed=True)
        done = self.done
        snap.operator = done.operator
        back = " at the customer's cost" if self._terms.customer_pays_shipping else ""
        snap.outcome = f"{done.outcome}, sent back{back}"
        late = snap.repair_due_at is not None and workflow.now() > snap.repair_due_at
        await ctx.record(
            "warranty_done",
            ClaimStatus.RESOLVED,
            f"{done.outcome} by {done.operator}; sent back{back}"
            + (" (after its limit)" if late else ""),
            (*clauses, *due_clauses),
            details={
                "operator": done.operator,
                "tracking_number": done.tracking_number,
                "late": late,
            },
        )
        await ctx.email(
            "warranty_done",
            {
                "outcome": done.outcome,
                "tracking": f" ({done.tracking_number})" if done.tracking_number else "",
            },
        )
