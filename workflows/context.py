"""What every part of an order workflow shares: the order's input and snapshot, its timeline
(read model, `OrderStatus`, the Web UI's details), its e-mails and operator tasks, and the
typed options its activities run with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.mail import MailActivities
    from activities.models import Escalation, OperatorTask, OrderEvent, SendOrderEmail
    from activities.store import StoreActivities
    from domain.decisions import merged
    from domain.decisions.changes import OrderFacts
    from domain.orders import OrderSnapshot, OrderWorkflowInput
    from domain.status import OrderStatus
    from workflows.details import current_details
    from workflows.names import ORDER_STATUS


@dataclass(frozen=True)
class Options:
    """How one kind of activity runs: its timeouts and retries."""

    start_to_close: timedelta
    retry: RetryPolicy
    schedule_to_close: timedelta | None = None
    heartbeat: timedelta | None = None


SHORT = Options(timedelta(seconds=30), RetryPolicy(maximum_interval=timedelta(seconds=30)))
# Money-moving calls carry idempotency keys the provider keeps for 24 hours: every retry must
# happen well inside that, so such activities give up after one hour.
MONEY = Options(
    timedelta(seconds=30),
    RetryPolicy(
        maximum_interval=timedelta(minutes=1), non_retryable_error_types=["PaymentRejected"]
    ),
    schedule_to_close=timedelta(hours=1),
)
POLL = Options(
    timedelta(minutes=2),
    RetryPolicy(
        maximum_interval=timedelta(minutes=5), non_retryable_error_types=["TrackingRejected"]
    ),
    heartbeat=timedelta(seconds=30),
)


async def run(activity: Any, arg: Any, options: Options, summary: str) -> Any:
    """Run an activity method with `options`."""
    return await workflow.execute_activity_method(
        activity,
        arg,
        start_to_close_timeout=options.start_to_close,
        schedule_to_close_timeout=options.schedule_to_close,
        heartbeat_timeout=options.heartbeat,
        retry_policy=options.retry,
        summary=summary,
    )


async def run_local(activity: Any, arg: Any, summary: str) -> Any:
    """A short idempotent step run inside the workflow task: one marker in the history."""
    return await workflow.execute_local_activity_method(
        activity,
        arg,
        start_to_close_timeout=SHORT.start_to_close,
        retry_policy=SHORT.retry,
        summary=summary,
    )


def refusal(
    reason: str, clauses: tuple[str, ...], kind: str, field: str | None = None
) -> ApplicationError:
    """How a validator refuses: the reason; as details, the deciding clause and the request's
    field it is about (when there is one), which the API turns into its problem+json."""
    details = [clauses[0] if clauses else None, field] if field else list(clauses[:1])
    return ApplicationError(reason, *details, type=kind, non_retryable=True)


class OrderContext:
    def __init__(self, order: OrderWorkflowInput) -> None:
        self.input = order
        self.policy = order.policy
        self.order = OrderSnapshot(order_id=order.order_id, status=OrderStatus.PENDING_PAYMENT)
        self._seq = 0
        # rows a component adds to the Web UI's details (the digital cards)
        self.more_details: Callable[[], list[str]] = list

    @property
    def order_id(self) -> str:
        return self.input.order_id

    def facts(self, cancelling: bool = False) -> OrderFacts:
        """Where the order stands for the policy's decisions. A handover already scheduled
        counts: a window that closes when fulfilment starts closes at that slot."""
        order = self.order
        return OrderFacts(
            cancelling=cancelling,
            lines=self.input.lines,
            shipping_paid=self.input.shipping_total,
            paid_at=order.paid_at,
            fulfilment_started_at=order.fulfilment_started_at or order.dispatch_at,
            shipped_at=order.shipped_at,
        )

    def payment_clauses(self) -> tuple[str, ...]:
        payment = self.policy.payment
        return merged(payment.methods.clauses, payment.card.clauses if payment.card else ())

    async def record(
        self,
        kind: str,
        status: OrderStatus | None,
        summary: str,
        clauses: tuple[str, ...],
        *,
        details: dict[str, Any] | None = None,
        deadlines: dict[str, datetime] | None = None,
    ) -> None:
        """One timeline entry: the read model, the `OrderStatus` attribute, the UI details."""
        self._seq += 1
        if status is not None:
            self.order.status = status
            workflow.upsert_search_attributes([ORDER_STATUS.value_set(status.value)])
        workflow.set_current_details(current_details(self.order, self.more_details()))
        entry = OrderEvent(
            order_id=self.order_id,
            seq=self._seq,
            at=workflow.now(),
            kind=kind,
            summary=summary,
            status=status,
            clauses=clauses,
            details=details or {},
            shipments=[s.model_dump(mode="json") for s in self.order.shipments],
            deadlines=iso_deadlines(deadlines),
        )
        await run_local(StoreActivities.record_order_event, entry, kind)

    async def email(
        self, template: str, facts: dict[str, Any] | None = None, key: str | None = None
    ) -> None:
        """Send one of the order's e-mails; `key` tells apart several of the same kind."""
        await send_email(self.order_id, template, facts or {}, key)

    async def task(
        self,
        kind: str,
        summary: str = "",
        clauses: tuple[str, ...] = (),
        *,
        due_at: datetime | None = None,
        closed: bool = False,
        key: str | None = None,
    ) -> None:
        """Open (or close) the order's task of this kind on the operators' list; `key` tells
        apart several of the same kind."""
        await set_task(self.task_of(kind, summary, clauses, due_at=due_at, closed=closed, key=key))

    def task_of(
        self,
        kind: str,
        summary: str = "",
        clauses: tuple[str, ...] = (),
        *,
        due_at: datetime | None = None,
        closed: bool = False,
        key: str | None = None,
    ) -> OperatorTask:
        return OperatorTask(
            task_key=f"{self.order_id}:{kind}" + (f":{key}" if key else ""),
            order_id=self.order_id,
            kind=kind,
            summary=summary,
            due_at=due_at,
            clauses=clauses,
            closed=closed,
            ref=key,
        )


