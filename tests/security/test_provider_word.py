"""A webhook is a hint, never the provider's word: a forged reversal cancels nothing and a
confirmed one is an operator's chargeback; a forged failure or void that arrives before the
real authorisation does not end the payment (IMA-PAY-1, IMA-PAY-2)."""

from __future__ import annotations

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.policy import PaymentMethod
from domain.status import OrderStatus
from tests.domain.helpers import preset
from tests.integration.harness import OPERATOR, System
from tests.integration.test_api_contract import assert_problem
from tests.integration.test_order_changes_http import place, reaches
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


def test_a_disputed_stripe_charge_and_a_reversed_paypal_capture_read_as_reversed() -> None:
    """What confirming a reversal asks of each provider reads their own word for it."""
    from adapters.payments import PaymentState, paypal_terms, stripe

    disputed = {"id": "pi_1", "status": "succeeded", "latest_charge": {"disputed": True}}
    assert stripe.result_of(disputed).state is PaymentState.REVERSED
    kept = {"id": "pi_1", "status": "succeeded", "latest_charge": {"disputed": False}}
    assert stripe.result_of(kept).state is PaymentState.CAPTURED
    capture = {"id": "cap_1", "status": "REVERSED"}
    assert paypal_terms.capture_result("o-1", capture).state is PaymentState.REVERSED


async def test_no_chargeback_to_decide_is_a_409(system: System) -> None:
    """The operators' endpoint acts only on a chargeback the provider confirmed."""
    order_id, mine = await place(system, "holdshop")
    await reaches(system, order_id, mine, "paid")
    answer = await system.api.post(
        f"/v1/ops/orders/{order_id}/chargeback",
        headers=OPERATOR,
        json={"accept": True, "operator": "amira"},
    )
    assert "no chargeback" in assert_problem(answer, 409)["detail"]
    view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
    assert view["status"] == "paid"
