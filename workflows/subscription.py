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
    from activities.subscriptions import SubscriptionActivities
    from domain.decisions.aftercare import cancel_subscription
    from domain.decisions.subscriptions import (
        activation_clauses,
        may_cancel,
        period_bounds,
        renewal_retry,
    )
    from domain.money import Money
    from domain.status import SubscriptionStatus
    from domain.subscriptions import (
        ChargeSaved,
        LastPayment,
        RefundCharge,
        SendSubscriptionEmail,
        SubscriptionCancel,
        SubscriptionCancelled,
        SubscriptionEvent,
        SubscriptionInput,
        SubscriptionSnapshot,
    )
    from workflows import names
    from workflows.context import MONEY, refusal, run, run_local

Status = SubscriptionStatus


@workflow.defn(name="SubscriptionWorkflow")
class SubscriptionWorkflow:
    @workflow.init
    def __init__(self, sub: SubscriptionInput) -> None:
        self._in = sub
        self._policy = sub.policy
        self._clauses = sub.policy.services.subscription.clauses if sub.policy.services else ()
        self._status = sub.status
        self._seq = sub.seq
        self._last = sub.last_payment
        self._start, self._end = period_bounds(sub.policy, sub.anchor, sub.period)
        self._next_charge_at: datetime | None = None
        self._access_ends_at: datetime | None = None
        self._decline: str | None = None
        self._cancel: SubscriptionCancelled | None = None
        self._charging = False

    # -- one billing period -------------------------------------------------------------

    @workflow.run
    async def run(self, sub: SubscriptionInput) -> SubscriptionSnapshot:
        if not await self._charge():
            if self._status is Status.CANCELLED:  # cancelled while a renewal was past due
                await workflow.wait_condition(workflow.all_handlers_finished)
                return self.snapshot()
            return await self._finish(Status.ENDED, "every attempt to charge was declined")
        await self._until(self._end)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._status is Status.CANCELLED:
            return self.snapshot()
        if self._status is Status.CANCELLING:
            return await self._finish(Status.ENDED, "the cancelled subscription's period ended")
        workflow.continue_as_new(
            sub.model_copy(
                update={
                    "period": sub.period + 1,
                    "status": self._status,
                    "last_payment": self._last,
                    "seq": self._seq,
                }
            )
        )

    async def _until(self, moment: datetime) -> None:
        """Wait for `moment`, or until a cancellation stops the service at once."""
        wait = moment - workflow.now()
        if wait.total_seconds() <= 0:
            return
        try:
            await workflow.wait_condition(
                lambda: self._status is Status.CANCELLED, timeout=wait, timeout_summary="period end"
            )
        except TimeoutError:
            pass

    async def _charge(self) -> bool:
        """This period's price, captured; declined attempts retried on the preset's schedule.
        False when the schedule is spent, or a cancellation came meanwhile."""
        sub, failures = self._in, 0
        while True:
            key = f"{sub.subscription_id}:period:{sub.period}"
            key += f":retry:{failures}" if failures else ""
            charge = ChargeSaved(
                subscription_id=sub.subscription_id,
                amount=sub.price,
                payment_token=sub.payment_token,
                idempotency_key=key,
                clauses=self._clauses,
            )
            self._charging = True
            result = await run(
                PaymentActivities.charge_saved_card, charge, MONEY, f"charge period {sub.period}"
            )
            self._charging = False
            if result.state == "captured":
                await self._paid(result.payment_id)
                return True
            failures += 1
            self._decline = result.decline_code or result.state
            wait = renewal_retry(self._policy, failures) if sub.period > 1 else None
            self._next_charge_at = workflow.now() + wait if wait else None
            await self._record(
                "charge_declined",
                Status.PAST_DUE if wait else None,
                f"the charge of {sub.price} for period {sub.period} was declined "
                f"({self._decline})"
                + (f"; tried again on {self._next_charge_at.isoformat()}" if wait else ""),
                details={"decline_code": self._decline, "attempt": failures},
            )
            await self._email(
                "renewal_failed",
                {
                    "period": str(sub.period),
                    "amount": str(sub.price),
                    "decline_code": self._decline,
                    "retry_at": self._next_charge_at.isoformat() if self._next_charge_at else "",
                },
                key=f"{sub.period}:{failures}",
            )
            if wait is None:
                return False
            await self._until(workflow.now() + wait)
            if self._status is Status.CANCELLED:
                return False

    async def _paid(self, payment_id: str) -> None:
        sub = self._in
        first = self._last is None
        self._last = LastPayment(
            amount=sub.price, paid_at=workflow.now(), payment_id=payment_id, period=sub.period
        )
        self._decline = None
        self._access_ends_at = self._next_charge_at = self._end
        clauses = activation_clauses(self._policy) if first else self._clauses
        await self._record(
            "activated" if first else "renewed",
            Status.ACTIVE,
            f"{sub.price} captured for period {sub.period}, "
            f"{self._start.date().isoformat()} to {self._end.date().isoformat()}"
            + ("; the service is active (intangible and irrevocable)" if first else ""),
            clauses,
            details={"payment_id": payment_id, "key": f"{sub.subscription_id}:period:{sub.period}"},
            deadlines={"period_ends_at": self._end, "next_charge_at": self._end},
        )
        await self._email(
            "subscription_receipt",
            {
                "period": str(sub.period),
                "amount": str(sub.price),
                "from": self._start.date().isoformat(),
                "to": self._end.date().isoformat(),
            },
            key=str(sub.period),
        )

    async def _finish(self, status: SubscriptionStatus, why: str) -> SubscriptionSnapshot:
        self._next_charge_at = None
        await self._record("ended", status, why)
        await self._email("subscription_ended", {"ended_at": workflow.now().isoformat()})
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.snapshot()

    # -- the customer's cancellation ----------------------------------------------------

    @workflow.update(name=names.UPDATE_CANCEL_SUBSCRIPTION)
    async def cancel(self, ask: SubscriptionCancel) -> SubscriptionCancelled:
        if self._cancel is not None:  # a repeated request gets the same answer
            return self._cancel
        # a charge in flight is decided first: a payment it captures is the last payment
        await workflow.wait_condition(lambda: not self._charging)
        sub, now = self._in, workflow.now()
        # an unpaid period is not kept: cancelled while past due, the service stops now
        stop = "immediately" if self._status is Status.PAST_DUE else ask.stop
        currency = sub.price.currency
        decided = cancel_subscription(
            self._policy,
            self._last.amount if self._last else Money.zero(currency),
            self._last.paid_at if self._last else now,
            self._end,
            stop,
            now,
        )
        stop_now = decided.service_ends_at <= now
        self._status = Status.CANCELLED if stop_now else Status.CANCELLING
        self._next_charge_at, self._access_ends_at = None, decided.service_ends_at
        self._cancel = SubscriptionCancelled(
            status=self._status,
            refund=decided.refund,
            access_ends_at=decided.service_ends_at,
            clauses=decided.clauses,
        )
        if decided.refund.amount > 0 and self._last is not None:
            refund = RefundCharge(
                subscription_id=sub.subscription_id,
                payment_id=self._last.payment_id,
                amount=decided.refund,
                idempotency_key=f"{sub.subscription_id}:refund:period:{self._last.period}",
                clauses=decided.clauses,
            )
            await run(
                PaymentActivities.refund_subscription_charge, refund, MONEY, "refund last payment"
            )
        await self._record(
            "cancelled",
            self._status,
            f"cancelled ({stop}): {decided.refund} refunded; access ends "
            f"{decided.service_ends_at.isoformat()}",
            decided.clauses,
            details={"stop": stop, "refund": str(decided.refund)},
            deadlines={"access_ends_at": decided.service_ends_at},
        )
        await self._email(
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
        decision = may_cancel(self._policy, self._status, ask.stop)
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, "CancelRefused", field="stop")

    @workflow.update(name=names.UPDATE_SUBSCRIPTION_STARTED)
    async def started(self) -> SubscriptionSnapshot:
        """Where the subscription stands once its first payment is decided (the API's answer
        to the storefront)."""
        await workflow.wait_condition(lambda: self._status is not Status.PENDING)
        return self.snapshot()

    @workflow.query(name=names.QUERY_SUBSCRIPTION)
    def snapshot(self) -> SubscriptionSnapshot:
        return SubscriptionSnapshot(
            subscription_id=self._in.subscription_id,
            status=self._status,
            period=self._in.period,
            period_start=self._start,
            period_end=self._end,
            next_charge_at=self._next_charge_at,
            access_ends_at=self._access_ends_at,
            last_payment=self._last,
            decline_code=self._decline,
        )

    # -- timeline, status, e-mail -------------------------------------------------------

    def _details(self) -> str:
        rows = [
            f"**Status:** `{self._status.value}`",
            f"**Period {self._in.period}:** {self._start.date()} to {self._end.date()}",
        ]
        if self._next_charge_at:
            rows.append(f"**Next charge:** {self._next_charge_at.isoformat(timespec='seconds')}")
        if self._access_ends_at and self._status is Status.CANCELLING:
            rows.append(f"**Access ends:** {self._access_ends_at.isoformat(timespec='seconds')}")
        if self._decline:
            rows.append(f"**Last charge declined:** {self._decline}")
        return "\n\n".join(rows)

    async def _record(
        self,
        kind: str,
        status: SubscriptionStatus | None,
        summary: str,
        clauses: tuple[str, ...] | None = None,
        *,
        details: dict[str, object] | None = None,
        deadlines: dict[str, datetime] | None = None,
    ) -> None:
        self._seq += 1
        if status is not None:
            self._status = status
            workflow.upsert_search_attributes([names.SUBSCRIPTION_STATUS.value_set(status.value)])
        workflow.set_current_details(self._details())
        event = SubscriptionEvent(
            subscription_id=self._in.subscription_id,
            seq=self._seq,
            at=workflow.now(),
            kind=kind,
            summary=summary,
            status=status,
            clauses=self._clauses if clauses is None else clauses,
            details=details or {},
            deadlines={k: v.isoformat() for k, v in deadlines.items()} if deadlines else None,
            period=self._in.period,
        )
        await run_local(SubscriptionActivities.record_subscription_event, event, kind)

    async def _email(self, template: str, facts: dict[str, str], key: str | None = None) -> None:
        sid = self._in.subscription_id
        message = SendSubscriptionEmail(
            subscription_id=sid,
            template=template,
            idempotency_key=f"{sid}:email:{template}" + (f":{key}" if key else ""),
            facts=facts,
        )
        await run_local(SubscriptionActivities.send_subscription_email, message, template)
