"""OrderWorkflow: one order, from payment to the close of its return window.

Its life is in `steps.py`; its state, one part per context, in `state.py`. This class declares
every signal, update and query the order answers. Customers and operators act through updates
whose validators decide at once from `domain/`; a cancellation (the customer's, or "Request
Cancellation" in the Web UI) is carried out at the order's next checkpoint, so that it and a
dispatch can never both happen.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.chargebacks import ChargebackDecided, ChargebackDecision
    from domain.claims import ClaimFiled, ClaimRefundAsk, ClaimStarted
    from domain.decisions.changes import cancellation, edit_window
    from domain.decisions.claims import ClaimOpening
    from domain.decisions.line_edits import Judged
    from domain.digital import (
        CardEvent,
        DigitalCard,
        FaultyCardAnswer,
        FaultyCardDecision,
        FaultyCardReport,
        PurchaseVerification,
        VerificationOutcome,
    )
    from domain.edits import EditApproval, LineEdit, LineEdited, PartialCancel, PartlyCancelled
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
from workflows.order.state import OrderState
from workflows.order.steps import life
from workflows.shared.refusals import refusal


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow:
    @workflow.init
    def __init__(self, order: OrderWorkflowInput) -> None:
        self._s = OrderState.of(order)

    @workflow.run
    async def run(self, order: OrderWorkflowInput) -> OrderSnapshot:
        s = self._s
        living = asyncio.ensure_future(life(s))
        while not living.done():
            try:
                await asyncio.shield(living)
            except asyncio.CancelledError:
                if await s.cancels.from_operator():  # "Request Cancellation" in the Web UI
                    s.cancelled_from_ui = True
        s.payment.settle()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await s.order.sent()
        for check in s.payment.provider.checks:
            await check
        if s.cancelled_from_ui and s.order.order.status is OrderStatus.CANCELLED:
            raise asyncio.CancelledError("cancelled by an operator")
        return living.result()

    # -- what the outside world tells ---------------------------------------------------

    @workflow.query(name=names.QUERY_ORDER)
    def order(self) -> OrderSnapshot:
        return self._s.order.order

    @workflow.signal(name=names.SIGNAL_CARRIER_EVENT)
    def carrier_event(self, event: TrackingEvent) -> None:
        self._s.fulfilment.note_scan(event)

    @workflow.signal(name=names.SIGNAL_PAYMENT_EVENT)
    def payment_event(self, event: PaymentEvent) -> None:
        """The provider's word on a payment, applied once per event ID."""
        if event.event_id not in self._s.payment_events:
            self._s.payment_events.add(event.event_id)
            self._s.payment.note_event(event)

    @workflow.signal(name=names.SIGNAL_CARD_EVENT)
    def card_event(self, event: CardEvent) -> None:
        """The card issuer's word on one of the order's gift cards."""
        self._s.cards.delivery.note_event(event)

    # -- payment ------------------------------------------------------------------------

    @workflow.update(name=names.UPDATE_PAYMENT_STEP)
    async def payment_step(self, attempt: int) -> PaymentStep:
        """Where the payment stands once attempt `attempt` needs the customer or is decided."""
        return await self._s.payment.step_of(attempt)

    @workflow.update(name=names.UPDATE_RETRY_PAYMENT)
    async def retry_payment(self, request: RetryPayment) -> PaymentStep:
        return await self._s.payment.retry(request)

    @retry_payment.validator
    def _may_retry(self, request: RetryPayment) -> None:
        self._s.payment.check_retry()

    @workflow.update(name=names.UPDATE_REVIEW_FRAUD)
    async def review_fraud(self, decision: FraudDecision) -> FraudOutcome:
        """An operator's verdict on an order held for review."""
        outcome = await self._s.payment.review.decide(decision)
        if outcome.status is OrderStatus.CANCELLED:
            await self._s.cancels.settled()
        return outcome

    @review_fraud.validator
    def _may_review(self, decision: FraudDecision) -> None:
        self._s.payment.review.check(decision)

    @workflow.update(name=names.UPDATE_REJECT_CARD)
    async def reject_card_ownership(self, rejection: OwnershipRejection) -> CancelOutcome:
        """A paid order not yet shipped whose card is not the buyer's own is cancelled,
        refunded less the gateway's commission unless ownership is proven (CRD-DIG-2)."""
        self._s.cancels.ask_for_card_ownership(rejection.ownership_proven)
        return await self._s.cancels.settled()

    @reject_card_ownership.validator
    def _may_reject_card(self, rejection: OwnershipRejection) -> None:
        decision = self._s.cancels.card_ownership(self._s.cards.issued)
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.REVIEW_REFUSED)

    @workflow.update(name=names.UPDATE_DECIDE_CHARGEBACK)
    async def decide_chargeback(self, decision: ChargebackDecision) -> ChargebackDecided:
        return await self._s.payment.provider.decide_chargeback(decision)

    @decide_chargeback.validator
    def _may_decide_chargeback(self, decision: ChargebackDecision) -> None:
        self._s.payment.provider.may_decide_chargeback()

    @workflow.update(name=names.UPDATE_REFUND)
    async def refund(self, request: OperatorRefund) -> OperatorRefunded:
        """An operator gives money back, up to what is refundable, under its own ledger key."""
        refunded = await self._s.money.refund_for_operator(request)
        self._s.parcels.note_operator_refund()
        return refunded

    @refund.validator
    def _may_refund(self, request: OperatorRefund) -> None:
        self._s.money.check_operator_refund(request)

    # -- customer actions ---------------------------------------------------------------

    @workflow.update(name=names.UPDATE_CHANGE_SHIPPING_ADDRESS)
    async def change_shipping_address(self, change: AddressChange) -> AddressChanged:
        return await self._s.edits.apply(change)

    @change_shipping_address.validator
    def _may_change_address(self, change: AddressChange) -> None:
        ctx = self._s.order
        decision = edit_window(ctx.policy, ctx.facts(self._s.cancels.requested), workflow.now())
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.EDIT_REFUSED)

    @workflow.query(name=names.QUERY_PREVIEW_EDIT)
    def preview_edit(self, edit: LineEdit) -> Judged:
        """What an edit of the lines would make of the order now; nothing changes."""
        return self._s.line_edits.judge(edit)

    @workflow.update(name=names.UPDATE_EDIT_LINES)
    async def edit_lines(self, edit: LineEdit) -> LineEdited:
        """Change what the order bought within the edit window, the difference settled."""
        return await self._s.line_edits.apply(edit)

    @edit_lines.validator
    def _may_edit_lines(self, edit: LineEdit) -> None:
        self._s.line_edits.check(edit)

    @workflow.update(name=names.UPDATE_ANSWER_EDIT)
    async def answer_edit(self, approval: EditApproval) -> LineEdited:
        """The customer approves or refuses an operator's edit that raises the total."""
        return await self._s.line_edits.approvals.answer(approval)

    @answer_edit.validator
    def _may_answer_edit(self, approval: EditApproval) -> None:
        self._s.line_edits.approvals.check(approval)

    @workflow.update(name=names.UPDATE_CANCEL_LINES)
    async def cancel_lines(self, ask: PartialCancel) -> PartlyCancelled:
        """Cancel some lines before the carrier collects them, refunded by the policy."""
        return await self._s.line_cancels.carry_out(ask)

    @cancel_lines.validator
    def _may_cancel_lines(self, ask: PartialCancel) -> None:
        self._s.line_cancels.check(ask)

    @workflow.update(name=names.UPDATE_CANCEL)
    async def cancel(self, request: CancelRequest) -> CancelOutcome:
        ctx = self._s.order
        decided = cancellation(ctx.policy, ctx.facts(), workflow.now())
        self._s.cancels.ask(CancelOrigin.CUSTOMER, decided)
        return await self._s.cancels.settled()

    @cancel.validator
    def _may_cancel(self, request: CancelRequest) -> None:
        if self._s.cancels.requested:
            return  # a repeated request gets the same outcome
        ctx = self._s.order
        decision = cancellation(ctx.policy, ctx.facts(), workflow.now()).decision
        if not decision.allowed or ctx.order.status.is_final:
            raise refusal(decision.reason, decision.clauses, ErrorType.CANCEL_REFUSED)

    @workflow.update(name=names.UPDATE_RESHIP)
    async def reship(self, request: ReshipRequest) -> ReshipOutcome:
        """Pay for a returned parcel to go out again, to the corrected address."""
        return await self._s.parcels.pay_reshipping(request)

    @reship.validator
    def _may_reship(self, request: ReshipRequest) -> None:
        decision = self._s.parcels.reshipping_open()
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.RESHIP_REFUSED)

    # -- gift cards ---------------------------------------------------------------------

    @workflow.query(name=names.QUERY_DIGITAL_CARDS)
    def digital_cards(self) -> list[DigitalCard]:
        return self._s.cards.cards()

    @workflow.update(name=names.UPDATE_VERIFY_PURCHASE)
    async def verify_digital_purchase(self, check: PurchaseVerification) -> VerificationOutcome:
        return await self._s.cards.verify(check)

    @verify_digital_purchase.validator
    def _may_verify(self, check: PurchaseVerification) -> None:
        self._s.cards.check_verify(check)

    @workflow.update(name=names.UPDATE_REPORT_FAULTY_CARD)
    async def report_faulty_card(self, report: FaultyCardReport) -> FaultyCardAnswer:
        return await self._s.cards.care.report(report)

    @report_faulty_card.validator
    def _may_report(self, report: FaultyCardReport) -> None:
        self._s.cards.care.check_report(report)

    @workflow.update(name=names.UPDATE_RESOLVE_FAULTY_CARD)
    async def resolve_faulty_card(self, decision: FaultyCardDecision) -> FaultyCardAnswer:
        return await self._s.cards.care.resolve(decision)

    @resolve_faulty_card.validator
    def _may_resolve(self, decision: FaultyCardDecision) -> None:
        self._s.cards.care.check_decision(decision)

    # -- returns and claims, each a child workflow --------------------------------------

    @workflow.update(name=names.UPDATE_REQUEST_RETURN)
    async def request_return(self, request: ReturnRequested) -> ReturnOpened:
        """A return of some lines: decided at once, then its own workflow, a child."""
        return await self._s.returns.start(request)

    @request_return.validator
    def _may_return(self, request: ReturnRequested) -> None:
        self._s.returns.check(request)

    @workflow.signal(name=names.SIGNAL_RETURN_REFUND)
    async def return_refund(self, ask: ReturnRefundAsk) -> None:
        """A return's inspected goods: its refund is decided and paid here."""
        await self._s.returns.settle(ask)

    @workflow.update(name=names.UPDATE_OPEN_CLAIM)
    async def open_claim(self, filed: ClaimFiled) -> ClaimStarted:
        """A claim of the order: decided at once, then its own workflow, a child."""
        return await self._s.claims.start(filed)

    @open_claim.validator
    def _may_claim(self, filed: ClaimFiled) -> ClaimOpening | None:
        return self._s.claims.check(filed)

    @workflow.signal(name=names.SIGNAL_CLAIM_REFUND)
    async def claim_refund(self, ask: ClaimRefundAsk) -> None:
        """A claim's refund: paid here, bounded by what remains refundable."""
        await self._s.claims.settle(ask)
