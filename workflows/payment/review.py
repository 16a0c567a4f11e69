"""Fraud screening and the operator's review: an authorised order at or above the policy's
score waits for an operator's verdict (IMA-FRD-1, CRD-DIG-2): approve, reject, or ask for an
e-invoice instead of the card."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.store import StoreActivities
    from domain.decisions.fraud import (
        Screening,
        ScreeningFacts,
        before_authorization_lapses,
        fraud_verdict,
        screen_for_fraud,
    )
    from domain.decisions.payment import review_rejection
    from domain.errors import ErrorType
    from domain.money import Money
    from domain.orders import CancelOrigin, FraudDecision, FraudOutcome, FraudVerdict
    from domain.policy.rules import SETTING
    from domain.status import OrderStatus

from workflows.payment.purse import Purse
from workflows.payment.state import Paid
from workflows.shared.cancels import Cancels
from workflows.shared.deadlines import overdue, within
from workflows.shared.options import SHORT, run
from workflows.shared.order import OrderContext
from workflows.shared.refusals import refusal

# From this version on, a fraud review is due within the policy's review time and escalated
# when that passes.
REVIEW_DUE = "fraud-review-due"
# From this version on, a review still open when the card's authorisation is about to lapse at
# its provider stops holding it (`before_authorization_lapses`).
AUTHORIZATION_LAPSE = "authorization-lapse"


class FraudReview:
    def __init__(
        self,
        ctx: OrderContext,
        money: Purse,
        cancels: Cancels,
        set_step: Callable[[OrderStatus], None],
    ) -> None:
        self._ctx, self._money, self._cancels, self._set_step = ctx, money, cancels, set_step
        self.decision: FraudDecision | None = None
        self.outcome: FraudOutcome | None = None

    def check(self, decision: FraudDecision) -> None:
        """Refuse a verdict unless the order is held for review and the verdict is one the
        policy knows."""
        verdict = fraud_verdict(self._ctx.policy, decision.verdict.value)
        status = self._ctx.order.status
        if status is not OrderStatus.FRAUD_REVIEW or self.decision is not None:
            raise refusal(
                f"the order is {status.value}: it is not held for review",
                verdict.clauses,
                ErrorType.REVIEW_REFUSED,
            )
        if not verdict.allowed:
            raise refusal(verdict.reason, verdict.clauses, ErrorType.REVIEW_REFUSED)

    async def decide(self, decision: FraudDecision) -> FraudOutcome:
        """An operator's verdict, and the outcome once the review has acted on it."""
        self.decision = decision
        await workflow.wait_condition(lambda: self.outcome is not None)
        assert self.outcome is not None
        return self.outcome

    async def screen(self, card_country: str | None) -> Paid | None:
        """Score the authorised order; at or above the policy's score it waits for an
        operator (IMA-FRD-1, CRD-DIG-2). A phase outcome when the order ends here."""
        ctx = self._ctx
        if ctx.policy.payment.fraud is None:
            return None
        recent = await run(
            StoreActivities.customer_order_count,
            ctx.order_id,
            SHORT,
            "count the customer's recent orders",
        )
        screening = screen_for_fraud(
            ctx.policy,
            ScreeningFacts(
                total=ctx.input.total,
                billing_country=ctx.input.billing_country or ctx.input.destination_country,
                shipping_country=ctx.input.destination_country,
                card_country=card_country,
                orders_by_customer_today=recent,
            ),
        )
        if not screening.review:
            return None
        await self._hold(screening)
        return await self._verdict(screening.clauses)

    async def _hold(self, screening: Screening) -> None:
        """Hold the order for review until the operator's verdict (or the policy's stand-in
        when the card's authorisation is about to lapse), escalated past its due time."""
        ctx, clauses = self._ctx, screening.clauses
        fraud = ctx.policy.payment.fraud
        assert fraud is not None
        ctx.order.fraud_score, ctx.order.fraud_signals = screening.score, list(screening.signals)
        ctx.order.review_by = workflow.now() + fraud.review_within
        await ctx.record(
            "fraud_review",
            OrderStatus.FRAUD_REVIEW,
            f"held for review: score {screening.score} ({', '.join(screening.signals)}), "
            f"held from {fraud.review_score} (the {SETTING})",
            clauses,
            details={"score": screening.score, "signals": list(screening.signals)},
            deadlines={"review_by": ctx.order.review_by},
        )
        summary = (
            f"an order held for fraud review: score {screening.score} "
            f"({', '.join(screening.signals)}); the card's authorisation is held meanwhile"
        )
        due = workflow.patched(REVIEW_DUE)
        await ctx.task(
            "fraud_review", summary, clauses, due_at=ctx.order.review_by if due else None
        )
        self._set_step(OrderStatus.FRAUD_REVIEW)

        def reviewed() -> bool:
            return self.decision is not None or self._cancels.requested

        if due:
            watch = ctx.task_of("fraud_review", summary, clauses, due_at=ctx.order.review_by)
            if await overdue(watch, reviewed):
                await ctx.record(
                    "fraud_review_overdue",
                    None,
                    f"the review was due at {ctx.order.review_by.isoformat()}: escalated",
                    clauses,
                )
        await self._until_reviewed(reviewed)
        await ctx.task("fraud_review", closed=True)

    async def _verdict(self, clauses: tuple[str, ...]) -> Paid | None:
        """Act on the verdict: go on to capture, ask for an e-invoice instead, or cancel."""
        ctx = self._ctx
        if self.decision is None:
            return Paid.CANCEL
        verdict, operator = self.decision.verdict, self.decision.operator
        await ctx.record(
            f"fraud_{verdict.value}",
            None,
            f"review by {operator}: {verdict.value}",
            clauses,
            details={"operator": operator},
        )
        if verdict is FraudVerdict.APPROVE:
            self.outcome = FraudOutcome(status=OrderStatus.PENDING_PAYMENT, clauses=clauses)
            return None
        if verdict is FraudVerdict.REQUIRE_INVOICE:
            assert ctx.order.payment_id is not None
            await self._money.void(ctx.order.payment_id, f"{ctx.order_id}:void:review")
            ctx.order.payment_id = None
            self.outcome = FraudOutcome(
                status=OrderStatus.AWAITING_INVOICE_PAYMENT, clauses=clauses
            )
            return None
        self._cancels.ask(CancelOrigin.REVIEW, review_rejection(ctx.policy))
        self.outcome = FraudOutcome(
            status=OrderStatus.CANCELLED, refund=Money.zero(ctx.policy.currency), clauses=clauses
        )
        return Paid.CANCEL

    async def _until_reviewed(self, reviewed: Callable[[], bool]) -> None:
        """Wait for the operator, or until the card's authorisation is about to lapse: then
        the policy's stand-in verdict is taken, as `orderflow`."""
        ctx = self._ctx
        lapse = before_authorization_lapses(ctx.policy, ctx.order.authorization_lapses_at)
        if lapse is not None and workflow.patched(AUTHORIZATION_LAPSE):
            wait = max(lapse.at - workflow.now(), timedelta(seconds=1))
            if await within(reviewed, wait, "card authorisation lapsing"):
                return
            await ctx.record(
                "authorization_lapsing",
                None,
                "no review before the card's authorisation lapses at "
                f"{ctx.order.authorization_lapses_at}: {lapse.verdict.value}",
                lapse.clauses,
            )
            self.decision = FraudDecision(verdict=lapse.verdict, operator="orderflow")
            return
        await workflow.wait_condition(reviewed)
