"""ReturnWorkflow (`return-<rma_id>`, a child of its order): one return, from the request to
the refund, the replacement, the rejection or the lapse.

It reads as the return's timeline: requested, approved (by an operator where the policy
needs prior approval), the parcel sent back within the ship-back time, received, inspected
line by line, then replaced or refunded. The refund is decided and paid by the order, so that
every refund of one order is bounded by the same captured amount."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.decisions import Decision
    from domain.decisions.fulfilment import choose_carrier
    from domain.decisions.return_refunds import send_back
    from domain.decisions.rma import (
        ParcelNews,
        return_parcel_news,
        rma_ship_back,
    )
    from domain.orders import TrackingEvent
    from domain.returns import (
        ExchangeChoice,
        Inspection,
        InspectionResult,
        LineInspection,
        ParcelPlace,
        Resolution,
        ReturnReceipt,
        ReturnRefundPaid,
        ReturnReview,
        ReturnShipment,
        ReturnSnapshot,
        ReturnWorkflowInput,
    )
    from domain.status import ReturnStatus

from workflows import names
from workflows.returns.refund import ReturnRefund
from workflows.returns.state import ReturnContext
from workflows.returns.steps import ReturnSteps
from workflows.shared.deadlines import until

# A faulty item below the merchant's send-back value is settled where it is (KWO-DOA-2).
KEPT_PATCH = "faulty-item-kept-below-its-value"


@workflow.defn(name="ReturnWorkflow")
class ReturnWorkflow:
    @workflow.init
    def __init__(self, request: ReturnWorkflowInput) -> None:
        self._ctx = ReturnContext(request)
        self._steps = ReturnSteps(self._ctx)
        self._refund = ReturnRefund(self._ctx)
        self._p = self._ctx.progress

    @workflow.run
    async def run(self, request: ReturnWorkflowInput) -> ReturnSnapshot:
        ctx, snap = self._ctx, self._ctx.snapshot
        rules = ctx.policy.returns
        assert rules is not None
        rma_clauses = rules.rma.clauses if rules.rma else ()
        await ctx.record(
            "return_requested",
            ReturnStatus.REQUESTED,
            f"{request.reason.value} return of "
            + ", ".join(f"{line.quantity} x {line.sku}" for line in request.lines),
            request.clauses,
            deadlines={"return_window_closes_at": request.window_closes_at}
            if request.window_closes_at
            else None,
        )
        if request.needs_approval and not await self._approved(rma_clauses):
            return snap
        kept = send_back(ctx.policy, request.reason, request.lines)
        if not kept.allowed and workflow.patched(KEPT_PATCH):
            await self._kept(kept)
            return await self._settle(request)
        approved_at = workflow.now()
        lapse = rma_ship_back(ctx.policy, approved_at, None, approved_at)
        snap.ship_back_by = lapse.deadlines["ship_back_by"]
        if request.seller_label:
            carrier, _ = choose_carrier(ctx.policy, request.destination_country)
            await self._steps.return_label(carrier)
        await self._steps.approved(lapse.clauses)
        if not await until(
            lambda: self._p.sent_at is not None or self._p.arrived_by is not None,
            snap.ship_back_by,
            "ship-back deadline",
        ):
            late = rma_ship_back(ctx.policy, approved_at, None, workflow.now())
            return await self._steps.expire(late)
        await self._on_its_way(rma_clauses)
        await workflow.wait_condition(lambda: self._p.inspection is not None)
        await self._steps.inspected()
        return await self._settle(request)

    async def _approved(self, clauses: tuple[str, ...]) -> bool:
        """Wait for the operator's approval where the policy asks for one first; a rejected
        return ends here, with no refund."""
        ctx, snap = self._ctx, self._ctx.snapshot
        await ctx.email("return_requested")
        await ctx.task("return_approval", "approve or reject the return", clauses)
        await workflow.wait_condition(lambda: self._p.review is not None)
        review = self._p.review
        assert review is not None
        await ctx.task("return_approval", closed=True)
        if not review.approve:
            await ctx.record(
                "return_rejected",
                ReturnStatus.REJECTED,
                f"not approved by {review.operator}: no refund",
                clauses,
                details={"operator": review.operator},
            )
            await ctx.email("return_rejected")
            return False
        snap.approved_by = review.operator
        return True

    async def _on_its_way(self, clauses: tuple[str, ...]) -> None:
        """The parcel was sent: follow it until it arrives, an operator settling each loss."""
        ctx, snap = self._ctx, self._ctx.snapshot
        self._steps.place(ParcelPlace.IN_TRANSIT)
        await ctx.record(
            "return_sent",
            None,
            "the parcel is on its way back"
            + (f": {snap.carrier.value} {snap.tracking_number}" if snap.carrier else ""),
            clauses,
            details={"tracking_number": snap.tracking_number},
        )
        self._p.sent_recorded = True
        while self._p.arrived_by is None:
            await workflow.wait_condition(lambda: self._p.arrived_by is not None or self._p.lost)
            if self._p.arrived_by is None:
                await self._steps.parcel_lost()
                self._p.lost = False
        await self._steps.received(self._p.arrived_by)

    async def _settle(self, request: ReturnWorkflowInput) -> ReturnSnapshot:
        """The accepted lines replaced where the customer asked for it and stock allows,
        else the refund the order grants."""
        snap = self._ctx.snapshot
        accepted = [line for line in snap.lines if line.inspection is not InspectionResult.REJECTED]
        if accepted and request.resolution is not Resolution.REFUND:
            if await self._steps.replace(accepted):
                return snap
        await self._refund.refund()
        return snap

    async def _kept(self, decision: Decision) -> None:
        """Below the merchant's setting the customer keeps the item: the merchant takes the
        customer's word for the fault, as an inspection accepting every line would."""
        ctx, snap = self._ctx, self._ctx.snapshot
        self._p.inspection = Inspection(
            lines=[
                LineInspection(sku=line.sku, acceptable=True, defect_confirmed=True)
                for line in snap.lines
            ],
            operator=snap.approved_by or "",
            note="kept by the customer",
        )
        await ctx.record("return_kept", None, decision.reason, decision.clauses)
        await self._steps.inspected()

    # -- what the customer, operators and carriers tell ---------------------------------

    @workflow.query(name=names.QUERY_RETURN)
    def current(self) -> ReturnSnapshot:
        return self._ctx.snapshot

    @workflow.signal(name=names.SIGNAL_CARRIER_EVENT)
    def carrier_event(self, event: TrackingEvent) -> None:
        """The return parcel's scans: on its way, arrived at the merchant, or lost."""
        snap = self._ctx.snapshot
        if event.event_id in self._p.seen or event.tracking_number != snap.tracking_number:
            return
        self._p.seen.add(event.event_id)
        news = return_parcel_news(event.status)
        if news is ParcelNews.SENT and self._p.sent_at is None:
            self._p.sent_at = event.occurred_at
        elif news is ParcelNews.ARRIVED and self._p.arrived_by is None:
            self._p.sent_at = self._p.sent_at or event.occurred_at
            self._p.arrived_by = f"carrier {event.status.value} scan"
        elif news is ParcelNews.LOST:
            self._p.lost = True

    @workflow.signal(name=names.SIGNAL_RETURN_REFUND_PAID)
    def refund_paid(self, paid: ReturnRefundPaid) -> None:
        if paid.rma_id == self._ctx.rma_id and self._p.paid is None:
            self._p.paid = paid

    @workflow.update(name=names.UPDATE_REVIEW_RETURN)
    async def review(self, review: ReturnReview) -> ReturnSnapshot:
        """An operator approves or rejects a return that needs prior approval."""
        self._p.review = review
        await workflow.wait_condition(
            lambda: self._ctx.snapshot.status is not ReturnStatus.REQUESTED
        )
        return self._ctx.snapshot

    @review.validator
    def _may_review(self, review: ReturnReview) -> None:
        self._ctx.check_review(review)

    @workflow.update(name=names.UPDATE_RETURN_SHIPMENT)
    async def give_shipment(self, shipment: ReturnShipment) -> ReturnSnapshot:
        """The customer's tracking number and receipt for the parcel sent back (KWO-RMA-2)."""
        snap = self._ctx.snapshot
        snap.carrier, snap.tracking_number = shipment.carrier, shipment.tracking_number
        self._p.sent_at = self._p.sent_at or workflow.now()
        await workflow.wait_condition(lambda: self._p.sent_recorded)
        return snap

    @give_shipment.validator
    def _may_give_shipment(self, shipment: ReturnShipment) -> None:
        self._ctx.check_give_shipment(shipment)

    @workflow.update(name=names.UPDATE_RECEIVE_RETURN)
    async def receive(self, receipt: ReturnReceipt) -> ReturnSnapshot:
        """The warehouse scanned the parcel in (sent without a tracking number)."""
        self._p.arrived_by = receipt.operator
        await workflow.wait_condition(
            lambda: self._ctx.snapshot.status is not ReturnStatus.AWAITING_PARCEL
        )
        return self._ctx.snapshot

    @receive.validator
    def _may_receive(self, receipt: ReturnReceipt) -> None:
        self._ctx.check_receive(receipt)

    @workflow.update(name=names.UPDATE_INSPECT_RETURN)
    async def inspect(self, inspection: Inspection) -> ReturnSnapshot:
        """What an operator found, line by line; answered once the return is settled."""
        self._p.inspection = inspection
        await workflow.wait_condition(lambda: self._p.settled or self._p.choosing)
        return self._ctx.snapshot

    @inspect.validator
    def _may_inspect(self, inspection: Inspection) -> None:
        self._ctx.check_inspect(inspection)

    @workflow.update(name=names.UPDATE_CHOOSE_EXCHANGE)
    async def choose(self, choice: ExchangeChoice) -> ReturnSnapshot:
        """The customer's choice when the exchange is out of stock: another product, or the
        refund (CRD-RET-5)."""
        self._p.choice = choice
        await workflow.wait_condition(
            lambda: self._p.settled or (self._p.choosing and self._p.choice is None)
        )
        return self._ctx.snapshot

    @choose.validator
    def _may_choose(self, choice: ExchangeChoice) -> None:
        self._ctx.check_choose(choice)
