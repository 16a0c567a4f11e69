"""ReturnWorkflow (`return-<rma_id>`, a child of its order): one return, from the request to
the refund, the replacement, the rejection or the lapse.

It reads as the return's timeline: requested, approved (by an operator where the policy
needs prior approval), the parcel sent back within the ship-back time, received, inspected
line by line, then replaced or refunded. The refund is decided and paid by the order, so that
every refund of one order is bounded by the same captured amount."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.decisions import Decision
    from domain.decisions.fulfilment import choose_carrier
    from domain.decisions.return_refunds import send_back
    from domain.decisions.rma import rma_ship_back
    from domain.errors import ErrorType
    from domain.orders import TrackingEvent
    from domain.policy.returns import FAULT_REASONS
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
    from domain.status import ReturnStatus, TrackingStatus
    from workflows import names
    from workflows.returns.state import ReturnContext
    from workflows.returns.steps import ReturnSteps
    from workflows.shared.deadlines import until
    from workflows.shared.refusals import refusal

# A faulty item below the merchant's send-back value is settled where it is (KWO-DOA-2).
KEPT_PATCH = "faulty-item-kept-below-its-value"

SENT_SCANS = {
    TrackingStatus.PICKED_UP,
    TrackingStatus.IN_TRANSIT,
    TrackingStatus.OUT_FOR_DELIVERY,
    TrackingStatus.EXCEPTION,
}


@workflow.defn(name="ReturnWorkflow")
class ReturnWorkflow:
    @workflow.init
    def __init__(self, request: ReturnWorkflowInput) -> None:
        self._ctx = ReturnContext(request)
        self._steps = ReturnSteps(self._ctx)
        self._review: ReturnReview | None = None
        self._sent_at: datetime | None = None
        self._arrived_by: str | None = None
        self._lost = False
        self._seen: set[str] = set()
        self._sent_recorded = False

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
        if request.needs_approval:
            await ctx.email("return_requested")
            await ctx.task("return_approval", "approve or reject the return", rma_clauses)
            await workflow.wait_condition(lambda: self._review is not None)
            assert self._review is not None
            await ctx.task("return_approval", closed=True)
            if not self._review.approve:
                await ctx.record(
                    "return_rejected",
                    ReturnStatus.REJECTED,
                    f"not approved by {self._review.operator}: no refund",
                    rma_clauses,
                    details={"operator": self._review.operator},
                )
                await ctx.email("return_rejected")
                return snap
            snap.approved_by = self._review.operator
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
            lambda: self._sent_at is not None or self._arrived_by is not None,
            snap.ship_back_by,
            "ship-back deadline",
        ):
            late = rma_ship_back(ctx.policy, approved_at, None, workflow.now())
            return await self._steps.expire(late)
        self._steps.place(ParcelPlace.IN_TRANSIT)
        await ctx.record(
            "return_sent",
            None,
            "the parcel is on its way back"
            + (f": {snap.carrier.value} {snap.tracking_number}" if snap.carrier else ""),
            rma_clauses,
            details={"tracking_number": snap.tracking_number},
        )
        self._sent_recorded = True
        while self._arrived_by is None:
            await workflow.wait_condition(lambda: self._arrived_by is not None or self._lost)
            if self._arrived_by is None:
                await self._steps.parcel_lost()
                self._lost = False
        await self._steps.received(self._arrived_by)
        await workflow.wait_condition(lambda: self._steps.inspection is not None)
        await self._steps.inspected()
        return await self._settle(request)

    async def _settle(self, request: ReturnWorkflowInput) -> ReturnSnapshot:
        """The accepted lines replaced where the customer asked for it and stock allows,
        else the refund the order grants."""
        snap = self._ctx.snapshot
        accepted = [line for line in snap.lines if line.inspection is not InspectionResult.REJECTED]
        if accepted and request.resolution is not Resolution.REFUND:
            if await self._steps.replace(accepted):
                return snap
        await self._steps.refund()
        return snap

    async def _kept(self, decision: Decision) -> None:
        """Below the merchant's setting the customer keeps the item: the merchant takes the
        customer's word for the fault, as an inspection accepting every line would."""
        ctx, snap = self._ctx, self._ctx.snapshot
        self._steps.inspection = Inspection(
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
        if event.event_id in self._seen or event.tracking_number != snap.tracking_number:
            return
        self._seen.add(event.event_id)
        if event.status in SENT_SCANS and self._sent_at is None:
            self._sent_at = event.occurred_at
        elif event.status is TrackingStatus.DELIVERED and self._arrived_by is None:
            self._sent_at = self._sent_at or event.occurred_at
            self._arrived_by = f"carrier {event.status.value} scan"
        elif event.status in (TrackingStatus.LOST, TrackingStatus.RETURN_TO_SENDER):
            self._lost = True

    @workflow.signal(name=names.SIGNAL_RETURN_REFUND_PAID)
    def refund_paid(self, paid: ReturnRefundPaid) -> None:
        if paid.rma_id == self._ctx.rma_id and self._steps.paid is None:
            self._steps.paid = paid

    @workflow.update(name=names.UPDATE_REVIEW_RETURN)
    async def review(self, review: ReturnReview) -> ReturnSnapshot:
        """An operator approves or rejects a return that needs prior approval."""
        self._review = review
        await workflow.wait_condition(
            lambda: self._ctx.snapshot.status is not ReturnStatus.REQUESTED
        )
        return self._ctx.snapshot

    @review.validator
    def _may_review(self, review: ReturnReview) -> None:
        rules = self._ctx.policy.returns
        clauses = rules.rma.clauses if rules and rules.rma else ()
        if not self._ctx.input.needs_approval:
            raise refusal(
                "this return needed no approval: it was approved at once",
                clauses,
                ErrorType.RETURN_REFUSED,
            )
        if self._review is not None:
            raise refusal(
                f"the return is {self._ctx.snapshot.status.value}: already reviewed",
                (),
                ErrorType.RETURN_REFUSED,
            )

    @workflow.update(name=names.UPDATE_RETURN_SHIPMENT)
    async def give_shipment(self, shipment: ReturnShipment) -> ReturnSnapshot:
        """The customer's tracking number and receipt for the parcel sent back (KWO-RMA-2)."""
        snap = self._ctx.snapshot
        snap.carrier, snap.tracking_number = shipment.carrier, shipment.tracking_number
        self._sent_at = self._sent_at or workflow.now()
        await workflow.wait_condition(lambda: self._sent_recorded)
        return snap

    @give_shipment.validator
    def _may_give_shipment(self, shipment: ReturnShipment) -> None:
        snap = self._ctx.snapshot
        rules = self._ctx.policy.returns
        clauses = rules.rma.clauses if rules and rules.rma else ()
        if snap.status is not ReturnStatus.AWAITING_PARCEL or self._sent_at is not None:
            raise refusal(
                f"the return is {snap.status.value}: it is not waiting for a parcel",
                clauses,
                ErrorType.RETURN_REFUSED,
            )
        if self._ctx.input.seller_label:
            raise refusal(
                "this return travels on the seller's return label",
                clauses,
                ErrorType.RETURN_REFUSED,
            )

    @workflow.update(name=names.UPDATE_RECEIVE_RETURN)
    async def receive(self, receipt: ReturnReceipt) -> ReturnSnapshot:
        """The warehouse scanned the parcel in (sent without a tracking number)."""
        self._arrived_by = receipt.operator
        await workflow.wait_condition(
            lambda: self._ctx.snapshot.status is not ReturnStatus.AWAITING_PARCEL
        )
        return self._ctx.snapshot

    @receive.validator
    def _may_receive(self, receipt: ReturnReceipt) -> None:
        snap = self._ctx.snapshot
        if snap.status is not ReturnStatus.AWAITING_PARCEL or self._arrived_by is not None:
            raise refusal(
                f"the return is {snap.status.value}: it is not waiting for a parcel",
                (),
                ErrorType.RETURN_REFUSED,
            )

    @workflow.update(name=names.UPDATE_INSPECT_RETURN)
    async def inspect(self, inspection: Inspection) -> ReturnSnapshot:
        """What an operator found, line by line; answered once the return is settled."""
        self._steps.inspection = inspection
        await workflow.wait_condition(lambda: self._steps.settled or self._steps.choosing)
        return self._ctx.snapshot

    @inspect.validator
    def _may_inspect(self, inspection: Inspection) -> None:
        snap = self._ctx.snapshot
        if snap.status is not ReturnStatus.RECEIVED or self._steps.inspection is not None:
            raise refusal(
                f"the return is {snap.status.value}: nothing to inspect",
                (),
                ErrorType.RETURN_REFUSED,
            )
        given = [line.sku for line in inspection.lines]
        expected = [line.sku for line in snap.lines]
        if sorted(given) != sorted(expected):
            raise refusal(
                "inspect each returned line once: " + ", ".join(expected),
                (),
                ErrorType.RETURN_REFUSED,
            )
        fault = snap.reason in FAULT_REASONS
        if fault and any(line.defect_confirmed is None for line in inspection.lines):
            raise refusal(
                "say for each line whether the reported problem was confirmed",
                (),
                ErrorType.RETURN_REFUSED,
            )

    @workflow.update(name=names.UPDATE_CHOOSE_EXCHANGE)
    async def choose(self, choice: ExchangeChoice) -> ReturnSnapshot:
        """The customer's choice when the exchange is out of stock: another product, or the
        refund (CRD-RET-5)."""
        self._steps.choice = choice
        await workflow.wait_condition(
            lambda: self._steps.settled or (self._steps.choosing and self._steps.choice is None)
        )
        return self._ctx.snapshot

    @choose.validator
    def _may_choose(self, choice: ExchangeChoice) -> None:
        if not self._steps.choosing or self._steps.choice is not None:
            raise refusal(
                "the return is not waiting for the customer's choice", (), ErrorType.RETURN_REFUSED
            )
        if choice.refund == (choice.sku is not None):
            raise refusal(
                "choose either the refund or another product's SKU", (), ErrorType.RETURN_REFUSED
            )
