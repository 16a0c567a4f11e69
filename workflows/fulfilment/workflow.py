"""Fulfilment as it happens: at the dispatch slot the warehouse takes the order and buys a
label per parcel with the merchant's pickup booked; the order has shipped when the carrier
collects it (its first scan), not when the label exists. Until then a cancellation the
policy allows still wins, and the labels are voided. Then scans are followed until every
parcel is delivered, or one is lost or comes back."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.carriers import CarrierActivities
    from activities.models import BuyLabel, PollTracking
    from domain.decisions import merged
    from domain.decisions.changes import edit_window
    from domain.decisions.fulfilment import (
        carrier_quiet_for,
        choose_carrier,
        customs_notice,
        delivery_estimate,
        dispatch_slot,
        parcels,
        pickup_at,
        tracking_email_deadline,
    )
    from domain.decisions.tracking import apply_scan
    from domain.orders import Shipment, TrackingEvent
    from domain.status import OrderStatus, TrackingStatus

from workflows.fulfilment.edits import AddressEdits
from workflows.fulfilment.state import FulfilmentState, Leg
from workflows.names import CARRIER
from workflows.shared.cancels import Cancels
from workflows.shared.deadlines import until, within
from workflows.shared.options import POLL, SHORT, run
from workflows.shared.order import OrderContext

# A label the carrier refuses for good leaves the order to an operator's cancellation.
LABEL_REFUSED = "label-refusal-waits-for-an-operator"
ENDED = (OrderStatus.DELIVERED, OrderStatus.LOST, OrderStatus.RETURNED_TO_SENDER)


class Fulfilment:
    def __init__(self, ctx: OrderContext, cancels: Cancels, edits: AddressEdits) -> None:
        self._ctx, self._cancels, self._edits = ctx, cancels, edits
        self.state = FulfilmentState()

    def note_scan(self, event: TrackingEvent) -> None:
        if event.event_id not in self.state.seen:
            self.state.seen.add(event.event_id)
            self.state.inbox.append(event)

    async def wait_for_slot(self) -> bool:
        """Schedule the handover and wait for it; False when a cancellation came first."""
        ctx = self._ctx
        slot = dispatch_slot(ctx.policy, workflow.now())
        ctx.order.dispatch_at = slot.at
        closes = edit_window(ctx.policy, ctx.facts(), workflow.now()).deadlines
        ctx.order.edit_window_closes_at = closes.get("edit_window_closes_at")
        await ctx.record(
            "dispatch_scheduled",
            None,
            f"handed to the warehouse at {slot.at.isoformat()}",
            slot.clauses or ctx.payment_clauses(),
            deadlines={"dispatch_at": slot.at, **closes},
        )
        await until(lambda: self._cancels.requested, slot.at, "dispatch slot")
        await workflow.wait_condition(lambda: self._edits.running == 0)
        return not self._cancels.requested

    async def hand_over(self) -> bool:
        """The warehouse takes the order: a label per parcel, the pickup booked. False when a
        label was refused for good and the order is to be cancelled instead."""
        ctx, state = self._ctx, self.state
        ctx.order.fulfilment_started_at = workflow.now()
        state.carrier, carrier_clauses = choose_carrier(ctx.policy, ctx.input.destination_country)
        tracking = ctx.policy.shipping.tracking if ctx.policy.shipping else None
        # the slot, not the moment the handover ran: a cut-off's orders leave at that cut-off
        pickup = pickup_at(ctx.policy, min(ctx.order.dispatch_at or workflow.now(), workflow.now()))
        state.clauses = merged(
            pickup.clauses, carrier_clauses, tracking.clauses if tracking else ()
        )
        state.clauses = state.clauses or ctx.payment_clauses()
        ctx.order.pickup_at = pickup.at
        await ctx.record(
            "fulfilment_started",
            OrderStatus.FULFILLING,
            f"handed to the warehouse; {state.carrier.value} collects at {pickup.at.isoformat()}",
            state.clauses,
            deadlines={"pickup_at": pickup.at},
        )
        for parcel_no in parcels(ctx.lines):
            try:
                await self.label(parcel_no, parcel_no)
            except ActivityError as err:
                if not workflow.patched(LABEL_REFUSED):
                    raise
                await self._label_refused(parcel_no, err)
                return False
        return True

    async def _label_refused(self, parcel_no: int, err: ActivityError) -> None:
        """The carrier refuses a parcel's label for good: nothing leaves, an operator is asked
        to cancel the order (refunded as the policy grants), and the order waits for that."""
        ctx, clauses = self._ctx, self.state.clauses
        await ctx.record(
            "label_refused",
            None,
            f"the carrier refused the label of parcel {parcel_no} for good ({err.cause or err}):"
            " the order waits for an operator",
            clauses,
        )
        summary = "the carrier refused the label for good: cancel the order (refunded as the policy grants)"
        await ctx.task("label_refused", summary, clauses)
        await workflow.wait_condition(lambda: self._cancels.requested)
        await ctx.task("label_refused", closed=True)

    async def label(self, parcel_no: int, label_no: int) -> Shipment:
        """Buy a label for one parcel, with the carrier's pickup booked."""
        ctx = self._ctx
        assert self.state.carrier is not None
        label = await run(
            CarrierActivities.buy_shipping_label,
            BuyLabel(
                order_id=ctx.order_id,
                carrier=self.state.carrier,
                idempotency_key=f"{ctx.order_id}:label:{label_no}",
                pickup_at=ctx.order.pickup_at,
            ),
            SHORT,
            f"buy {self.state.carrier.value} label",
        )
        shipment = Shipment(
            carrier=label.carrier,
            label_id=label.label_id,
            tracking_number=label.tracking_number,
            parcel=parcel_no,
        )
        ctx.order.shipments.append(shipment)
        workflow.upsert_search_attributes([CARRIER.value_set(label.carrier.value)])
        return shipment

    async def announce(self, shipment: Shipment, status: OrderStatus | None = None) -> None:
        """Tell the customer a parcel's tracking number, within the policy's promise (from the
        handover, or for a replacement parcel from its label)."""
        ctx = self._ctx
        first = shipment.tracking_number == ctx.order.shipments[0].tracking_number
        since = ctx.order.fulfilment_started_at if first else None
        promise = tracking_email_deadline(ctx.policy, since or workflow.now())
        await ctx.record(
            "shipped",
            status,
            f"{shipment.carrier.value} has parcel {shipment.parcel}, tracking {shipment.tracking_number}",
            self.state.clauses,
            details={"tracking_number": shipment.tracking_number},
            deadlines={"tracking_email_by": promise.at} if promise else None,
        )
        customs = customs_notice(ctx.policy, ctx.input.destination_country)
        facts: dict[str, Any] = {
            "carrier": shipment.carrier.value,
            "tracking_number": shipment.tracking_number,
        }
        if customs.allowed:
            facts["customs_notice"] = customs.reason
        await ctx.email("shipment_tracking", facts, key=None if first else shipment.tracking_number)
        if promise is not None and workflow.now() > promise.at:
            await ctx.record(
                "tracking_email_late",
                None,
                f"tracking e-mail for {shipment.tracking_number} sent after {promise.at.isoformat()}",
                promise.clauses,
            )

    async def follow(self) -> Leg:
        """Apply scans until every parcel is delivered, or one is lost or sent back. Before
        the carrier collects anything, a cancellation ends the leg, and so does the
        cancellation of every line the parcels carried (their labels voided)."""
        ctx = self._ctx
        while ctx.order.status not in ENDED:
            if ctx.order.shipments and all(s.voided for s in ctx.order.shipments):
                return Leg.ENDED
            if ctx.order.shipped_at is None and self._cancels.requested:
                return Leg.CANCEL
            await self._wait_for_scans()
            events, self.state.inbox = self.state.inbox, []
            for event in sorted(events, key=lambda e: e.occurred_at):
                await self._apply(event)
        return Leg.ENDED

    async def _apply(self, event: TrackingEvent) -> None:
        ctx = self._ctx
        outcome = apply_scan(ctx.order, event, workflow.now())
        if outcome is None:
            return
        shipped = ctx.order.shipped_at is None and outcome.order.shipped_at is not None
        ctx.order = outcome.order
        if outcome.status is not None:
            await ctx.record(
                f"tracking_{event.status.value}",
                outcome.status,
                outcome.summary,
                self.state.clauses,
                details={"tracking_number": event.tracking_number, "event_id": event.event_id},
            )
        if shipped:
            for shipment in ctx.order.shipments:
                if not shipment.voided:
                    await self.announce(shipment)

    async def _wait_for_scans(self) -> None:
        """Wait for the carrier's scans. Past the delivery estimate the customer is told,
        once; when the carrier has been silent too long, it is asked."""
        ctx, order = self._ctx, self._ctx.order
        policy = ctx.policy
        estimate = delivery_estimate(policy, order.shipped_at) if order.shipped_at else None
        watch_late = estimate is not None and not order.late
        late_after = estimate.latest if estimate is not None and watch_late else None
        timeout = carrier_quiet_for(
            policy, workflow.now(), order.shipped_at, order.pickup_at, late_after
        )
        heard = await within(
            lambda: (
                bool(self.state.inbox)
                or (ctx.order.shipped_at is None and self._cancels.requested)
                or all(s.voided for s in ctx.order.shipments)
            ),
            timeout,
            "carrier quiet",
        )
        if heard:
            return
        if estimate is not None and watch_late and workflow.now() >= estimate.latest:
            order.late = True
            expected = estimate.latest
            await ctx.record(
                "parcel_late",
                None,
                f"not delivered by {expected.isoformat(timespec='minutes')}",
                estimate.clauses,
                deadlines={"delivery_expected_by": expected},
            )
            for parcel in order.shipments:
                await ctx.email(
                    "parcel_late",
                    {
                        "tracking_number": parcel.tracking_number,
                        "expected_by": expected.isoformat(timespec="minutes"),
                    },
                    key=parcel.tracking_number,
                )
            return
        await self._ask_carrier()

    async def _ask_carrier(self) -> None:
        order = self._ctx.order
        waiting = [
            s.tracking_number
            for s in order.shipments
            if s.status != TrackingStatus.DELIVERED and not s.replaced and not s.voided
        ]
        scans = await run(
            CarrierActivities.poll_tracking,
            PollTracking(order_id=self._ctx.order_id, tracking_numbers=waiting),
            POLL,
            "ask the carrier",
        )
        known = {s.value for s in TrackingStatus}
        for scan in scans:
            if scan.status in known:
                self.state.inbox.append(
                    TrackingEvent(
                        event_id=f"poll:{scan.tracking_number}:{scan.status}",
                        tracking_number=scan.tracking_number,
                        status=TrackingStatus(scan.status),
                        occurred_at=workflow.now(),
                        reason=scan.reason,
                    )
                )
