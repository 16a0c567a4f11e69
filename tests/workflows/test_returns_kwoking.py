"""kwoking's returns as they run: 60 days from delivery, the RMA first, the tracking number,
inspection, missing accessories charged, dead on arrival within 14 days, photos for damage,
refunds to the original method without the shipping."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from temporalio.testing import WorkflowEnvironment

from domain.orders import OrderSnapshot
from domain.returns import EvidenceKind, InspectionResult, LineInspection
from domain.status import OrderStatus, ReturnStatus
from tests.integration.harness import wait_for
from tests.workflows.fakes import record_history, refused
from tests.workflows.returns_kit import EVIDENCE, delivered, good
from workflows import names

DRONE = [("DRONE-X", "300.00", 1, "general"), ("CASE", "20.00", 1, "general")]


async def test_kwoking_returns_within_60_days_of_delivery(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-RET-1, KWO-RET-2: day 60 is in time, day 61 is refused citing KWO-RET-2; the
    item's whole price comes back, not the shipping."""
    async with delivered(time_env, "kwoking", DRONE, shipping="15") as o:
        await time_env.sleep(timedelta(days=60) - timedelta(minutes=1))
        opened = await o.ask("change_of_mind", ("DRONE-X", 1), described=True)
        await time_env.sleep(timedelta(days=1))
        details = await refused(
            o.ask("change_of_mind", ("CASE", 1), described=True), "ReturnRefused"
        )
        assert details[:2] == ["KWO-RET-2", "reason"]  # the clause that refuses
        await o.approve(opened.rma_id)
        await o.send_back(opened.rma_id, "RET-KWO-1")
        await o.arrives(opened.rma_id)
        done = await o.inspect(opened.rma_id, good("DRONE-X"))
        assert str(done.refunded) == "300.00 EUR"
        assert done.breakdown is not None
        assert not any(line.label == "shipping" for line in done.breakdown.lines)
        note = next(line for line in done.breakdown.lines if "bank fees" in line.label)
        assert note.clauses == ("KWO-REF-1",) and note.amount.amount == 0


