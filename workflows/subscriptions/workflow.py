"""SubscriptionWorkflow: one subscription, one run per billing period (continue-as-new), so a
subscription of ten years keeps a short history.

Each run charges its period's price on the saved card under `<subscription>:period:<n>` (a
retry after a decline under `<subscription>:period:<n>:retry:<k>`), waits out the period and
carries on as the next one. The first capture activates the service (intangible and
irrevocable). A declined renewal makes it `past_due` and is tried again on the preset's
schedule; when every attempt failed, it ends. A cancellation is an update decided at once
by the policy: the refund, the date access ends, the clause.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from domain.decisions.subscriptions import (
        activation_clauses,
        may_cancel,
        renewal_retry,
        subscription_cancellation,
    )
    from domain.errors import ErrorType
    from domain.status import MovementState, SubscriptionStatus
    from domain.subscriptions import (
        ChargeSaved,
        LastPayment,
        RefundCharge,
        SubscriptionCancel,
        SubscriptionCancelled,
        SubscriptionInput,
        SubscriptionSnapshot,
    )

from workflows import names
from workflows.shared.deadlines import until
from workflows.shared.options import MONEY, run
from workflows.shared.refusals import refusal
from workflows.subscriptions.state import SubscriptionContext

Status = SubscriptionStatus


@workflow.defn(name="SubscriptionWorkflow")
class SubscriptionWorkflow:
    @workflow.init
    def __init__(self, sub: SubscriptionInput) -> None:
        self._ctx = SubscriptionContext(sub)
        self._cancel: SubscriptionCancelled | None = None
        self._charging = False

    # -- one billing period -------------------------------------------------------------

    @workflow.run
    async def run(self, sub: SubscriptionInput) -> SubscriptionSnapshot:
        if not await self._charge():
            if self._ctx.status is Status.CANCELLED:  # cancelled while a renewal was past due
                await workflow.wait_condition(workflow.all_handlers_finished)
                return self._ctx.snapshot()
            return await self._finish(Status.ENDED, "every attempt to charge was declined")
        await self._until(self._ctx.end)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._ctx.status is Status.CANCELLED:
            return self._ctx.snapshot()
        if self._ctx.status is Status.CANCELLING:
            return await self._finish(Status.ENDED, "the cancelled subscription's period ended")
        workflow.continue_as_new(self._ctx.next_period())

    async def _until(self, moment: datetime) -> None:
        """Wait for `moment`, or until a cancellation stops the service at once."""
        await until(lambda: self._ctx.status is Status.CANCELLED, moment, "period end")

    async def _charge(self) -> bool:
        """This period's price, captured; declined attempts retried on the preset's schedule.
        False when the schedule is spent, or a cancellation came meanwhile."""
        ctx, failures = self._ctx, 0
        sub = ctx.input
        while True:
            key = f"{sub.subscription_id}:period:{sub.period}"
            key += f":retry:{failures}" if failures else ""
            charge = ChargeSaved(
                subscription_id=sub.subscription_id,
                amount=sub.price,
                payment_token=sub.payment_token,
                idempotency_key=key,
                clauses=self._ctx.clauses,
            )
            self._charging = True
            result = await run(
                PaymentActivities.charge_saved_card, charge, MONEY, f"charge period {sub.period}"
            )
            self._charging = False
            if result.state is MovementState.CAPTURED:
                await self._paid(result.payment_id)
                return True
            failures += 1
            self._ctx.decline = result.decline_code or result.state
            wait = renewal_retry(ctx.policy, sub.period, failures)
            self._ctx.next_charge_at = workflow.now() + wait if wait else None
            await self._ctx.record(
                "charge_declined",
                Status.PAST_DUE if wait else None,
                f"the charge of {sub.price} for period {sub.period} was declined "
                f"({self._ctx.decline})"
                + (f"; tried again on {self._ctx.next_charge_at.isoformat()}" if wait else ""),
                details={"decline_code": self._ctx.decline, "attempt": failures},
            )
            await self._ctx.email(
                "renewal_failed",
                {
                    "period": str(sub.period),
                    "amount": str(sub.price),
                    "decline_code": self._ctx.decline,
                    "retry_at": self._ctx.next_charge_at.isoformat()
                    if self._ctx.next_charge_at
                    else "",
                },
                key=f"{sub.period}:{failures}",
            )
            if wait is None:
                return False
            await self._until(workflow.now() + wait)
            if self._ctx.status is Status.CANCELLED:
                return False

    async def _paid(self, payment_id: str) -> None:
        ctx = self._ctx
        sub, first = ctx.input, ctx.last is None
        self._ctx.last = LastPayment(
            amount=sub.price, paid_at=workflow.now(), payment_id=payment_id, period=sub.period
        )
        self._ctx.decline = None
        self._ctx.access_ends_at = self._ctx.next_charge_at = self._ctx.end
        clauses = activation_clauses(self._ctx.policy) if first else self._ctx.clauses
        await self._ctx.record(
            "activated" if first else "renewed",
            Status.ACTIVE,
            f"{sub.price} captured for period {sub.period}, "
            f"{self._ctx.start.date().isoformat()} to {self._ctx.end.date().isoformat()}"
            + ("; the service is active (intangible and irrevocable)" if first else ""),
            clauses,
            details={"payment_id": payment_id, "key": f"{sub.subscription_id}:period:{sub.period}"},
            deadlines={"period_ends_at": self._ctx.end, "next_charge_at": self._ctx.end},
        )
        await self._ctx.email(
            "subscription_receipt",
            {
                "period": str(sub.period),
                "amount": str(sub.price),
                "from": self._ctx.start.date().isoformat(),
                "to": self._ctx.end.date().isoformat(),
            },
            key=str(sub.period),
        )

    async def _finish(self, status: SubscriptionStatus, why: str) -> SubscriptionSnapshot:
        self._ctx.next_charge_at = None
        await self._ctx.record("ended", status, why)
        await self._ctx.email("subscription_ended", {"ended_at": workflow.now().isoformat()})
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._ctx.snapshot()

    # -- the customer's cancellation ----------------------------------------------------

    @workflow.update(name=names.UPDATE_CANCEL_SUBSCRIPTION)
    async def cancel(self, ask: SubscriptionCancel) -> SubscriptionCancelled:
        if self._cancel is not None:  # a repeated request gets the same answer
            return self._cancel
        # a charge in flight is decided first: a payment it captures is the last payment
        await workflow.wait_condition(lambda: not self._charging)
        ctx, now = self._ctx, workflow.now()
        sub, last = ctx.input, ctx.last
        decided = subscription_cancellation(ctx.policy, ctx.status, last, ctx.end, ask.stop, now)
        stop_now = decided.service_ends_at <= now
        applied = "immediately" if stop_now else "end_of_cycle"
        self._ctx.status = Status.CANCELLED if stop_now else Status.CANCELLING
        self._ctx.next_charge_at, self._ctx.access_ends_at = None, decided.service_ends_at
        self._cancel = SubscriptionCancelled(
            status=self._ctx.status,
            refund=decided.refund,
            access_ends_at=decided.service_ends_at,
            clauses=decided.clauses,
        )
        if decided.refund.amount > 0 and self._ctx.last is not None:
            refund = RefundCharge(
                subscription_id=sub.subscription_id,
                payment_id=self._ctx.last.payment_id,
                amount=decided.refund,
                idempotency_key=f"{sub.subscription_id}:refund:period:{self._ctx.last.period}",
                clauses=decided.clauses,
            )
            await run(
                PaymentActivities.refund_subscription_charge, refund, MONEY, "refund last payment"
            )
        await self._ctx.record(
            "cancelled",
            self._ctx.status,
            f"cancelled ({applied}): {decided.refund} refunded; access ends "
            f"{decided.service_ends_at.isoformat()}",
            decided.clauses,
            details={"stop": applied, "refund": str(decided.refund)},
            deadlines={"access_ends_at": decided.service_ends_at},
        )
        await self._ctx.email(
            "subscription_cancelled",
            {
                "refund": str(decided.refund),
                "access_ends_at": decided.service_ends_at.isoformat(),
            },
        )
        return self._cancel

    @cancel.validator
    def _may_cancel(self, ask: SubscriptionCancel) -> None:
        if self._cancel is not None:
            return
        decision = may_cancel(self._ctx.policy, self._ctx.status, ask.stop)
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, ErrorType.CANCEL_REFUSED, field="stop")

    @workflow.update(name=names.UPDATE_SUBSCRIPTION_STARTED)
    async def started(self) -> SubscriptionSnapshot:
        """Where the subscription stands once its first payment is decided (the API's answer
        to the storefront)."""
        await workflow.wait_condition(lambda: self._ctx.status is not Status.PENDING)
        return self._ctx.snapshot()

    @workflow.query(name=names.QUERY_SUBSCRIPTION)
    def snapshot(self) -> SubscriptionSnapshot:
        return self._ctx.snapshot()
