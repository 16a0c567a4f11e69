"""ClaimWorkflow (`claim-<claim_id>`): one claim or customer question, from the moment it is
filed to its answer, remedy or refusal.

A claim of a running order is its child (the order pays its refunds and stays open until it
ends); a warranty claim of a completed order and a subscription's claims run on their own. It
reads as the claim's timeline: received with the time a person answers by (SVC-SUP-1,
PAR-SUP-1), escalated when that passes, decided by an operator (refund, replacement, a
solution case by case, or a refusal naming its clause), or the warranty's steps."""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.claims import (
        Answered,
        ClaimInput,
        ClaimRefundPaid,
        ClaimSnapshot,
        ClaimVerdict,
        ProductReceived,
        QuoteAnswer,
        QuoteOutcome,
        RepairDone,
        SparePartWait,
        WarrantyInspection,
    )
    from domain.decisions.claims import VerdictCheck, claim_verdict, void_conditions_known
    from domain.errors import ErrorType
    from domain.money import Money
    from domain.policy.aftercare import ClaimKind
    from domain.status import ClaimStatus

from workflows import names
from workflows.claims.state import ClaimContext
from workflows.claims.steps import ClaimSteps
from workflows.claims.warranty import WarrantySteps
from workflows.shared.refusals import refusal