async def test_kwoking_missing_accessory_charged_after_inspection(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-RMA-2, KWO-RMA-4, KWO-RMA-7, KWO-DOA-2, KWO-DEF-1: a defective drone, its
    tracking number given, inspected with its charger missing: the charger is charged, the
    shipping refunded (the seller's fault), the refund only after the inspection."""
    async with delivered(time_env, "kwoking", DRONE, shipping="15") as o:
        opened = await o.ask("defective", ("DRONE-X", 1), described=True)
        await o.approve(opened.rma_id)
        approval = o.world.email_facts["return_approved"]
        assert approval["tracking_requested"] is True
        assert approval["address"]["city"] == "Paris"  # KWO-RMA-6: the address after approval
        await o.send_back(opened.rma_id, "RET-KWO-2")
        snap = await o.state(opened.rma_id)
        assert snap.tracking_number == "RET-KWO-2"
        await o.arrives(opened.rma_id)
        assert o.refunds() == []  # nothing before the inspection
        done = await o.inspect(
            opened.rma_id,
            LineInspection(
                sku="DRONE-X",
                acceptable=True,
                defect_confirmed=True,
                missing_accessories=["charger"],
                missing_accessories_cost=Decimal("40"),
            ),
        )
        assert done.lines[0].inspection is InspectionResult.ACCEPTED_WITH_DEDUCTIONS
        assert str(done.refunded) == "275.00 EUR"  # 300 - 40 + 15 shipping
        assert done.breakdown is not None
        assert {"KWO-DOA-2", "KWO-RMA-7"} <= set(done.breakdown.clauses)


async def test_kwoking_unapproved_return_is_refused_and_refunds_nothing(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-RMA-1, KWO-RMA-8: without approval the return goes no further; nothing refunded."""
    async with delivered(time_env, "kwoking", DRONE) as o:
        opened = await o.ask("defective", ("DRONE-X", 1), described=True)
        assert opened.needs_approval and "KWO-RMA-1" in opened.clauses
        rejected = await o.approve(opened.rma_id, approve=False)
        assert rejected.status is ReturnStatus.REJECTED
        assert o.refunds() == [] and "return_rejected" in o.world.emails
        await o.ret(opened.rma_id).result()
        await record_history(o.ret(opened.rma_id), "rejected", "return")
        event = next(e for e in o.world.return_events if e.kind == "return_rejected")
        assert "KWO-RMA-1" in event.clauses


async def test_kwoking_inspection_that_finds_nothing_wrong_refunds_nothing(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-RMA-7, KWO-RMA-8: the reported defect not confirmed: that line gets nothing."""
    async with delivered(time_env, "kwoking", DRONE) as o:
        opened = await o.ask("defective", ("DRONE-X", 1), described=True)
        await o.approve(opened.rma_id)
        await o.send_back(opened.rma_id, "RET-KWO-3")
        await o.arrives(opened.rma_id)
        done = await o.inspect(opened.rma_id, good("DRONE-X", defect_confirmed=False))
        assert done.status is ReturnStatus.CLOSED
        assert done.lines[0].inspection is InspectionResult.REJECTED
        assert o.refunds() == []


async def test_kwoking_dead_on_arrival_within_14_days_then_warranty(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-DOA-1, KWO-RMA-5: a dead-on-arrival item is returned within 14 days of delivery;
    the note describing the problem speeds the return up (first on the operators' list) and
    is never a condition; on day 15 the request is refused: the warranty applies."""
    two = [("DRONE-X", "300.00", 2, "general"), ("CASE", "20.00", 1, "general")]
    async with delivered(time_env, "kwoking", two) as o:
        undescribed = await o.ask("dead_on_arrival", ("DRONE-X", 1))
        assert "KWO-DOA-1" in undescribed.clauses
        await o.reaches(undescribed.rma_id, ReturnStatus.REQUESTED)
        assert o.world.tasks["return_approval"].priority == 0
        await time_env.sleep(timedelta(days=14) - timedelta(minutes=1))
        opened = await o.ask("dead_on_arrival", ("CASE", 1), described=True)
        assert "KWO-DOA-1" in opened.clauses
        await o.reaches(opened.rma_id, ReturnStatus.REQUESTED)
        assert o.world.tasks["return_approval"].priority == 1
        await time_env.sleep(timedelta(days=1))
        late = await refused(o.ask("defective", ("DRONE-X", 1), described=True), "ReturnRefused")
        assert late[0] == "KWO-DOA-1"


async def test_kwoking_shipping_damage_needs_one_photo_and_the_three_kinds_speed_it_up(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-DEF-2: a damage return needs at least one photo or video of the damage; the
    item, its packaging and the outer label speed it up (first on the list), never asked."""
    async with delivered(time_env, "kwoking", DRONE) as o:
        bare = await refused(
            o.ask("damaged_in_shipping", ("DRONE-X", 1), described=True), "ReturnRefused"
        )
        assert bare == ["KWO-DEF-2", "evidence"]
        one = await o.ask(
            "damaged_in_shipping",
            ("DRONE-X", 1),
            described=True,
            evidence_kinds=(EvidenceKind.ITEM,),
        )
        await o.reaches(one.rma_id, ReturnStatus.REQUESTED)
        assert o.world.tasks["return_approval"].priority == 0
        opened = await o.ask(
            "damaged_in_shipping", ("CASE", 1), described=True, evidence_kinds=EVIDENCE
        )
        assert opened.status is ReturnStatus.REQUESTED
        await o.reaches(opened.rma_id, ReturnStatus.REQUESTED)
        assert o.world.tasks["return_approval"].priority == 1


async def test_kwoking_a_change_of_mind_return_must_be_undamaged_and_in_its_packaging(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-RET-1: the 60-day conditional return takes the product new, unused, undamaged and
    in its original packaging; otherwise it is refused on the lines, with the clause."""
    async with delivered(time_env, "kwoking", DRONE, shipping="15") as o:
        unboxed = await refused(
            o.ask("change_of_mind", ("DRONE-X", 1), line={"original_packaging": False}),
            "ReturnRefused",
        )
        assert unboxed[:2] == ["KWO-RET-1", "lines"]
        broken = await refused(
            o.ask("change_of_mind", ("DRONE-X", 1), line={"damage_cause": "breakage"}),
            "ReturnRefused",
        )
        assert broken[:2] == ["KWO-RET-1", "lines"]
        boxed = await o.ask("change_of_mind", ("DRONE-X", 1), described=True)
        assert boxed.rma_id


async def test_kwoking_a_faulty_item_below_the_merchants_value_is_not_sent_back(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-DOA-2 (reading): below the value the merchant sets (kwoking's `kept_below`, 30 EUR,
    a setting), a dead or damaged item is refunded without being sent back; at that value it
    is sent back and inspected as before."""
    lines = [("CASE", "20.00", 1, "general"), ("CABLE", "30.00", 1, "general")]
    async with delivered(time_env, "kwoking", lines) as o:
        kept = await o.ask("dead_on_arrival", ("CASE", 1), described=True)
        await o.approve(kept.rma_id)
        done = await o.reaches(kept.rma_id, ReturnStatus.REFUNDED)
        assert str(done.refunded) == "20.00 EUR" and done.received_at is None
        assert done.tracking_number is None and "return_approved" not in o.world.emails
        events = [e for e in o.world.return_events if e.rma_id == kept.rma_id]
        reasons = {e.kind: e for e in events}
        assert "merchant setting" in reasons["return_kept"].summary
        assert reasons["return_kept"].clauses == ("KWO-DOA-2",)
        assert "return_received" not in reasons
        await record_history(o.ret(kept.rma_id), "kept_below_its_value", "return")
        sent = await o.ask("dead_on_arrival", ("CABLE", 1), described=True)
        await o.approve(sent.rma_id)
        waiting = await o.reaches(sent.rma_id, ReturnStatus.AWAITING_PARCEL)
        assert waiting.ship_back_by is not None and "return_approved" in o.world.emails


async def test_kwoking_order_completes_when_its_60_days_after_delivery_close(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-RET-2, on kwoking's preset as shipped: with no return asked, the order completes
    when the 60 days after delivery close, and the window's deadline says when."""
    async with delivered(time_env, "kwoking", DRONE) as o:
        delivered_at = o.snapshot.delivered_at
        assert delivered_at is not None

        async def window_open() -> OrderSnapshot | None:  # opened just after the delivery
            now = await o.order.query(names.QUERY_ORDER, result_type=OrderSnapshot)
            return now if now.return_window_closes_at else None

        opened_now = await wait_for(window_open, within=30)
        assert opened_now.return_window_closes_at == delivered_at + timedelta(days=60)
        result = await o.order.result()
    assert result.status is OrderStatus.COMPLETED
    opened = next(e for e in o.world.events if e.kind == "return_window_opened")
    assert "KWO-RET-2" in opened.clauses
