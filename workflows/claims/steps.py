"""What an operator's decision on a claim sets going: the refund (paid by the order, or for a
subscription the period's charge given back under the cancellation's own key), a replacement
or a reshipment from stock as a new labelled parcel, a case-by-case solution, a refusal."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from activities.carriers import CarrierActivities
    from activities.models import BuyLabel, ReserveReplacement
    from activities.payments import PaymentActivities
    from activities.store import StoreActivities
    from domain.claims import ClaimRefundAsk, ClaimRefundPaid, ClaimVerdict, Outcome
    from domain.decisions import Decision
    from domain.decisions.fulfilment import choose_carrier
    from domain.money import Money
    from domain.status import ClaimStatus

from workflows.claims.messages import ask_refund
from workflows.claims.state import ClaimContext
from workflows.shared.options import MONEY, SHORT, run

# A claim whose order is no longer running leaves its refund to an operator.
ORPHANED = "orphaned-claim-refund-is-a-task"


class ClaimSteps:
    def __init__(self, ctx: ClaimContext) -> None:
        self._ctx = ctx
        self.paid: ClaimRefundPaid | None = None

    async def _asked(self, ask: ClaimRefundAsk) -> str | None:
        """Ask the order for the refund; why it cannot pay, when its order is no longer
        running (failed, or terminated): the refund is then an operator's to pay by hand."""
        try:
            await ask_refund(ask)
        except FailureError:
            if not workflow.patched(ORPHANED):
                raise
            order = self._ctx.input.order_id
            return f"order {order} is no longer running: pay {ask.amount} by hand"
        return None

    async def carry_out(
        self, verdict: ClaimVerdict, decided: Decision, refund: Money | None
    ) -> None:
        ctx, snap = self._ctx, self._ctx.snapshot
        snap.operator = verdict.operator
        outcome = verdict.outcome
        details = {"operator": verdict.operator, "outcome": outcome.value}
        if outcome is Outcome.REFUSE:
            snap.outcome = "refused"
            await ctx.record(
                "claim_refused",
                ClaimStatus.REFUSED,
                decided.reason,
                decided.clauses,
                details={**details, "expectation_only": verdict.expectation_only},
            )
        elif outcome is Outcome.REFUND:
            assert refund is not None
            await self._refund(refund, decided.clauses, details)
        elif outcome in (Outcome.REPLACE, Outcome.RESHIP):
            await self._send_again(outcome, decided.clauses, details)
        else:
            snap.outcome = "solution offered"
            await ctx.record(
                "claim_solution",
                ClaimStatus.RESOLVED,
                f"a solution offered by {verdict.operator}",
                decided.clauses,
                details=details,
            )
        if snap.status.is_final:
            await ctx.email("claim_decided", {"outcome": snap.outcome, "reason": decided.reason})

    async def _refund(
        self, amount: Money, clauses: tuple[str, ...], details: dict[str, str]
    ) -> None:
        ctx, snap = self._ctx, self._ctx.snapshot
        charge = ctx.input.charge
        failed: str | None = None
        if charge is not None:
            request = charge.model_copy(update={"clauses": clauses})
            await run(
                PaymentActivities.refund_subscription_charge,
                request,
                MONEY,
                "refund the period's charge",
            )
            refunded = charge.amount
        else:
            failed = await self._asked(
                ClaimRefundAsk(claim_id=ctx.claim_id, amount=amount, clauses=clauses)
            )
            if failed is None:
                await workflow.wait_condition(lambda: self.paid is not None)
                assert self.paid is not None
                refunded, failed = self.paid.refunded, self.paid.failed
        if failed:
            snap.outcome = "refund failed"
            await ctx.record("claim_refund_failed", ClaimStatus.OPEN, failed, clauses)
            await ctx.task("claim_refund_failed", failed, clauses)
            return
        snap.refunded, snap.outcome = refunded, f"{refunded} refunded"
        await ctx.record(
            "claim_refunded",
            ClaimStatus.RESOLVED,
            f"{refunded} refunded to the original payment method",
            clauses,
            details={**details, "refunded": str(refunded)},
        )

    async def _send_again(
        self, outcome: Outcome, clauses: tuple[str, ...], details: dict[str, str]
    ) -> None:
        """The product again, reserved from stock and sent as a new labelled parcel; out of
        stock, the claim stays open for the operator to refund instead (KWO-DEF-1)."""
        ctx, snap = self._ctx, self._ctx.snapshot
        order_id = ctx.input.order_id
        assert order_id is not None and ctx.input.sku is not None
        reserved = await run(
            StoreActivities.reserve_replacement,
            ReserveReplacement(
                order_id=order_id,
                reservation_key=f"{order_id}:claim:{ctx.claim_id}",
                items={ctx.input.sku: 1},
            ),
            SHORT,
            "reserve the replacement",
        )
        if not reserved:
            snap.outcome = None
            await ctx.record(
                "claim_out_of_stock",
                ClaimStatus.OPEN,
                f"{ctx.input.sku} is out of stock: refund instead",
                clauses,
                details=details,
            )
            return
        carrier, _ = choose_carrier(ctx.policy, ctx.input.destination_country or "")
        label = await run(
            CarrierActivities.buy_shipping_label,
            BuyLabel(
                order_id=order_id,
                carrier=carrier,
                idempotency_key=f"{order_id}:label:claim:{ctx.claim_id}",
            ),
            SHORT,
            "buy the replacement's label",
        )
        what = "replaced" if outcome is Outcome.REPLACE else "reshipped"
        snap.outcome = f"{what}: {label.carrier.value} {label.tracking_number}"
        await ctx.record(
            f"claim_{what}",
            ClaimStatus.RESOLVED,
            f"{ctx.input.sku} {what} as a new parcel",
            clauses,
            details={
                **details,
                "tracking_number": label.tracking_number,
                "carrier": label.carrier.value,
            },
        )
