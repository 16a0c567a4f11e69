"""paralight's returns as they run: 30 days from receipt, prior approval, 15 days to send,
custom-made goods, the seller's label for damage or defect, the restocking fee."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from domain.returns import InspectionResult, ParcelPlace
from domain.status import OrderStatus, ReturnStatus
from tests.workflows.fakes import record_history, refused
from tests.workflows.returns_kit import delivered, good
from workflows import names

LENS = [("LENS-25", "250.00", 1, "general")]


async def test_paralight_returns_are_asked_for_within_30_days_of_receipt(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-RET-1: day 30 from receipt is in time; day 31 is refused with the clause."""
    async with delivered(time_env, "paralight", LENS + [("PRISM", "40.00", 1, "general")]) as o:
        await time_env.sleep(timedelta(days=30) - timedelta(minutes=1))
        opened = await o.ask("change_of_mind", ("LENS-25", 1), has_original_invoice=True)
        assert opened.needs_approval and opened.status is ReturnStatus.REQUESTED
        await time_env.sleep(timedelta(days=1))
        details = await refused(
            o.ask("change_of_mind", ("PRISM", 1), has_original_invoice=True), "ReturnRefused"
        )
        assert details == ["PAR-RET-1", "reason"]


async def test_paralight_approval_then_15_days_to_send_else_expired_without_refund(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-RET-2, PAR-RET-4: the return waits for an operator's approval (a task); approved,
    the e-mail gives the address and the date; nothing sent in 15 days: expired, no refund."""
    async with delivered(time_env, "paralight", LENS) as o:
        opened = await o.ask("change_of_mind", ("LENS-25", 1), has_original_invoice=True)
        assert "PAR-RET-2" in opened.clauses
        await o.reaches(opened.rma_id, ReturnStatus.REQUESTED)
        assert o.world.tasks["return_approval"].clauses == ("PAR-RET-2", "PAR-RET-4")
        approved = await o.approve(opened.rma_id)
        assert approved.approved_by == "Inès (returns desk)"
        assert approved.ship_back_by is not None
        mail = o.world.email_facts["return_approved"]
        assert mail["address"]["city"] == "Shenzhen" and mail["label"] is None
        await time_env.sleep(timedelta(days=15, minutes=1))
        ended = await o.reaches(opened.rma_id, ReturnStatus.EXPIRED)
        assert all(line.parcel is ParcelPlace.EXPIRED for line in ended.lines)
        assert o.refunds() == [] and "return_expired" in o.world.emails
        expired = next(e for e in o.world.return_events if e.kind == "return_expired")
        assert "PAR-RET-4" in expired.clauses
        # nothing came back: the line may be asked for again, within the window
        again = await o.ask("change_of_mind", ("LENS-25", 1), has_original_invoice=True)
        assert again.status is ReturnStatus.REQUESTED


async def test_paralight_custom_made_only_for_a_defect_with_the_sellers_label(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-RET-5, PAR-RET-7, PAR-RET-8: a custom-made lens is not returned for a change of
    mind (422 with the clause); defective, it is, on the seller's return label to its own
    address, and refunded in full: no restocking fee for a defect."""
    lens = [("LENS-CUSTOM", "600.00", 1, "custom_made")]
    async with delivered(time_env, "paralight", lens, shipping="30") as o:
        details = await refused(
            o.ask("change_of_mind", ("LENS-CUSTOM", 1), has_original_invoice=True),
            "ReturnRefused",
        )
        assert details == ["PAR-RET-5", "lines"]
        opened = await o.ask("defective", ("LENS-CUSTOM", 1), has_original_invoice=True)
        assert opened.seller_label and "PAR-RET-7" in opened.clauses
        await o.approve(opened.rma_id)
        waiting = await o.reaches(opened.rma_id, ReturnStatus.AWAITING_PARCEL)
        assert waiting.label_id and waiting.tracking_number
        label = o.world.email_facts["return_approved"]["label"]
        assert label["tracking_number"] == waiting.tracking_number
        assert any(c.endswith(f":label:return:{opened.rma_id}") for c in o.world.calls)
        await o.arrives(opened.rma_id)
        done = await o.inspect(opened.rma_id, good("LENS-CUSTOM", defect_confirmed=True))
        assert done.status is ReturnStatus.REFUNDED
        assert done.lines[0].inspection is InspectionResult.ACCEPTED
        assert done.breakdown is not None
        assert str(done.refunded) == "630.00 EUR"  # the price, and shipping: the seller's fault
        assert not any("restocking" in line.label for line in done.breakdown.lines)
        order_id = o.snapshot.order_id
        assert o.refunds() == [f"refund:{order_id}:refund:return:{opened.rma_id}:630.00 EUR"]


async def test_paralight_restocking_fee_on_a_change_of_mind(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-RET-8, PAR-RET-3: a change of mind in its original state pays 20%; shipping is not
    refunded; the order completes once its window closed and the return ended."""
    async with delivered(time_env, "paralight", LENS, shipping="30") as o:
        no_invoice = await refused(o.ask("change_of_mind", ("LENS-25", 1)), "ReturnRefused")
        assert no_invoice == ["PAR-RET-3", "has_original_invoice"]
        unpacked = await refused(
            o.ask(
                "change_of_mind",
                ("LENS-25", 1),
                has_original_invoice=True,
                line={"original_packaging": False},
            ),
            "ReturnRefused",
        )
        assert unpacked == ["PAR-RET-3", "lines"]
        opened = await o.ask("change_of_mind", ("LENS-25", 1), has_original_invoice=True)
        await o.approve(opened.rma_id)
        await o.send_back(opened.rma_id)
        await o.arrives(opened.rma_id)
        done = await o.inspect(opened.rma_id, good("LENS-25"))
        assert done.lines[0].inspection is InspectionResult.ACCEPTED_WITH_DEDUCTIONS
        assert str(done.refunded) == "200.00 EUR"
        assert done.breakdown is not None and "PAR-RET-8" in done.breakdown.clauses
        fee = next(line for line in done.breakdown.lines if "restocking" in line.label)
        assert str(fee.amount) == "-50.00 EUR"
        granted = next(e for e in o.world.events if e.kind == "return_refund_granted")
        refunded = o.world.calls.index(next(iter(o.refunds())))
        assert granted.details["breakdown"]["total"]["amount"] == "200.00" and refunded > 0
        result = await o.order.result()
        await record_history(o.order, "with_a_return")
        await record_history(o.ret(opened.rma_id), "refunded_with_restocking", "return")
        assert result.status is OrderStatus.COMPLETED
        assert str(result.refunded) == "200.00 EUR"
        assert names.UPDATE_REQUEST_RETURN == "request_return"


async def test_paralight_shipping_damage_is_reported_within_5_days_of_receipt(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-RET-6: a return for shipping damage on day 5 is taken; on day 6 it is refused,
    while other reasons still have their 30 days."""
    async with delivered(time_env, "paralight", LENS + [("PRISM", "40.00", 1, "general")]) as o:
        await time_env.sleep(timedelta(days=5) - timedelta(minutes=1))
        opened = await o.ask("damaged_in_shipping", ("LENS-25", 1), has_original_invoice=True)
        assert "PAR-RET-6" in opened.clauses and opened.seller_label
        await time_env.sleep(timedelta(days=1))
        late = await refused(
            o.ask("damaged_in_shipping", ("PRISM", 1), has_original_invoice=True),
            "ReturnRefused",
        )
        assert late == ["PAR-RET-6", "reason"]
        assert await o.ask("defective", ("PRISM", 1), has_original_invoice=True)


async def test_paralight_a_custom_made_item_dead_on_arrival_is_returned_like_a_defective_one(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-RET-5: dead on arrival is defective on receipt: a custom-made lens that never
    worked comes back, on the seller's label (PAR-RET-7)."""
    lens = [("LENS-CUSTOM", "600.00", 1, "custom_made")]
    async with delivered(time_env, "paralight", lens, shipping="30") as o:
        opened = await o.ask("dead_on_arrival", ("LENS-CUSTOM", 1), has_original_invoice=True)
        assert opened.status is ReturnStatus.REQUESTED  # waits for the seller's approval
        assert opened.seller_label and "PAR-RET-7" in opened.clauses
