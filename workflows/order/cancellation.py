"""Cancellations: asked by the customer, an operator in the Web UI, the payer's bank, a fraud
review or a card-ownership check; carried out once, at the order's next checkpoint, so that
a cancellation and a dispatch can never both happen.

A customer's or operator's cancellation is decided by the policy when it is asked (whether it
may happen, under which band); its refund is decided when it is carried out, from what was
actually captured by then. A capture still running when the request came is refunded."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.carriers import CarrierActivities
    from activities.models import VoidLabel
    from domain.decisions import Decision
    from domain.decisions.changes import Cancellation, cancellation, cancellation_refund
    from domain.decisions.payment import ownership_refund, ownership_rejection
    from domain.money import Money
    from domain.orders import CancelOrigin, CancelOutcome, OrderSnapshot
    from domain.status import OrderStatus, TrackingStatus

from workflows.payment.purse import Purse
from workflows.shared.options import SHORT, run
from workflows.shared.order import OrderContext

# A cancellation's refund the provider refuses leaves a task instead of failing the order.
REFUND_FAILED = "cancellation-refund-failure-leaves-a-task"
# Cancellations whose refund follows the policy's bands and what was captured.
BY_THE_BANDS = (CancelOrigin.CUSTOMER, CancelOrigin.OPERATOR)


class CancelIntent(BaseModel):
    model_config = ConfigDict(frozen=True)

    origin: CancelOrigin
    asked_at: datetime
    decided: Cancellation


class Cancellations:
    def __init__(self, ctx: OrderContext, money: Purse) -> None:
        self._ctx, self._money = ctx, money
        self.intent: CancelIntent | None = None
        self.outcome: CancelOutcome | None = None

    @property
    def requested(self) -> bool:
        return self.intent is not None

    def ask(self, origin: CancelOrigin, decided: Cancellation) -> None:
        """Keep the first request; a repeated one gets the same outcome."""
        if self.intent is None:
            self.intent = CancelIntent(origin=origin, asked_at=workflow.now(), decided=decided)

    def card_ownership(self, gone: bool) -> Decision:
        """May the order still be cancelled over a card not the buyer's own (CRD-DIG-2)?
        Not once goods shipped or, `gone`, its gift cards were issued."""
        order = self._ctx.order
        return ownership_rejection(
            self._ctx.policy, order.captured, order.shipped_at is not None or gone, self.requested
        )

    def ask_for_card_ownership(self, ownership_proven: bool) -> None:
        """Cancel over a card not the buyer's own: refunded less the gateway's commission
        unless ownership is proven."""
        ctx = self._ctx
        refund, why = ownership_refund(ctx.policy, ctx.total, ownership_proven)
        self.ask(CancelOrigin.CARD_OWNERSHIP, Cancellation(decision=why, refund=refund))

    async def settled(self) -> CancelOutcome:
        """The outcome, once the cancellation asked has been carried out."""
        await workflow.wait_condition(lambda: self.outcome is not None)
        assert self.outcome is not None
        return self.outcome

    async def from_operator(self) -> bool:
        """ "Request Cancellation" in the Web UI: decided by the policy like a customer's.
        True when it will be carried out; once the parcel left it is refused, recorded on the
        timeline and left as a task for an operator."""
        ctx = self._ctx
        if self.requested or ctx.order.status.is_final:
            return False
        decided = cancellation(ctx.policy, ctx.facts(), workflow.now())
        if decided.decision.allowed:
            self.ask(CancelOrigin.OPERATOR, decided)
            return True
        reason, clauses = decided.decision.reason, decided.decision.clauses
        await ctx.record(
            "cancellation_refused",
            None,
            f"cancellation asked in the Web UI refused: {reason}",
            clauses,
        )
        await ctx.task("cancellation_refused", reason, clauses)
        return False

    async def carry_out(self) -> OrderSnapshot:
        """Give back what the cancellation grants, release what is held, once."""
        assert self.intent is not None
        ctx, intent, order = self._ctx, self.intent, self._ctx.order
        decided = intent.decided
        if intent.origin in BY_THE_BANDS:
            decided = cancellation_refund(ctx.policy, ctx.facts(), intent.asked_at)
        clauses = decided.decision.clauses
        refund = Money.zero(ctx.policy.currency)
        if order.captured:
            refund = await self._refund(decided.refund, clauses)
        elif order.payment_id:
            await self._money.void(order.payment_id, f"{ctx.order_id}:void:1", clauses)
        await self._void_labels()
        await ctx.record(
            "cancelled",
            OrderStatus.CANCELLED,
            f"cancelled ({intent.origin.value}); {refund} refunded",
            clauses,
            details={"refund": str(refund), "origin": intent.origin.value},
        )
        await ctx.email("order_cancelled", {"refund": str(refund)})
        self.outcome = CancelOutcome(status=OrderStatus.CANCELLED, refund=refund, clauses=clauses)
        return order

    async def _refund(self, granted: Money, clauses: tuple[str, ...]) -> Money:
        """The refund the cancellation grants. One the provider refuses for good leaves an
        operator the task of paying what is still owed, and the cancellation goes on."""
        refunded = await self._money.refund_or_owe(
            granted,
            "cancellation",
            clauses,
            "cancelled order",
            failed="cancellation_refund_failed",
            said="the cancellation's refund",
            patch=REFUND_FAILED,
        )
        return refunded if refunded is not None else Money.zero(self._ctx.policy.currency)

    async def _void_labels(self) -> None:
        """Labels bought for parcels the carrier has not collected are cancelled."""
        for parcel in self._ctx.order.shipments:
            if parcel.status is TrackingStatus.PRE_TRANSIT and not parcel.voided:
                await run(
                    CarrierActivities.void_shipping_label,
                    VoidLabel(order_id=self._ctx.order_id, label_id=parcel.label_id),
                    SHORT,
                    f"void label {parcel.tracking_number}",
                )
                parcel.voided = True
