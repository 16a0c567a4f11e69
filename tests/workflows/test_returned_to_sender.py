"""A parcel that comes back to the merchant (insufficient address, refused at customs) is sent
again to a corrected address once the customer pays the reshipping, or refunded less the
round trip's cost when they do not in time (IMA-EDT-2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.money import Money
from domain.orders import (
    OperatorRefund,
    OperatorRefunded,
    OrderSnapshot,
    ReshipOutcome,
    ReshipRequest,
    TrackingEvent,
)
from domain.policy import Policy
from domain.status import BackReason, OrderStatus, TrackingStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import (
    FakeWorld,
    opened_task,
    order_input,
    picked_up,
    record_history,
    running_order,
)
from workflows.names import QUERY_ORDER, SIGNAL_CARRIER_EVENT, UPDATE_REFUND, UPDATE_RESHIP


def scan(tracking_number: str, status: TrackingStatus, minute: int) -> TrackingEvent:
    return TrackingEvent(
        event_id=f"{tracking_number}-{status.value}",
        tracking_number=tracking_number,
        status=status,
        occurred_at=datetime(2026, 3, 3, 8, minute, tzinfo=UTC),
    )


def imalent_shipping_at_once() -> Policy:
    """imalent's rules, with the dispatch slot left out so the parcel leaves when paid."""
    imalent = preset("imalent")
    assert imalent.shipping is not None
    return imalent.model_copy(
        update={"shipping": imalent.shipping.model_copy(update={"dispatch": None})}
    )


def imalent_running(time_env: WorkflowEnvironment, world: FakeWorld, order_id: str) -> Any:
    """An imalent order running, its parcel leaving when paid."""
    return running_order(time_env, world, order_input(order_id, imalent_shipping_at_once()))


async def reship(handle: WorkflowHandle, change_id: int, token: str) -> ReshipOutcome:
    """The customer pays the reshipping to the corrected address `change_id`."""
    return await handle.execute_update(
        UPDATE_RESHIP,
        ReshipRequest(change_id=change_id, payment_token=token),
        result_type=ReshipOutcome,
    )


async def snapshot(handle: WorkflowHandle) -> OrderSnapshot:
    return await handle.query(QUERY_ORDER, result_type=OrderSnapshot)


async def came_back(time_env: WorkflowEnvironment, handle: WorkflowHandle) -> OrderSnapshot:
    """Ship the order, have the carrier send it back, and wait for the reshipping offer."""

    await picked_up(time_env, handle)
    await handle.signal(SIGNAL_CARRIER_EVENT, scan("TRK1", TrackingStatus.IN_TRANSIT, 1))
    await handle.signal(SIGNAL_CARRIER_EVENT, scan("TRK1", TrackingStatus.RETURN_TO_SENDER, 2))

    async def offered() -> bool:
        return (await snapshot(handle)).pay_reshipping_by is not None

    await wait_for(offered, within=30)
    return await snapshot(handle)