@workflow.defn(name="ClaimWorkflow")
class ClaimWorkflow:
    @workflow.init
    def __init__(self, claim: ClaimInput) -> None:
        self._ctx = ClaimContext(claim)
        self._steps = ClaimSteps(self._ctx)
        self._warranty = WarrantySteps(self._ctx)
        self._verdict: ClaimVerdict | None = None
        self._answered: Answered | None = None
        self._quote_attempts = 0
        self._paying = False

    @workflow.run
    async def run(self, claim: ClaimInput) -> ClaimSnapshot:
        ctx, snap = self._ctx, self._ctx.snapshot
        question = claim.kind is ClaimKind.QUESTION
        await ctx.record(
            "question_asked" if question else "claim_opened",
            ClaimStatus.OPEN,
            "a question" if question else f"{claim.kind.value.replace('_', ' ')} claim",
            claim.clauses,
            deadlines={"answer_by": claim.answer_by},
        )
        await ctx.email(
            "claim_received",
            {
                "question": question or None,
                "answer_by": claim.answer_by.isoformat(timespec="minutes")
                if claim.answer_by
                else None,
            },
        )
        if claim.kind is ClaimKind.WARRANTY:
            await self._warranty.run()
            return snap
        kind = "customer_message" if question else "claim"
        what = (
            "answer the customer's question" if question else f"decide the {claim.kind.value} claim"
        )
        task = await ctx.task(
            kind, what, claim.answer_clauses or claim.clauses, due_at=claim.answer_by
        )
        watch = asyncio.ensure_future(
            ctx.watch(task, lambda: self._answered is not None or self._verdict is not None)
        )
        await (self._answer(claim) if question else self._decide(claim, kind))
        await watch
        return snap

    async def _answer(self, claim: ClaimInput) -> None:
        """A question: answered by an operator, and the customer told."""
        ctx, snap = self._ctx, self._ctx.snapshot
        await workflow.wait_condition(lambda: self._answered is not None)
        assert self._answered is not None
        snap.operator, snap.outcome = self._answered.operator, "answered"
        await ctx.task("customer_message", closed=True)
        await ctx.record(
            "question_answered",
            ClaimStatus.ANSWERED,
            f"answered by {snap.operator}",
            claim.answer_clauses,
        )
        await ctx.email("question_answered", {"operator": snap.operator, "with_answer": True})

    async def _decide(self, claim: ClaimInput, kind: str) -> None:
        """A claim: decided by an operator and carried out; decided again when its remedy
        could not be carried out (out of stock, or the refund failed)."""
        ctx, snap = self._ctx, self._ctx.snapshot
        while not snap.status.is_final:
            await workflow.wait_condition(lambda: self._verdict is not None)
            verdict = self._verdict
            assert verdict is not None
            await ctx.task(kind, closed=True)
            check = self._check(verdict)
            await self._steps.carry_out(verdict, check.decision, check.refund)
            if not snap.status.is_final:  # out of stock, or the refund failed
                self._verdict = None
                await ctx.task(
                    kind,
                    "decide again: " + (snap.outcome or "the remedy failed"),
                    claim.clauses,
                )

    def _check(self, verdict: ClaimVerdict) -> VerdictCheck:
        c = self._ctx.input
        refundable = (
            c.charge.amount if c.charge else (c.refundable or Money.zero(c.policy.currency))
        )
        return claim_verdict(c.policy, c.kind, verdict, refundable, c.goods and c.sku is not None)

    # -- the order's answer ---------------------------------------------------------------

    @workflow.signal(name=names.SIGNAL_CLAIM_REFUND_PAID)
    def refund_paid(self, paid: ClaimRefundPaid) -> None:
        if paid.claim_id == self._ctx.claim_id and self._steps.paid is None:
            self._steps.paid = paid

    @workflow.query(name=names.QUERY_CLAIM)
    def current(self) -> ClaimSnapshot:
        return self._ctx.snapshot

    # -- operators ------------------------------------------------------------------------

    def _expect(self, *statuses: ClaimStatus) -> None:
        snap = self._ctx.snapshot
        if snap.status not in statuses:
            raise refusal(f"the claim is {snap.status.value}", (), ErrorType.CLAIM_REFUSED)

    @workflow.update(name=names.UPDATE_DECIDE_CLAIM)
    async def decide(self, verdict: ClaimVerdict) -> ClaimSnapshot:
        """An operator decides the claim: refund, replace, reship, a solution, or refuse."""
        self._verdict = verdict
        await workflow.wait_condition(
            lambda: self._verdict is None or self._ctx.snapshot.status.is_final
        )
        return self._ctx.snapshot

    @decide.validator
    def _may_decide(self, verdict: ClaimVerdict) -> None:
        self._expect(ClaimStatus.OPEN)
        if self._verdict is not None:
            raise refusal("the claim is being decided", (), ErrorType.CLAIM_REFUSED)
        decision = self._check(verdict).decision
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.CLAIM_REFUSED, "outcome")

    @workflow.update(name=names.UPDATE_ANSWER_QUESTION)
    async def answer(self, answered: Answered) -> ClaimSnapshot:
        self._answered = answered
        await workflow.wait_condition(lambda: self._ctx.snapshot.status.is_final)
        return self._ctx.snapshot

    @answer.validator
    def _may_answer(self, answered: Answered) -> None:
        if self._ctx.input.kind is not ClaimKind.QUESTION:
            raise refusal(
                "only a question is answered; a claim is decided", (), ErrorType.CLAIM_REFUSED
            )
        if self._answered is not None:
            raise refusal("the question was answered", (), ErrorType.CLAIM_REFUSED)

    @workflow.update(name=names.UPDATE_RECEIVE_CLAIM_PRODUCT)
    async def receive(self, received: ProductReceived) -> ClaimSnapshot:
        self._warranty.received_by = received.operator
        await workflow.wait_condition(
            lambda: self._ctx.snapshot.status is not ClaimStatus.AWAITING_PRODUCT
        )
        return self._ctx.snapshot

    @receive.validator
    def _may_receive(self, received: ProductReceived) -> None:
        self._expect(ClaimStatus.AWAITING_PRODUCT)

    @workflow.update(name=names.UPDATE_INSPECT_WARRANTY)
    async def inspect(self, inspection: WarrantyInspection) -> ClaimSnapshot:
        self._warranty.inspection = inspection
        await workflow.wait_condition(
            lambda: self._ctx.snapshot.status is not ClaimStatus.INSPECTING
        )
        return self._ctx.snapshot

    @inspect.validator
    def _may_inspect(self, inspection: WarrantyInspection) -> None:
        self._expect(ClaimStatus.INSPECTING)
        known = void_conditions_known(self._ctx.policy, inspection.void_conditions)
        if not known.allowed:
            raise refusal(known.reason, known.clauses, ErrorType.CLAIM_REFUSED, "void_conditions")
        terms = self._ctx.snapshot.warranty
        offers = self._ctx.policy.warranty and self._ctx.policy.warranty.out_of_warranty
        not_covered = bool(inspection.void_conditions) or (terms is not None and not terms.covered)
        if not_covered and offers and inspection.quote is None:
            raise refusal(
                "not covered: give the basic cost of the service as the quote",
                offers.clauses,
                ErrorType.CLAIM_REFUSED,
                "quote",
            )

    @workflow.update(name=names.UPDATE_SPARE_PART_WAIT)
    async def spare_part_wait(self, wait: SparePartWait) -> ClaimSnapshot:
        """Days spent waiting for the manufacturer's spare parts: the repair's limit moves by
        them (CRD-WAR-3)."""
        self._warranty.repair.waits += wait.days
        expected = self._warranty.repair.waits
        await workflow.wait_condition(
            lambda: (
                self._ctx.snapshot.spare_part_wait_days >= expected
                or self._ctx.snapshot.status.is_final
            )
        )
        return self._ctx.snapshot

    @spare_part_wait.validator
    def _may_wait(self, wait: SparePartWait) -> None:
        self._expect(ClaimStatus.IN_REPAIR)
        repair = self._ctx.policy.warranty and self._ctx.policy.warranty.repair
        if not repair or not repair.excludes_spare_part_delivery:
            raise refusal(
                "this warranty's repair has no time limit that spare parts move",
                (),
                ErrorType.CLAIM_REFUSED,
            )

    @workflow.update(name=names.UPDATE_FINISH_REPAIR)
    async def finish_repair(self, done: RepairDone) -> ClaimSnapshot:
        self._warranty.repair.done = done
        await workflow.wait_condition(lambda: self._ctx.snapshot.status.is_final)
        return self._ctx.snapshot

    @finish_repair.validator
    def _may_finish(self, done: RepairDone) -> None:
        self._expect(ClaimStatus.IN_REPAIR)

    # -- the customer ---------------------------------------------------------------------

    @workflow.update(name=names.UPDATE_ANSWER_QUOTE)
    async def answer_quote(self, answer: QuoteAnswer) -> QuoteOutcome:
        """Accept and pay the out-of-warranty quote (PAR-WAR-2), or decline it."""
        self._quote_attempts += 1
        self._paying = True
        try:
            return await self._warranty.pay_quote(answer, self._quote_attempts)
        finally:
            self._paying = False

    @answer_quote.validator
    def _may_answer_quote(self, answer: QuoteAnswer) -> None:
        self._expect(ClaimStatus.QUOTED)
        if self._warranty.quote_answer is not None or self._ctx.snapshot.quote_paid:
            raise refusal("the quote was answered", (), ErrorType.CLAIM_REFUSED)
        if self._paying:
            raise refusal("a payment of the quote is under way", (), ErrorType.CLAIM_REFUSED)
        if answer.accept and not answer.payment_token:
            raise refusal(
                "accepting the quote pays it: give a payment_token",
                (),
                ErrorType.CLAIM_REFUSED,
                "payment_token",
            )
