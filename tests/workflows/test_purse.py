"""One purse per order: refunds that a return, a claim and an operator ask for at the same
moment are each decided against what is left of the captured money, never against the same
money, so the provider never has to refuse one."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from temporalio.testing import WorkflowEnvironment

from domain.calendar import pin_calendar
from domain.claims import ClaimVerdict, Outcome
from domain.money import Money
from domain.orders import CancelOutcome, CancelRequest, OperatorRefund, OperatorRefunded
from domain.policy.aftercare import ClaimKind
from domain.status import ClaimStatus, OrderStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.claims_kit import act, file
from tests.workflows.fakes import FakeWorld, labelled, order_input, record_history, running_order
from tests.workflows.returns_kit import delivered, good
from workflows import names

DRONE = [("DRONE-X", "300.00", 1, "general"), ("CASE", "20.00", 1, "general")]


async def test_refunds_asked_at_once_by_a_return_a_claim_and_an_operator_stay_within_the_capture(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-REF-1, KWO-RET-1, KWO-DEF-2: a kwoking order of 335.00 EUR (shipping 15.00). An
    operator's goodwill refund of 150.00 is still at the provider when a claim for shipping
    damage is refunded 100.00 and a return of the drone is inspected (300.00 granted): the
    return is given the 85.00 that is left, and its breakdown says so. The provider refuses
    nothing and the order gives back exactly what was captured, 550.00 asked in all."""
    world = FakeWorld(refunds_up_to=Decimal("335.00"))
    operator_at_provider = asyncio.Event()
    world.held_refunds["refund:operator:"] = operator_at_provider
    async with delivered(time_env, "kwoking", DRONE, shipping="15", world=world) as o:
        opened = await o.ask("change_of_mind", ("DRONE-X", 1), described=True)
        await o.approve(opened.rma_id)
        await o.send_back(opened.rma_id, "RET-PURSE-1")
        await o.arrives(opened.rma_id)
        claim = await file(o, ClaimKind.SHIPPING_DAMAGE, evidence_kinds=("item",))

        goodwill = OperatorRefund(
            refund_id="goodwill",
            amount=Money(amount=Decimal("150.00"), currency="EUR"),
            reason="goodwill after a late delivery",
            operator="ops-1",
        )
        operator = asyncio.create_task(
            o.order.execute_update(names.UPDATE_REFUND, goodwill, result_type=OperatorRefunded)
        )

        async def at_provider() -> bool:
            return any("refund:operator:" in key for key in world.refunds_at_provider)

        await wait_for(at_provider, within=30)
        verdict = ClaimVerdict(operator="Léa", outcome=Outcome.REFUND, amount=Decimal("100"))
        decided = await act(o, claim.claim_id, names.UPDATE_DECIDE_CLAIM, verdict)
        returned = await o.inspect(opened.rma_id, good("DRONE-X"))
        operator_at_provider.set()
        refunded = await operator

        assert str(decided.refunded) == "100.00 EUR" and decided.status is ClaimStatus.RESOLVED
        assert str(returned.refunded) == "85.00 EUR"
        assert returned.breakdown is not None
        bounded = [line for line in returned.breakdown.lines if "remains refundable" in line.label]
        assert [str(line.amount) for line in bounded] == ["-215.00 EUR"]
        assert str(refunded.amount) == "150.00 EUR"
        assert world.refused_refunds == []
        assert world.refunded_total == Decimal("335.00")
        result = await o.order.result()
        assert result.status is OrderStatus.COMPLETED and str(result.refunded) == "335.00 EUR"


async def test_a_cancellation_after_a_full_refund_sends_nothing_and_the_order_ends_cancelled(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-CAN-1, KWO-REF-1: an operator gave back all 39.80 EUR of an order still waiting
    for its pickup; the customer then cancels. The cancellation's band grants the price back,
    but nothing is left to refund: no refund is sent (the provider would refuse it), the
    label is voided and the order ends cancelled, never failed."""
    world = FakeWorld(refunds_up_to=Decimal("39.80"))
    now = await time_env.get_current_time()
    kwoking = preset("kwoking")
    order = order_input(f"wf-{uuid.uuid4().hex[:8]}", kwoking).model_copy(
        update={"policy": pin_calendar(kwoking, now), "placed_at": now}
    )
    async with running_order(time_env, world, order) as handle:
        await labelled(handle, 1)
        everything = OperatorRefund(
            refund_id="all",
            amount=Money(amount=Decimal("39.80"), currency="EUR"),
            reason="goodwill",
            operator="ops-1",
        )
        await handle.execute_update(names.UPDATE_REFUND, everything, result_type=OperatorRefunded)
        outcome = await handle.execute_update(
            names.UPDATE_CANCEL, CancelRequest(), result_type=CancelOutcome
        )
        result = await handle.result()
        await record_history(handle, "cancelled_after_a_full_refund")
    assert outcome.status is OrderStatus.CANCELLED and str(outcome.refund) == "0.00 EUR"
    assert result.status is OrderStatus.CANCELLED and str(result.refunded) == "39.80 EUR"
    assert world.refunds_at_provider == [f"{order.order_id}:refund:operator:all"]
    assert world.refused_refunds == [] and "void_label:lbl_1" in world.calls