async def test_imalent_returned_parcel_is_reshipped_once_the_customer_pays(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-EDT-2: the reshipping is a payment of the policy's fee; the new label goes to the
    corrected address, and the order is delivered when the new parcel is."""
    world = FakeWorld()
    order_id = f"wf-{uuid.uuid4().hex[:8]}"
    async with imalent_running(time_env, world, order_id) as handle:
        offer = await came_back(time_env, handle)
        assert offer.status is OrderStatus.RETURNED_TO_SENDER
        offered = next(e for e in world.events if e.kind == "reshipping_offered")
        # the 25 USD and the 14 days are imalent's settings, not IMA-EDT-2's words
        assert "25.00 USD" in offered.summary and "merchant settings" in offered.summary
        outcome = await reship(handle, 7, "pm_card_approved")
        assert outcome.paid and str(outcome.fee) == "25.00 USD"
        assert outcome.clauses == ("IMA-EDT-2",)

        async def reshipped() -> bool:
            return len((await snapshot(handle)).shipments) == 2

        await wait_for(reshipped, within=30)
        await handle.signal(SIGNAL_CARRIER_EVENT, scan("TRK2", TrackingStatus.DELIVERED, 3))
        result = await handle.result()
        await record_history(handle, "reshipping")
    assert result.status is OrderStatus.COMPLETED and result.refunded is None
    assert result.shipments[0].replaced and result.shipments[1].status is TrackingStatus.DELIVERED
    paid = [c for c in world.calls if "reshipping" in c]
    assert paid == [
        f"authorize:{order_id}:authorization:reshipping:1",
        f"capture:{order_id}:capture:reshipping:1",
    ]
    # the corrected address is in place before the second label is bought
    assert world.calls.index("address:7") < world.calls.index(f"label:{order_id}:label:2")
    assert "parcel_returned" in world.emails and world.emails.count("shipment_tracking") == 2
    # IMA-SHP-3: the tracking number's e-mail promise is a deadline on the order
    shipped = [e for e in world.events if e.kind == "shipped"]
    assert len(shipped) == 2 and not any(e.kind == "tracking_email_late" for e in world.events)
    # the first parcel's promise runs from the handover to the warehouse, a reshipped one's
    # from its own label
    handed_over = next(e for e in world.events if e.kind == "fulfilment_started")
    first, again = shipped
    assert first.deadlines == {
        "tracking_email_by": (handed_over.at + timedelta(days=3)).isoformat()
    }
    assert again.deadlines == {"tracking_email_by": (again.at + timedelta(days=3)).isoformat()}
    offered = next(e for e in world.events if e.kind == "reshipping_offered")
    assert offered.clauses == ("IMA-EDT-2",) and offered.deadlines is not None
    assert "pay_reshipping_by" in offered.deadlines


async def test_a_refund_above_the_orders_own_payment_goes_on_to_the_reshipping_fee(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-EDT-2 with the purse: the reshipping fee is a payment of its own, and the provider
    refunds each payment up to its own capture. An operator giving back everything (the
    order's 39.80 and the fee's 25.00) is paid on both payments, each under its own key, and
    nothing is refused."""
    world = FakeWorld()
    order_id = f"wf-{uuid.uuid4().hex[:8]}"
    async with imalent_running(time_env, world, order_id) as handle:
        await came_back(time_env, handle)
        paid = await reship(handle, 7, "pm_card_approved")
        assert paid.paid
        everything = Money(amount=Decimal("64.80"), currency="USD")
        refunded = await handle.execute_update(
            UPDATE_REFUND,
            OperatorRefund(refund_id="all", amount=everything, reason="goodwill", operator="ops-1"),
            result_type=OperatorRefunded,
        )
        assert refunded.amount == everything and refunded.refunded_total == everything
        order = await snapshot(handle)
        assert [str(f.refunded) for f in order.fees] == ["25.00 USD"]
        await handle.signal(SIGNAL_CARRIER_EVENT, scan("TRK2", TrackingStatus.DELIVERED, 3))
        result = await handle.result()
        await record_history(handle, "reshipping_fee_refunded")
    assert world.refused_refunds == []
    assert [c for c in world.calls if c.startswith("refund")] == [
        f"refund:{order_id}:refund:operator:all:39.80 USD",
        f"refund:{order_id}:refund:operator:all:fee:1:25.00 USD",
    ]
    assert world.refunded_on == {"pay_1": Decimal("39.80"), "pay_reshipping_1": Decimal("25.00")}
    assert str(result.refunded) == "64.80 USD"


async def test_imalent_unpaid_reshipping_is_refunded_less_costs_after_14_days(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-EDT-2: no payment within `pay_within`: the items come back less the fee, once."""
    world = FakeWorld()
    order_id = f"wf-{uuid.uuid4().hex[:8]}"
    async with imalent_running(time_env, world, order_id) as handle:
        offer = await came_back(time_env, handle)
        result = await handle.result()  # time skips past the 14 days
        assert offer.pay_reshipping_by is not None
    assert result.status is OrderStatus.RETURNED_TO_SENDER
    assert str(result.refunded) == "14.80 USD"  # 39.80 paid, 25.00 round trip kept
    refunds = [c for c in world.calls if c.startswith("refund")]
    assert refunds == [f"refund:{order_id}:refund:returned:TRK1:14.80 USD"]
    refunded = next(e for e in world.events if e.kind == "returned_parcel_refunded")
    assert refunded.clauses == ("IMA-EDT-2",) and refunded.at >= offer.pay_reshipping_by
    assert world.emails[-1] == "returned_parcel_refunded"


async def test_a_declined_reshipping_payment_leaves_the_offer_open(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-EDT-2: a declined card moves nothing; the customer may pay again before the
    deadline, and a second payment while the first is still open is refused."""
    world = FakeWorld()
    order_id = f"wf-{uuid.uuid4().hex[:8]}"
    async with imalent_running(time_env, world, order_id) as handle:
        await came_back(time_env, handle)
        world.decline = "insufficient_funds"
        declined = await reship(handle, 9, "pm_card_insufficient_funds")
        assert not declined.paid and declined.decline_code == "insufficient_funds"
        assert (await snapshot(handle)).pay_reshipping_by is not None
        world.decline = None
        paid = await reship(handle, 10, "pm_card_approved")
        assert paid.paid
        with pytest.raises(WorkflowUpdateFailedError) as again:
            await reship(handle, 11, "pm_card_approved")
        assert isinstance(again.value.cause, ApplicationError)
        assert again.value.cause.type == "ReshipRefused"
        assert again.value.cause.details == ("IMA-EDT-2",)
        await handle.terminate("test over")
    assert "address:9" not in world.calls and "address:10" in world.calls
    assert f"capture:{order_id}:capture:reshipping:1" not in world.calls
    assert f"capture:{order_id}:capture:reshipping:2" in world.calls


async def test_imalent_parcel_refused_at_customs_is_a_conversation_with_no_fee(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-CUS-1: refused at customs is not IMA-EDT-2's insufficient address. No reshipping
    fee is offered or kept: the customer is told, an operator talks the duties through with
    them, and the order waits for the operator's refund of what is due."""
    world = FakeWorld()
    order_id = f"wf-{uuid.uuid4().hex[:8]}"
    async with imalent_running(time_env, world, order_id) as handle:
        await picked_up(time_env, handle)
        refused = scan("TRK1", TrackingStatus.RETURN_TO_SENDER, 2).model_copy(
            update={"reason": BackReason.CUSTOMS}
        )
        await handle.signal(SIGNAL_CARRIER_EVENT, refused)

        await opened_task(world, "customs_refusal")
        now = await snapshot(handle)
        assert now.status is OrderStatus.RETURNED_TO_SENDER and now.pay_reshipping_by is None
        assert now.shipments[0].back_reason is BackReason.CUSTOMS
        with pytest.raises(WorkflowUpdateFailedError) as reship:
            await handle.execute_update(
                UPDATE_RESHIP, ReshipRequest(change_id=3, payment_token="pm_card_approved")
            )
        assert isinstance(reship.value.cause, ApplicationError)
        assert reship.value.cause.type == "ReshipRefused"
        await handle.execute_update(
            UPDATE_REFUND,
            OperatorRefund(
                refund_id="customs",
                amount=Money(amount=Decimal("39.80"), currency="USD"),
                reason="the customer would not pay the duties",
                operator="ops-1",
            ),
        )
        result = await handle.result()
        await record_history(handle, "refused_at_customs")
    assert result.status is OrderStatus.RETURNED_TO_SENDER and str(result.refunded) == "39.80 USD"
    assert world.tasks["customs_refusal"].closed
    assert "parcel_held_at_customs" in world.emails and "parcel_returned" not in world.emails
    refused_event = next(e for e in world.events if e.kind == "parcel_refused_at_customs")
    assert refused_event.clauses == ("IMA-CUS-1",)
    assert not any(e.kind == "reshipping_offered" for e in world.events)
    assert not any("reshipping" in call for call in world.calls)
