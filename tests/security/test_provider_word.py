"""A webhook is a hint, never the provider's word: a forged reversal cancels nothing and a
confirmed one is an operator's chargeback; a forged failure or void that arrives before the
real authorisation does not end the payment (IMA-PAY-1, IMA-PAY-2)."""

from __future__ import annotations

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.policy import PaymentMethod
from domain.status import OrderStatus
from tests.domain.helpers import preset
from tests.workflows.fakes import FakeWorld, held_at_dispatch, record_history, running_order
from tests.workflows.test_payments import event, order, provider_says, status_is, step
from workflows.names import SIGNAL_PAYMENT_EVENT


async def test_a_reversal_the_provider_denies_cancels_nothing(
    time_env: WorkflowEnvironment,
) -> None:
    """API10: the provider is asked; it still holds the capture, so the order stands, no
    chargeback is opened, and the event is on the timeline as unconfirmed."""
    world = FakeWorld()
    paypal = order(held_at_dispatch(preset("imalent")), payment_method=PaymentMethod.PAYPAL)
    async with running_order(time_env, world, paypal) as handle:
        await step(handle)
        await handle.signal(SIGNAL_PAYMENT_EVENT, provider_says(world, "pay_1", "authorized"))
        await status_is(handle, OrderStatus.PAID)
        world.provider["pay_1"] = "captured"
        await handle.signal(SIGNAL_PAYMENT_EVENT, event("payment.reversed", "pay_1"))
        await time_env.sleep(60)
        snapshot = await status_is(handle, OrderStatus.PAID)
        await handle.terminate("test over")
        await record_history(handle, "reversal_denied_by_the_provider")
    assert snapshot.reversed_at is None
    assert "chargeback" not in world.tasks
    assert [e.kind for e in world.events].count("payment_event_unconfirmed") == 1
    assert world.calls.count("confirm:pay_1") == 2


@pytest.mark.parametrize("forged", ["payment.failed", "payment.voided"])
async def test_a_forged_terminal_event_before_3ds_does_not_end_the_payment(
    time_env: WorkflowEnvironment, forged: str
) -> None:
    """The provider still waits on the customer: the order waits on too, and the real
    authorisation, arriving after, pays it."""
    world = FakeWorld(challenge=True)
    async with running_order(time_env, world, order(held_at_dispatch(preset("imalent")))) as handle:
        first = await step(handle)
        assert first.status is OrderStatus.AWAITING_3DS
        await handle.signal(SIGNAL_PAYMENT_EVENT, event(forged, "pay_1"))
        await time_env.sleep(5)
        await status_is(handle, OrderStatus.AWAITING_3DS)
        await handle.signal(SIGNAL_PAYMENT_EVENT, provider_says(world, "pay_1", "authorized"))
        paid = await status_is(handle, OrderStatus.PAID)
        await handle.terminate("test over")
        await record_history(handle, f"3ds_after_a_forged_{forged.split('.')[1]}")
    assert paid.captured
    assert not any(c.startswith("void") for c in world.calls)
