"""The order's gift-card desk: delivery and care composed, and the handlers operators, the
customer and the card issuer reach them through, registered on the order's workflow."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.digital import (
        DigitalCard,
        PurchaseVerification,
        VerificationOutcome,
        VerificationVerdict,
    )
    from domain.errors import ErrorType
    from domain.orders import OrderSnapshot
    from domain.status import OrderStatus
    from workflows import names
    from workflows.digital.care import CardCare
    from workflows.digital.workflow import DigitalDelivery
    from workflows.order.cancellation import Cancellations
    from workflows.order.state import OrderContext
    from workflows.payment.money import MoneyMoves
    from workflows.shared.refusals import refusal


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

    async def alone(self) -> OrderSnapshot:
        """An order of gift cards only: it completes when every card is used or expired."""
        if not await self.life():
            return await self._cancels.carry_out()
        await self._ctx.record(
            "completed",
            OrderStatus.COMPLETED,
            "every gift card was used or has expired",
            self.delivery.expiry_clauses(),
        )
        return self._ctx.order

    def cards(self) -> list[DigitalCard]:
        return self.delivery.state.cards

    def _clauses(self) -> tuple[str, ...]:
        rules = self._ctx.policy.digital
        return rules.delivery.clauses if rules else ()

    async def verify(self, check: PurchaseVerification) -> VerificationOutcome:
        """An operator's verification of a large card purchase (CRD-DIG-1); a rejection
        cancels it, refunded less the gateway's commission unless ownership is proven."""
        if check.verdict is VerificationVerdict.REJECT:
            self._cancels.ask_for_card_ownership(check.ownership_proven)
        self.delivery.state.verification = check
        if check.verdict is VerificationVerdict.APPROVE:
            return VerificationOutcome(
                verdict=check.verdict, status="approved", clauses=self._clauses()
            )
        outcome = await self._cancels.settled()
        return VerificationOutcome(
            verdict=check.verdict,
            status=outcome.status.value,
            refund=outcome.refund,
            clauses=outcome.clauses,
        )

    def _may_verify(self, check: PurchaseVerification) -> None:
        state = self.delivery.state
        if not state.verifying or state.verification is not None:
            raise refusal(
                "no gift card purchase of this order is waiting for verification",
                self._clauses(),
                ErrorType.VERIFICATION_REFUSED,
            )
        if check.verdict is VerificationVerdict.REJECT:
            decision = self._cancels.card_ownership(gone=False)
            if not decision.allowed:
                raise refusal(decision.reason, decision.clauses, ErrorType.VERIFICATION_REFUSED)
