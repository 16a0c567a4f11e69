"""OrderWorkflow: one order, from payment to the close of its return window.

It reads as the order's timeline: paid, handed to the warehouse at the dispatch slot,
collected by the carrier, followed to delivery, the return window, completed. The payment,
fulfilment, parcel and cancellation contexts are components it composes, each with its own
state. Customers and operators act through updates whose validators decide at once from
`domain/`; a cancellation (the customer's, or "Request Cancellation" in the Web UI) is carried
out at the order's next checkpoint, so that it and a dispatch can never both happen.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.calendar import is_pinned
    from domain.chargebacks import ChargebackDecided, ChargebackDecision
    from domain.decisions.changes import cancellation, edit_window
    from domain.decisions.fraud import fraud_verdict
    from domain.decisions.payment import operator_refund, payment_retry
    from domain.errors import ErrorType
    from domain.orders import (
        AddressChange,
        AddressChanged,
        CancelOrigin,
        CancelOutcome,
        CancelRequest,
        FraudDecision,
        FraudOutcome,
        OperatorRefund,
        OperatorRefunded,
        OrderSnapshot,
        OrderWorkflowInput,
        OwnershipRejection,
        PaymentEvent,
        PaymentStep,
        ReshipOutcome,
        ReshipRequest,
        RetryPayment,
        TrackingEvent,
    )
    from domain.returns import ReturnOpened, ReturnRefundAsk, ReturnRequested
    from domain.status import OrderStatus
    from workflows import names
    from workflows.claims.desk import ClaimDesk
    from workflows.digital.desk import CardDesk
    from workflows.fulfilment.parcels import Parcels
    from workflows.fulfilment.workflow import Fulfilment, Leg
    from workflows.order.cancellation import Cancellations
    from workflows.order.edits import AddressEdits
    from workflows.order.state import OrderContext
    from workflows.order.steps import return_window
    from workflows.payment.money import MoneyMoves
    from workflows.payment.workflow import Paid, Payment
    from workflows.returns.desk import ReturnDesk
    from workflows.shared.refusals import refusal


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow:
    @workflow.init
    def __init__(self, order: OrderWorkflowInput) -> None:
        self._ctx = OrderContext(order)
        self._money = MoneyMoves(self._ctx)
        self._cancels = Cancellations(self._ctx, self._money)
        self._payment = Payment(self._ctx, self._money, self._cancels)
        self._edits = AddressEdits(self._ctx)
        self._fulfilment = Fulfilment(self._ctx, self._cancels, self._edits)
        self._parcels = Parcels(self._ctx, self._money, self._fulfilment)
        self._returns = ReturnDesk(self._ctx, self._money)
        self._cards = CardDesk(self._ctx, self._money, self._cancels)
        self._claims = ClaimDesk(self._ctx, self._money)
        self._payment_events: set[str] = set()
        self._cancelled_from_ui = False

    # -- the order's life ---------------------------------------------------------------

    @workflow.run
    async def run(self, order: OrderWorkflowInput) -> OrderSnapshot:
        life = asyncio.ensure_future(self._life())
        while not life.done():
            try:
                await asyncio.shield(life)
            except asyncio.CancelledError:
                if await self._cancels.from_operator():  # "Request Cancellation" in the Web UI
                    self._cancelled_from_ui = True
        self._payment.settle()
        await workflow.wait_condition(workflow.all_handlers_finished)
        for check in self._payment.provider.checks:
            await check
        if self._cancelled_from_ui and self._ctx.order.status is OrderStatus.CANCELLED:
            raise asyncio.CancelledError("cancelled by an operator")
        return life.result()

    async def _life(self) -> OrderSnapshot:
        ctx = self._ctx
        if not is_pinned(ctx.policy.calendar):
            raise ApplicationError(
                "the order's policy carries no pinned holiday dates",
                type=ErrorType.POLICY_NOT_PINNED,
            )
        paid = await self._payment.take()
        if paid is Paid.CANCEL:
            return await self._cancels.carry_out()
        if paid is Paid.UNPAID:
            return ctx.order
        await ctx.record(
            "paid",
            OrderStatus.PAID,
            f"payment of {ctx.input.total} captured",
            ctx.payment_clauses(),
            details={"payment_id": ctx.order.payment_id},
            deadlines={"paid_at": workflow.now()},
        )
        await ctx.email("order_confirmation")
        self._payment.set_step(OrderStatus.PAID)
        if self._cards.delivery.only:
            return await self._cards.alone()
        if self._cards.delivery.any:  # each line its own way: the cards beside the parcels
            asyncio.ensure_future(self._cards.life())
        if not await self._fulfilment.wait_for_slot():
            return await self._cancels.carry_out()
        await self._fulfilment.hand_over()
        while True:
            if await self._fulfilment.follow() is Leg.CANCEL:
                return await self._cancels.carry_out()
            status = ctx.order.status
            if status is OrderStatus.LOST and await self._parcels.lost():
                continue
            if status is OrderStatus.RETURNED_TO_SENDER and await self._parcels.came_back():
                continue
            break
        if ctx.order.status is OrderStatus.DELIVERED:
            await return_window(
                self._ctx,
                self._returns,
                lambda: self._cards.delivery.state.done and self._claims.open == 0,
            )
        return ctx.order

    # -- what the outside world tells ---------------------------------------------------

    @workflow.query(name=names.QUERY_ORDER)
    def order(self) -> OrderSnapshot:
        return self._ctx.order

    @workflow.signal(name=names.SIGNAL_CARRIER_EVENT)
    def carrier_event(self, event: TrackingEvent) -> None:
        self._fulfilment.note_scan(event)

    @workflow.signal(name=names.SIGNAL_PAYMENT_EVENT)
    def payment_event(self, event: PaymentEvent) -> None:
        """The provider's word on a payment, applied once per event ID."""
        if event.event_id not in self._payment_events:
            self._payment_events.add(event.event_id)
            self._payment.note_event(event)

    # -- payment ------------------------------------------------------------------------

    @workflow.update(name=names.UPDATE_PAYMENT_STEP)
    async def payment_step(self, attempt: int) -> PaymentStep:
        """Where the payment stands once attempt `attempt` needs the customer or is decided."""
        return await self._payment.step_of(attempt)

    @workflow.update(name=names.UPDATE_RETRY_PAYMENT)
    async def retry_payment(self, request: RetryPayment) -> PaymentStep:
        self._payment.state.retry = request
        return await self._payment.step_of(self._payment.state.attempt + 1)

    @retry_payment.validator
    def _may_retry(self, request: RetryPayment) -> None:
        state = self._payment.state
        decision = payment_retry(self._ctx.policy, state.attempt)
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.PAYMENT_RETRY_REFUSED)
        status = self._ctx.order.status
        if status is not OrderStatus.PAYMENT_FAILED or state.retry is not None or state.settled:
            raise refusal(
                f"the order is {status.value}: there is no failed payment to retry",
                decision.clauses,
                ErrorType.PAYMENT_RETRY_REFUSED,
            )

    @workflow.update(name=names.UPDATE_REVIEW_FRAUD)
    async def review_fraud(self, decision: FraudDecision) -> FraudOutcome:
        """An operator's verdict on an order held for review."""
        review = self._payment.review
        review.decision = decision
        await workflow.wait_condition(
            lambda: (
                review.outcome is not None
                and (
                    review.outcome.status is not OrderStatus.CANCELLED
                    or self._cancels.outcome is not None
                )
            )
        )
        assert review.outcome is not None
        return review.outcome

    @review_fraud.validator
    def _may_review(self, decision: FraudDecision) -> None:
        verdict = fraud_verdict(self._ctx.policy, decision.verdict.value)
        status = self._ctx.order.status
        if status is not OrderStatus.FRAUD_REVIEW or self._payment.review.decision is not None:
            raise refusal(
                f"the order is {status.value}: it is not held for review",
                verdict.clauses,
                ErrorType.REVIEW_REFUSED,
            )
        if not verdict.allowed:
            raise refusal(verdict.reason, verdict.clauses, ErrorType.REVIEW_REFUSED)

    @workflow.update(name=names.UPDATE_REJECT_CARD)
    async def reject_card_ownership(self, rejection: OwnershipRejection) -> CancelOutcome:
        """A paid order not yet shipped whose card is not the buyer's own is cancelled,
        refunded less the gateway's commission unless ownership is proven (CRD-DIG-2)."""
        self._cancels.ask_for_card_ownership(rejection.ownership_proven)
        return await self._cancels.settled()

    @reject_card_ownership.validator
    def _may_reject_card(self, rejection: OwnershipRejection) -> None:
        decision = self._cancels.card_ownership(self._cards.delivery.state.issued)
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.REVIEW_REFUSED)

    @workflow.update(name=names.UPDATE_DECIDE_CHARGEBACK)
    async def decide_chargeback(self, decision: ChargebackDecision) -> ChargebackDecided:
        return await self._payment.provider.decide_chargeback(decision)

    @decide_chargeback.validator
    def _may_decide_chargeback(self, decision: ChargebackDecision) -> None:
        self._payment.provider.may_decide_chargeback()

    @workflow.update(name=names.UPDATE_REFUND)
    async def refund(self, request: OperatorRefund) -> OperatorRefunded:
        """An operator gives money back, up to what is refundable, under its own ledger key."""
        refunded = await self._money.refund_for_operator(request)
        self._parcels.state.operator_refunds += 1
        return refunded

    @refund.validator
    def _may_refund(self, request: OperatorRefund) -> None:
        decision = operator_refund(
            self._ctx.policy, self._money.captured(), self._money.refunded(), request.amount
        )
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.REFUND_REFUSED)

    # -- customer actions ---------------------------------------------------------------

    @workflow.update(name=names.UPDATE_CHANGE_SHIPPING_ADDRESS)
    async def change_shipping_address(self, change: AddressChange) -> AddressChanged:
        return await self._edits.apply(change)

    @change_shipping_address.validator
    def _may_change_address(self, change: AddressChange) -> None:
        facts = self._ctx.facts(cancelling=self._cancels.requested)
        decision = edit_window(self._ctx.policy, facts, workflow.now())
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.EDIT_REFUSED)

    @workflow.update(name=names.UPDATE_CANCEL)
    async def cancel(self, request: CancelRequest) -> CancelOutcome:
        ctx = self._ctx
        self._cancels.ask(
            CancelOrigin.CUSTOMER, cancellation(ctx.policy, ctx.facts(), workflow.now())
        )
        return await self._cancels.settled()

    @cancel.validator
    def _may_cancel(self, request: CancelRequest) -> None:
        if self._cancels.requested:
            return  # a repeated request gets the same outcome
        decision = cancellation(self._ctx.policy, self._ctx.facts(), workflow.now()).decision
        if not decision.allowed or self._ctx.order.status.is_final:
            raise refusal(decision.reason, decision.clauses, ErrorType.CANCEL_REFUSED)

    @workflow.update(name=names.UPDATE_RESHIP)
    async def reship(self, request: ReshipRequest) -> ReshipOutcome:
        """Pay for a returned parcel to go out again, to the corrected address."""
        return await self._parcels.pay_reshipping(request)

    @reship.validator
    def _may_reship(self, request: ReshipRequest) -> None:
        decision = self._parcels.reshipping_open()
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.RESHIP_REFUSED)

    # -- returns ------------------------------------------------------------------------

    @workflow.update(name=names.UPDATE_REQUEST_RETURN)
    async def request_return(self, request: ReturnRequested) -> ReturnOpened:
        """A return of some lines: decided at once, then its own workflow, a child."""
        return await self._returns.start(request)

    @request_return.validator
    def _may_return(self, request: ReturnRequested) -> None:
        self._returns.check(request)

    @workflow.signal(name=names.SIGNAL_RETURN_REFUND)
    async def return_refund(self, ask: ReturnRefundAsk) -> None:
        """A return's inspected goods: its refund is decided and paid here."""
        await self._returns.settle(ask)
