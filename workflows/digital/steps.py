"""The order's gift cards as one component: delivery and care composed, and what the order
workflow's handlers for them call (the purchase verification, the faulty-card reports, the
issuer's events)."""

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

from workflows.digital.care import CardCare
from workflows.digital.workflow import DigitalDelivery
from workflows.payment.purse import Purse
from workflows.shared.cancels import Cancels
from workflows.shared.order import OrderContext
from workflows.shared.refusals import refusal


class GiftCards:
    def __init__(self, ctx: OrderContext, money: Purse, cancels: Cancels) -> None:
        self._ctx, self._cancels = ctx, cancels
        self.delivery = DigitalDelivery(ctx)
        self.care = CardCare(ctx, money, self.delivery)

    @property
    def only(self) -> bool:
        """Whether the order sells nothing but gift cards."""
        return self.delivery.only

    @property
    def any(self) -> bool:
        return self.delivery.any

    @property
    def done(self) -> bool:
        """Whether every card's life is over (or there are none)."""
        return self.delivery.state.done

    @property
    def issued(self) -> bool:
        return self.delivery.state.issued

    def given_up(self) -> None:
        """Their life failed for good and an operator took them over: the order no longer
        waits for them."""
        self.delivery.state.done = True

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

    def check_verify(self, check: PurchaseVerification) -> None:
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