def iso_deadlines(deadlines: Mapping[str, datetime | None] | None) -> dict[str, str] | None:
    """A timeline entry's deadlines as the read model keeps them; unset ones left out."""
    return {k: v.isoformat() for k, v in deadlines.items() if v} if deadlines else None


async def send_email(
    order_id: str, template: str, facts: dict[str, Any], key: str | None = None
) -> None:
    """One of an order's e-mails, sent once: `key` tells apart several of the same kind."""
    message = SendOrderEmail(
        order_id=order_id,
        template=template,
        idempotency_key=f"{order_id}:email:{template}" + (f":{key}" if key else ""),
        facts=facts,
    )
    await run_local(MailActivities.send_order_email, message, f"e-mail {template}")


async def set_task(task: OperatorTask) -> None:
    """Open (or, `closed`, close) a task on the operators' list."""
    await run_local(StoreActivities.set_operator_task, task, f"task {task.kind}")


async def overdue(task: OperatorTask, done: Callable[[], bool]) -> bool:
    """Wait until `done` or the task's due time; past it with the task still open, it is
    escalated once (marked, and the operators e-mailed). Whether it was."""
    assert task.due_at is not None
    wait = task.due_at - workflow.now()
    if wait.total_seconds() > 0:
        try:
            await workflow.wait_condition(done, timeout=wait, timeout_summary=f"{task.kind} due")
        except TimeoutError:
            pass
    if done():
        return False
    escalation = Escalation(
        task_key=task.task_key,
        kind=task.kind,
        summary=task.summary,
        due_at=task.due_at,
        order_id=task.order_id,
        subscription_id=task.subscription_id,
    )
    escalated: bool = await run_local(
        MailActivities.escalate_task, escalation, f"escalate overdue {task.kind}"
    )
    return escalated
