"""The services merchant's subscriptions on the time-skipping server: monthly charges
counted from the anchor under their own keys, one run per period (continue-as-new), the
7-day refund window of a cancellation and the customer's choice after it, and a declined
renewal through past due to the end (SVC-SUB-1, SVC-GEN-1)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.calendar import pin_calendar
from domain.money import Money
from domain.status import SubscriptionStatus
from domain.subscriptions import (
    SubscriptionCancel,
    SubscriptionCancelled,
    SubscriptionInput,
    SubscriptionSnapshot,
)
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import FakeWorld, record_history
from workflows import names
from workflows.runner import workflow_runner
from workflows.subscriptions.workflow import SubscriptionWorkflow

# Each test has a time-skipping server of its own: a subscription sleeps through months, which
# a shared server cannot skip while other tests' workflows wait on it.
SERVICES = preset("services")
PRICE = Money(amount=Decimal("29.00"), currency="EUR")


@asynccontextmanager
async def subscribed(
    env: WorkflowEnvironment, world: FakeWorld, anchor: datetime | None = None
) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    anchor = anchor or await env.get_current_time()
    sid = f"sub{uuid.uuid4().hex[:12]}"
    queue = f"q-{uuid.uuid4()}"
    sub = SubscriptionInput(
        subscription_id=sid,
        policy=pin_calendar(SERVICES, anchor),
        plan="PRO",
        price=PRICE,
        anchor=anchor,
        payment_token="pm_card_approved",
    )
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[SubscriptionWorkflow],
        workflow_runner=workflow_runner(),
        activities=world.activities(),
    ):
        handle = await env.client.start_workflow(
            SubscriptionWorkflow.run, sub, id=names.subscription_workflow_id(sid), task_queue=queue
        )
        try:
            yield handle
        finally:
            latest = env.client.get_workflow_handle(handle.id)
            desc = await latest.describe()
            if desc.status is not None and desc.status.name == "RUNNING":
                await latest.terminate("test finished")


async def state(env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any]) -> SubscriptionSnapshot:
    latest = env.client.get_workflow_handle(handle.id)
    snapshot: SubscriptionSnapshot = await latest.query(
        names.QUERY_SUBSCRIPTION, result_type=SubscriptionSnapshot
    )
    return snapshot


async def charged(world: FakeWorld, count: int) -> None:
    async def enough() -> bool:
        return len(world.charges) >= count

    await wait_for(enough, within=60)


async def test_24_monthly_periods_are_charged_from_the_anchor_one_run_each(
    time_env: WorkflowEnvironment,
) -> None:
    """SVC-SUB-1: anchored on 31 January, the periods end on 28 February, 31 March, 30 April
    …: counted from the anchor, never drifting. 24 charges of 29.00 EUR, each under
    `<subscription>:period:<n>` at its period's start; each period is a run of its own that
    continues as new, so the first run's history holds one charge and ends continued."""
    world = FakeWorld()
    now = await time_env.get_current_time()
    anchor = datetime(now.year + 1, 1, 31, 9, 0, tzinfo=UTC)
    await time_env.sleep(anchor - now)
    async with subscribed(time_env, world, anchor) as handle:
        await charged(world, 1)
        await time_env.sleep(timedelta(days=31 * 23 + 5))
        await charged(world, 24)
        charges = world.charges[:24]
        sid = handle.id.removeprefix("subscription-")
        assert [key for key, _ in charges] == [f"{sid}:period:{n}" for n in range(1, 25)]
        assert world.charged_amounts[:24] == [PRICE] * 24
        days = [at.astimezone(UTC).date() for _, at in charges]
        assert [str(d) for d in days[:4]] == [
            f"{anchor.year}-01-31",
            f"{anchor.year}-02-28" if anchor.year % 4 else f"{anchor.year}-02-29",
            f"{anchor.year}-03-31",
            f"{anchor.year}-04-30",
        ]
        assert days[12] == anchor.replace(year=anchor.year + 1).date()
        receipts = [e for e in world.subscription_events if e.kind in ("activated", "renewed")]
        assert [e.period for e in receipts[:24]] == list(range(1, 25))
        assert receipts[0].clauses == ("SVC-GEN-1", "SVC-SUB-1")
        first = await time_env.client.get_workflow_handle(
            handle.id, run_id=handle.first_execution_run_id
        ).fetch_history()
        types = [e.event_type for e in first.events]
        assert types[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        assert types.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 1
        assert (await state(time_env, handle)).status is SubscriptionStatus.ACTIVE
        await record_history(
            time_env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id),
            "first_period",
            "subscription",
        )


async def test_cancelled_6_days_23_hours_after_a_payment_it_is_refunded_and_stops(
    time_env: WorkflowEnvironment,
) -> None:
    """SVC-SUB-1: within 7 days after the last payment it is refunded, once, under its key,
    and (the reading) the refunded period stops at once though the customer asked to keep
    it. No charge follows."""
    world = FakeWorld()
    async with subscribed(time_env, world) as handle:
        await charged(world, 1)
        await time_env.sleep(timedelta(days=6, hours=23))
        answer: SubscriptionCancelled = await handle.execute_update(
            names.UPDATE_CANCEL_SUBSCRIPTION,
            SubscriptionCancel(stop="end_of_cycle"),
            result_type=SubscriptionCancelled,
        )
        assert answer.status is SubscriptionStatus.CANCELLED and answer.refund == PRICE
        assert answer.clauses == ("SVC-SUB-1",)
        assert answer.access_ends_at <= await time_env.get_current_time()
        final: SubscriptionSnapshot = await handle.result()
        assert final.status is SubscriptionStatus.CANCELLED
        sid = handle.id.removeprefix("subscription-")
        assert world.calls == [f"refund:{sid}:refund:period:1:29.00 EUR"]
        assert len(world.charges) == 1
        await record_history(handle, "cancelled_within_7_days", "subscription")


