"""Faults that end well: a payment the provider will not capture, whether it refuses or the
money window runs out, ends the order unpaid with its authorisation released and an
operator told, never a failed workflow holding the customer's money."""

from __future__ import annotations

import uuid

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.status import OrderStatus
from tests.domain.helpers import preset
from tests.workflows.fakes import FakeWorld, order_input, record_history, running_order


@pytest.mark.parametrize("fault", ["refused", "past_its_window"])
async def test_a_capture_that_fails_for_good_releases_the_authorisation_and_ends_unpaid(
    time_env: WorkflowEnvironment, fault: str
) -> None:
    """The card was authorised, but the provider refuses the capture, or answers
    500 until the capture's one-hour money window has passed. The authorisation is voided,
    the capture's ledger row settled with the provider, the customer told and an operator
    given a task; the order ends `payment_failed`, nothing taken, instead of failing."""
    if fault == "refused":
        world = FakeWorld(capture_refused=True)
    else:
        world = FakeWorld(capture_failures=10**6)
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", preset("kwoking"))
    async with running_order(time_env, world, order) as handle:
        result = await handle.result()
        if fault == "refused":
            await record_history(handle, "capture_refused")
    payment = result.payment_id
    assert result.status is OrderStatus.PAYMENT_FAILED and not result.captured
    assert f"void:{order.order_id}:void:capture:1" in world.calls
    assert f"confirm:{payment}" in world.calls and world.provider[payment] == "voided"
    failed = next(e for e in world.events if e.kind == "capture_failed")
    assert "authorisation was released" in failed.summary
    assert "capture_failed" in world.tasks and world.emails[-1] == "payment_failed"
    assert not [c for c in world.calls if c.startswith("refund:")]
