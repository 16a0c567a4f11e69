"""Parcels that do not arrive: lost by the carrier (reshipped from stock or refunded,
KWO-DEF-1) or sent back (reshipped once the customer pays for a corrected address, or
refunded less the round trip, IMA-EDT-2). A parcel refused at customs is a conversation
about the duties (IMA-CUS-1), and one back at a merchant with no rule for it an operator's
task: in both the order waits for the operator's refund."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import (
        ApplyAddressChange,
        ReserveReplacement,
    )
    from activities.store import StoreActivities
    from domain.decisions import Decision
    from domain.decisions.fulfilment import (
        lost_parcel,
        parcel_value,
        refused_at_customs,
        reshipping_fee,
        reshipping_payable,
        returned_to_sender,
        unclaimed_parcel_refund,
    )
    from domain.orders import ReshipOutcome, ReshipRequest, Shipment
    from domain.policy.rules import SETTING
    from domain.status import BackReason, MovementState, OrderStatus, TrackingStatus

from workflows.fulfilment.state import ParcelsState
from workflows.fulfilment.workflow import Fulfilment
from workflows.payment.movements import authorise
from workflows.payment.purse import Purse
from workflows.shared.deadlines import within
from workflows.shared.options import SHORT, run
from workflows.shared.order import OrderContext

# Refused at customs: a conversation about the duties, not a reshipping offer (IMA-CUS-1).
CUSTOMS_PATCH = "customs-refusal-is-a-conversation"


class Parcels:
    def __init__(self, ctx: OrderContext, money: Purse, fulfilment: Fulfilment) -> None:
        self._ctx, self._money, self._fulfilment = ctx, money, fulfilment
        self.state = ParcelsState()

    def note_operator_refund(self) -> None:
        """An operator refunded some of the order: a parcel waiting for one may end."""
        self.state.operator_refunds += 1

    def _label_no(self) -> int:
        return len({s.parcel for s in self._ctx.order.shipments}) + self.state.replacements

    def _left(self) -> bool:
        return any(
            not s.replaced and not s.voided and s.status is not TrackingStatus.DELIVERED
            for s in self._ctx.order.shipments
        )

    async def _reship(self, parcel: Shipment) -> None:
        self.state.replacements += 1
        shipment = await self._fulfilment.label(parcel.parcel, self._label_no())
        await self._fulfilment.announce(shipment, OrderStatus.SHIPPED)

    async def lost(self) -> bool:
        """A parcel the carrier lost: reshipped when its items are in stock, else its items
        are refunded. True when there are parcels left to follow."""
        ctx = self._ctx
        rule = ctx.policy.shipping.lost_parcel if ctx.policy.shipping else None
        gone = next(
            s for s in ctx.order.shipments if s.status is TrackingStatus.LOST and not s.replaced
        )
        gone.replaced = True
        n = self.state.replacements + 1
        in_stock = False
        if rule is not None and rule.reship_if_in_stock:
            in_stock = await run(
                StoreActivities.reserve_replacement,
                ReserveReplacement(
                    order_id=ctx.order_id,
                    parcel=gone.parcel,
                    reservation_key=f"{ctx.order_id}:replacement:{n}",
                ),
                SHORT,
                "reserve replacement items",
            )
        decision = lost_parcel(ctx.policy, in_stock)
        details = {"tracking_number": gone.tracking_number, "parcel": gone.parcel}
        if decision.allowed:
            await ctx.record(
                "lost_parcel_reshipped",
                OrderStatus.SHIPPED,
                decision.reason,
                decision.clauses,
                details=details,
            )
            await ctx.email(
                "parcel_lost",
                {"tracking_number": gone.tracking_number, "reshipped": True},
                key=gone.tracking_number,
            )
            await self._reship(gone)
            return True
        self.state.replacements += 1
        value = parcel_value(ctx.lines, gone.parcel, ctx.input.total.currency)
        refund = await self._money.refund(value, f"lost:{n}", decision.clauses, "lost parcel")
        left = self._left()
        await ctx.record(
            "lost_parcel_refunded",
            OrderStatus.SHIPPED if left else OrderStatus.LOST,
            f"{decision.reason}: {refund} refunded",
            decision.clauses,
            details={**details, "refund": str(refund)},
        )
        await ctx.email(
            "parcel_lost",
            {"tracking_number": gone.tracking_number, "refund": str(refund)},
            key=gone.tracking_number,
        )
        return left

    async def came_back(self) -> bool:
        """A parcel came back: refused at customs, a conversation (IMA-CUS-1); else paid to go
        again or refunded less the round trip (IMA-EDT-2). True when parcels are left."""
        ctx, state = self._ctx, self.state
        back = next(
            s
            for s in ctx.order.shipments
            if s.status is TrackingStatus.RETURN_TO_SENDER and not s.replaced
        )
        if back.back_reason is BackReason.CUSTOMS:
            customs = refused_at_customs(ctx.policy)
            if customs.allowed and workflow.patched(CUSTOMS_PATCH):
                return await self._refused_at_customs(back, customs)
        decision = returned_to_sender(ctx.policy, workflow.now())
        if not decision.allowed:
            return await self._back_without_rule(back)
        pay_by = decision.deadlines["pay_reshipping_by"]
        fee = reshipping_fee(ctx.policy)
        ctx.order.pay_reshipping_by = pay_by
        await ctx.record(
            "reshipping_offered",
            OrderStatus.RETURNED_TO_SENDER,
            f"{decision.reason}: {fee}, to be paid by {pay_by.isoformat()} (the fee and the "
            f"time to pay: the {SETTING}s)",
            decision.clauses,
            details={"tracking_number": back.tracking_number, "fee": str(fee)},
            deadlines={"pay_reshipping_by": pay_by},
        )
        await ctx.email(
            "parcel_returned",
            {
                "tracking_number": back.tracking_number,
                "fee": str(fee),
                "pay_by": pay_by.isoformat(),
            },
            key=back.tracking_number,
        )
        await within(lambda: state.reshipping_paid, pay_by - workflow.now(), "reshipping payment")
        await workflow.wait_condition(lambda: state.reshipping_running == 0)
        ctx.order.pay_reshipping_by = None
        back.replaced = True
        if state.reshipping_paid:
            state.reshipping_paid = False
            await self._reship(back)
            return True
        return await self._refund_unclaimed(back)

    async def _refund_unclaimed(self, back: Shipment) -> bool:
        """The reshipping was not paid in time: the parcel's items, less the round trip."""
        ctx = self._ctx
        refund, settled = unclaimed_parcel_refund(
            ctx.policy, parcel_value(ctx.lines, back.parcel, ctx.input.total.currency)
        )
        refund = await self._money.refund(
            refund, f"returned:{back.tracking_number}", settled.clauses, "returned parcel"
        )
        left = self._left()
        await ctx.record(
            "returned_parcel_refunded",
            OrderStatus.SHIPPED if left else OrderStatus.RETURNED_TO_SENDER,
            f"{settled.reason}: {refund} refunded",
            settled.clauses,
            details={"tracking_number": back.tracking_number, "refund": str(refund)},
        )
        await ctx.email(
            "returned_parcel_refunded",
            {"tracking_number": back.tracking_number, "refund": str(refund)},
            key=back.tracking_number,
        )
        return left

    async def _back_without_rule(self, back: Shipment) -> bool:
        """No published rule settles this parcel: an operator decides and refunds what is
        due (`POST /v1/ops/orders/{id}/refunds`); the order waits for that refund."""
        ctx = self._ctx
        back.replaced = True
        await ctx.record(
            "returned_parcel_needs_operator",
            OrderStatus.RETURNED_TO_SENDER,
            f"parcel {back.tracking_number} came back; {ctx.policy.display_name} publishes no rule: an operator settles it",
            (),
            details={"tracking_number": back.tracking_number},
        )
        return await self.operator_settles(
            "returned_parcel", f"parcel {back.tracking_number} came back: refund what is due"
        )

    async def _refused_at_customs(self, back: Shipment, decision: Decision) -> bool:
        """Refused at customs: no reshipping fee; the customer is told, and an operator talks
        the duties through with them and refunds what is due when the parcel stays here."""
        ctx = self._ctx
        back.replaced = True
        details = {"tracking_number": back.tracking_number}
        await ctx.record(
            "parcel_refused_at_customs",
            OrderStatus.RETURNED_TO_SENDER,
            f"parcel {back.tracking_number} {decision.reason}",
            decision.clauses,
            details=details,
        )
        await ctx.email("parcel_held_at_customs", details, key=back.tracking_number)
        return await self.operator_settles(
            "customs_refusal",
            f"parcel {back.tracking_number} refused at customs: talk the duties through with "
            "the customer, then refund what is due",
        )

    async def operator_settles(
        self, kind: str, summary: str, clauses: tuple[str, ...] = ()
    ) -> bool:
        """An operator's task, and the order waiting until they refund what is due."""
        await self._ctx.task(kind, summary, clauses)
        refunds = self.state.operator_refunds
        await workflow.wait_condition(lambda: self.state.operator_refunds > refunds)
        await self._ctx.task(kind, closed=True)
        return self._left()

    async def pay_reshipping(self, request: ReshipRequest) -> ReshipOutcome:
        """The customer pays for a returned parcel to go out again, to the corrected address."""
        ctx, state, oid = self._ctx, self.state, self._ctx.order_id
        decision = returned_to_sender(ctx.policy, workflow.now())
        fee = reshipping_fee(ctx.policy)
        state.reshipping_running += 1
        state.reshipping_attempts += 1
        n = state.reshipping_attempts
        try:
            if fee.amount > 0:
                auth = await authorise(
                    oid,
                    fee,
                    request.payment_token,
                    f"{oid}:authorization:reshipping:{n}",
                    decision.clauses,
                    "authorise reshipping",
                )
                if auth.state is not MovementState.AUTHORIZED:
                    decline = auth.decline_code or auth.state
                    return ReshipOutcome(
                        paid=False, fee=fee, clauses=decision.clauses, decline_code=decline
                    )
                await self._money.capture(
                    auth.payment_id,
                    fee,
                    f"{oid}:capture:reshipping:{n}",
                    decision.clauses,
                    "capture reshipping",
                    fee=True,
                )
            await run(
                StoreActivities.apply_address_change,
                ApplyAddressChange(order_id=oid, change_id=request.change_id),
                SHORT,
                "apply corrected address",
            )
            await ctx.record(
                "reshipping_paid",
                None,
                f"reshipping paid ({fee}); the parcel leaves again to the corrected address",
                decision.clauses,
                details={"change_id": request.change_id, "fee": str(fee)},
            )
            state.reshipping_paid = True
            return ReshipOutcome(paid=True, fee=fee, clauses=decision.clauses)
        finally:
            state.reshipping_running -= 1

    def reshipping_open(self) -> Decision:
        """Whether the customer may pay for a returned parcel now."""
        taken = self.state.reshipping_paid or self.state.reshipping_running > 0
        pay_by = None if taken else self._ctx.order.pay_reshipping_by
        return reshipping_payable(self._ctx.policy, pay_by, workflow.now())