async def test_cancelled_7_days_1_hour_after_it_is_kept_to_the_period_end_unrefunded(
    time_env: WorkflowEnvironment,
) -> None:
    """SVC-SUB-1: later than 7 days nothing is refunded; kept until the period's end it is
    `cancelling`, then `ended`, and the next period is never charged."""
    world = FakeWorld()
    async with subscribed(time_env, world) as handle:
        await charged(world, 1)
        await time_env.sleep(timedelta(days=7, hours=1))
        answer: SubscriptionCancelled = await handle.execute_update(
            names.UPDATE_CANCEL_SUBSCRIPTION,
            SubscriptionCancel(stop="end_of_cycle"),
            result_type=SubscriptionCancelled,
        )
        assert answer.status is SubscriptionStatus.CANCELLING and answer.refund.amount == 0
        period = await state(time_env, handle)
        assert answer.access_ends_at == period.period_end
        repeated: SubscriptionCancelled = await handle.execute_update(
            names.UPDATE_CANCEL_SUBSCRIPTION,
            SubscriptionCancel(stop="immediately"),
            result_type=SubscriptionCancelled,
        )
        assert repeated == answer  # the same request answered once, not decided twice
        final: SubscriptionSnapshot = await handle.result()
        assert final.status is SubscriptionStatus.ENDED
        assert len(world.charges) == 1 and not world.calls
        assert world.subscription_events[-1].kind == "ended"


async def test_cancelled_later_and_stopped_now_ends_at_once_unrefunded(
    time_env: WorkflowEnvironment,
) -> None:
    """SVC-SUB-1: the customer's other choice: stopped at once, nothing refunded."""
    world = FakeWorld()
    async with subscribed(time_env, world) as handle:
        await charged(world, 1)
        await time_env.sleep(timedelta(days=7, hours=1))
        answer: SubscriptionCancelled = await handle.execute_update(
            names.UPDATE_CANCEL_SUBSCRIPTION,
            SubscriptionCancel(stop="immediately"),
            result_type=SubscriptionCancelled,
        )
        assert answer.status is SubscriptionStatus.CANCELLED and answer.refund.amount == 0
        assert (await handle.result()).status is SubscriptionStatus.CANCELLED
        assert not world.calls


async def test_a_declined_renewal_goes_past_due_is_retried_on_schedule_then_ends(
    time_env: WorkflowEnvironment,
) -> None:
    """A renewal declined (the card was blocked) makes the subscription `past_due`; it is
    tried again 1, 3 and 7 days later, as the preset sets, each under its own key and
    e-mailed; when all fail it ends. A cancellation is then refused naming SVC-SUB-1."""
    world = FakeWorld(decline_from_period=2)
    async with subscribed(time_env, world) as handle:
        await charged(world, 1)
        await time_env.sleep(timedelta(days=32))
        await charged(world, 2)
        assert (await state(time_env, handle)).status is SubscriptionStatus.PAST_DUE
        await time_env.sleep(timedelta(days=12))
        final = await time_env.client.get_workflow_handle(
            handle.id, result_type=SubscriptionSnapshot
        ).result()
        assert final.status is SubscriptionStatus.ENDED
        sid = handle.id.removeprefix("subscription-")
        keys = [key for key, _ in world.charges]
        assert keys == [
            f"{sid}:period:1",
            f"{sid}:period:2",
            f"{sid}:period:2:retry:1",
            f"{sid}:period:2:retry:2",
            f"{sid}:period:2:retry:3",
        ]
        gaps = [b - a for (_, a), (_, b) in zip(world.charges[1:], world.charges[2:], strict=False)]
        assert [round(g / timedelta(days=1)) for g in gaps] == [1, 3, 7]
        assert world.emails.count("renewal_failed") == 4
        statuses = [e.status for e in world.subscription_events if e.status]
        assert statuses[-2:] == [SubscriptionStatus.PAST_DUE, SubscriptionStatus.ENDED]


async def test_a_declined_first_payment_never_activates_the_service(
    time_env: WorkflowEnvironment,
) -> None:
    """SVC-GEN-1 and SVC-SUB-1: the service is active only once the first payment is
    captured; declined, it ends at once (no retry schedule for money never taken), e-mailed."""
    world = FakeWorld(decline_from_period=1)
    async with subscribed(time_env, world) as handle:
        final: SubscriptionSnapshot = await handle.result()
        assert final.status is SubscriptionStatus.ENDED and final.last_payment is None
        assert len(world.charges) == 1
        kinds = [e.kind for e in world.subscription_events]
        assert kinds == ["charge_declined", "ended"]
        assert SubscriptionStatus.ACTIVE not in [e.status for e in world.subscription_events]
        assert world.email_facts["renewal_failed"]["retry_at"] == ""
