"""The order's gift-card desk: delivery and care composed, and the handlers operators, the
customer and the card issuer reach them through, registered on the order's workflow."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.decisions.changes import Cancellation
    from domain.decisions.payment import ownership_refund, ownership_rejection
    from domain.digital import (
        DigitalCard,
        PurchaseVerification,
        VerificationOutcome,
        VerificationVerdict,
    )
    from domain.orders import CancelOrigin
    from workflows import names
    from workflows.cancellation import Cancellations
    from workflows.card_care import CardCare
    from workflows.context import OrderContext, refusal
    from workflows.digital import DigitalDelivery
    from workflows.money import MoneyMoves


class CardDesk:
    def __init__(self, ctx: OrderContext, money: MoneyMoves, cancels: Cancellations) -> None:
        self._ctx, self._cancels = ctx, cancels
        self.delivery = DigitalDelivery(ctx)
        self.care = CardCare(ctx, money, self.delivery)
        workflow.set_query_handler(names.QUERY_DIGITAL_CARDS, self.cards)
        workflow.set_signal_handler(names.SIGNAL_CARD_EVENT, self.delivery.note_event)
        workflow.set_update_handler(
            names.UPDATE_VERIFY_PURCHASE, self.verify, validator=self._may_verify
        )
        workflow.set_update_handler(
            names.UPDATE_REPORT_FAULTY_CARD, self.care.report, validator=self.care.check_report
        )
        workflow.set_update_handler(
            names.UPDATE_RESOLVE_FAULTY_CARD,
            self.care.resolve,
            validator=self.care.check_decision,
        )

    async def life(self) -> bool:
        """Issue the order's cards and look after them until each is used or expired; False
        when the purchase was rejected at verification (the order is then cancelled)."""
        if not await self.delivery.deliver():
            return False
        await self.care.until_expiry()
        return True

    def cards(self) -> list[DigitalCard]:
        return self.delivery.state.cards

    def _clauses(self) -> tuple[str, ...]:
        rules = self._ctx.policy.digital
        return rules.delivery.clauses if rules else ()

    async def verify(self, check: PurchaseVerification) -> VerificationOutcome:
        """An operator's verification of a large card purchase (CRD-DIG-1); a rejection
        cancels it, refunded less the gateway's commission unless ownership is proven."""
        ctx = self._ctx
        if check.verdict is VerificationVerdict.REJECT:
            refund, why = ownership_refund(ctx.policy, ctx.input.total, check.ownership_proven)
            self._cancels.ask(
                CancelOrigin.CARD_OWNERSHIP, Cancellation(decision=why, refund=refund)
            )
        self.delivery.state.verification = check
        if check.verdict is VerificationVerdict.APPROVE:
            return VerificationOutcome(
                verdict=check.verdict, status="approved", clauses=self._clauses()
            )
        await workflow.wait_condition(lambda: self._cancels.outcome is not None)
        outcome = self._cancels.outcome
        assert outcome is not None
        return VerificationOutcome(
            verdict=check.verdict,
            status=outcome.status.value,
            refund=outcome.refund,
            clauses=outcome.clauses,
        )

    def _may_verify(self, check: PurchaseVerification) -> None:
        state, order = self.delivery.state, self._ctx.order
        if not state.verifying or state.verification is not None:
            raise refusal(
                "no gift card purchase of this order is waiting for verification",
                self._clauses(),
                "VerificationRefused",
            )
        if check.verdict is VerificationVerdict.REJECT:
            decision = ownership_rejection(
                self._ctx.policy,
                order.captured,
                order.shipped_at is not None,
                self._cancels.requested,
            )
            if not decision.allowed:
                raise refusal(decision.reason, decision.clauses, "VerificationRefused")
