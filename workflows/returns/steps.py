"""The steps of a return after its request: the approval and its e-mail (with the seller's
label where the seller pays), the lapse, the parcel's arrival, inspection, and the way it
ends: a replacement from stock, or the refund its order grants."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.carriers import CarrierActivities
    from activities.models import BuyLabel, ReserveReplacement, VoidLabel
    from activities.store import StoreActivities
    from domain.decisions import Decision, merged
    from domain.decisions.fulfilment import choose_carrier
    from domain.decisions.return_lines import exchange_out_of_stock
    from domain.decisions.return_refunds import inspection_result
    from domain.policy import Carrier
    from domain.returns import (
        ParcelPlace,
        Resolution,
        ReturnLine,
        ReturnSnapshot,
        inspected_items,
    )
    from domain.status import ReturnStatus

from workflows.returns.state import ReturnContext
from workflows.shared.options import SHORT, run


class ReturnSteps:
    def __init__(self, ctx: ReturnContext) -> None:
        self._ctx, self._p = ctx, ctx.progress

    @property
    def _rules(self) -> Any:
        assert self._ctx.policy.returns is not None
        return self._ctx.policy.returns

    def place(self, place: ParcelPlace) -> None:
        for line in self._ctx.snapshot.lines:
            line.parcel = place

    async def return_label(self, carrier: Carrier) -> None:
        """The seller's return label, billed to its own courier account (PAR-RET-7)."""
        ctx, snap = self._ctx, self._ctx.snapshot
        address = self._rules.address
        label = await run(
            CarrierActivities.buy_shipping_label,
            BuyLabel(
                order_id=ctx.input.order_id,
                carrier=carrier,
                idempotency_key=f"{ctx.input.order_id}:label:return:{ctx.rma_id}",
                return_to=address.model_dump() if address else None,
            ),
            SHORT,
            "buy the seller's return label",
        )
        snap.carrier, snap.tracking_number, snap.label_id = (
            label.carrier,
            label.tracking_number,
            label.label_id,
        )

    async def approved(self, lapse_clauses: tuple[str, ...]) -> None:
        """Approved: the return address and instructions (KWO-RMA-6, CRD-RET-4), the label
        where the seller pays, and the time left to send the goods (PAR-RET-4)."""
        ctx, snap = self._ctx, self._ctx.snapshot
        rules = self._rules
        assert snap.ship_back_by is not None
        shipping = rules.shipping.clauses if rules.shipping else ()
        clauses = merged(rules.rma.clauses if rules.rma else (), shipping, lapse_clauses)
        by = f"approved by {snap.approved_by}" if snap.approved_by else "approved at once"
        await ctx.record(
            "return_approved",
            ReturnStatus.AWAITING_PARCEL,
            f"{by}; to be sent by {snap.ship_back_by.isoformat()}",
            clauses,
            details={"operator": snap.approved_by, "return_label": snap.tracking_number},
            deadlines={"ship_back_by": snap.ship_back_by},
        )
        await ctx.email(
            "return_approved",
            {
                "address": rules.address.model_dump() if rules.address else None,
                "ship_back_by": snap.ship_back_by.isoformat(),
                "label": {"carrier": snap.carrier.value, "tracking_number": snap.tracking_number}
                if snap.label_id and snap.carrier
                else None,
                "include": list(rules.rma.contents_required + rules.rma.contents_recommended)
                if rules.rma
                else [],
                "tracking_requested": bool(rules.rma and rules.rma.tracking_number_requested),
            },
        )

    async def expire(self, lapse: Decision) -> ReturnSnapshot:
        """Not sent in time: the approval is cancelled, nothing is refunded (PAR-RET-4)."""
        ctx, snap = self._ctx, self._ctx.snapshot
        self.place(ParcelPlace.EXPIRED)
        if snap.label_id:
            await run(
                CarrierActivities.void_shipping_label,
                VoidLabel(order_id=ctx.input.order_id, label_id=snap.label_id),
                SHORT,
                "void the unused return label",
            )
        await ctx.record("return_expired", ReturnStatus.EXPIRED, lapse.reason, lapse.clauses)
        await ctx.email("return_expired")
        return snap

    async def parcel_lost(self) -> None:
        ctx = self._ctx
        self.place(ParcelPlace.LOST)
        await ctx.record(
            "return_parcel_lost",
            None,
            "the carrier reports the return parcel lost or sent back to the customer",
            (),
            details={"tracking_number": ctx.snapshot.tracking_number},
        )
        await ctx.task(
            "return_parcel_lost",
            "the return parcel is lost: trace it with the carrier, then mark it received",
        )

    async def received(self, by: str) -> None:
        ctx, snap = self._ctx, self._ctx.snapshot
        self.place(ParcelPlace.RECEIVED)
        snap.received_at = workflow.now()
        rules = self._rules
        clauses = rules.inspection.clauses if rules.inspection else ()
        await ctx.task("return_parcel_lost", closed=True)
        await ctx.record(
            "return_received",
            ReturnStatus.RECEIVED,
            f"the goods are back ({by}); inspection follows",
            clauses,
            details={"received_by": by},
        )
        await ctx.email("return_received")
        await ctx.task("return_inspection", "inspect the returned goods", clauses)

    async def inspected(self) -> None:
        """Each line as the operator found it (KWO-RMA-7, CRD-RET-3, KWO-DOA-2)."""
        ctx, snap = self._ctx, self._ctx.snapshot
        assert self._p.inspection is not None
        found = inspected_items(snap.lines, self._p.inspection)
        for line, item in zip(snap.lines, found, strict=True):
            line.inspection = inspection_result(ctx.policy, snap.reason, item)
        snap.inspected_at = workflow.now()
        rules = self._rules
        await ctx.task("return_inspection", closed=True)
        await ctx.record(
            "return_inspected",
            ReturnStatus.INSPECTED,
            f"inspected by {self._p.inspection.operator}: "
            + ", ".join(f"{line.sku} {line.inspection.value}" for line in snap.lines),
            rules.inspection.clauses if rules.inspection else (),
            details={
                "operator": self._p.inspection.operator,
                "lines": [line.model_dump(mode="json") for line in self._p.inspection.lines],
            },
        )

    async def replace(self, accepted: list[ReturnLine]) -> bool:
        """A replacement (or the product exchanged for) reserved from stock and sent as a new
        parcel; out of stock, the customer is offered another product or the refund
        (CRD-RET-5). False when the return ends in a refund instead."""
        ctx, snap = self._ctx, self._ctx.snapshot
        quantity = sum(line.quantity for line in accepted)
        wanted = (
            {line.sku: line.quantity for line in accepted}
            if snap.resolution is Resolution.REPLACEMENT or not ctx.input.exchange_sku
            else {ctx.input.exchange_sku: quantity}
        )
        for attempt in range(1, 100):
            reserved = await run(
                StoreActivities.reserve_replacement,
                ReserveReplacement(
                    order_id=ctx.input.order_id,
                    reservation_key=f"{ctx.input.order_id}:return:{ctx.rma_id}:{attempt}",
                    items=wanted,
                ),
                SHORT,
                "reserve the replacement",
            )
            if reserved:
                await self._send_replacement(wanted, attempt)
                return True
            offer = exchange_out_of_stock(ctx.policy)
            await ctx.record("replacement_out_of_stock", None, offer.reason, offer.clauses)
            if not offer.allowed:
                return False
            await ctx.task(
                "exchange_out_of_stock",
                "out of stock: contact the customer, who chooses another product or the refund",
                offer.clauses,
            )
            await ctx.email("return_out_of_stock", {"skus": sorted(wanted)})
            self._p.choosing, self._p.choice = True, None
            await workflow.wait_condition(lambda: self._p.choice is not None)
            assert self._p.choice is not None
            await ctx.task("exchange_out_of_stock", closed=True)
            if self._p.choice.refund or self._p.choice.sku is None:
                self._p.choosing = False
                return False
            wanted = {self._p.choice.sku: quantity}
        return False

    async def _send_replacement(self, items: dict[str, int], attempt: int) -> None:
        ctx, snap = self._ctx, self._ctx.snapshot
        carrier, clauses = choose_carrier(ctx.policy, ctx.input.destination_country)
        label = await run(
            CarrierActivities.buy_shipping_label,
            BuyLabel(
                order_id=ctx.input.order_id,
                carrier=carrier,
                idempotency_key=f"{ctx.input.order_id}:label:replacement:{ctx.rma_id}:{attempt}",
            ),
            SHORT,
            "buy the replacement's label",
        )
        snap.replacement_tracking_number = label.tracking_number
        self._p.choosing, self._p.settled = False, True
        rules = self._rules
        await ctx.record(
            "return_replaced",
            ReturnStatus.REPLACED,
            "sent as a new parcel: "
            + ", ".join(f"{qty} x {sku}" for sku, qty in sorted(items.items())),
            merged(rules.refund.clauses, rules.exchange.clauses if rules.exchange else ()),
            details={"tracking_number": label.tracking_number, "carrier": label.carrier.value},
        )
        await ctx.email(
            "return_replaced",
            {"tracking_number": label.tracking_number, "carrier": label.carrier.value},
        )
