"""cardnet's returns as they run, and what holds for every merchant: two returns never give
back more than was captured, and a refund whose answer was lost refunds once."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from domain.orders import OrderSnapshot
from domain.returns import ExchangeChoice, ReturnSnapshot
from domain.status import ReturnStatus
from tests.workflows.fakes import FakeWorld, record_history, refused
from tests.workflows.returns_kit import delivered, good
from workflows import names

PHONE = [("PHONE", "1000.00", 1, "general"), ("GUIDE", "50.00", 1, "books")]


async def test_cardnet_14_days_from_purchase_or_7_from_receipt_whichever_later(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-RET-2, CRD-EXC-1, CRD-RTN-1: delivered 10 days after purchase, an exchange and a
    rescission asked on day 16 (6 days after receipt) are in time by the 7-day rule; on day
    18 (8 days after) neither is."""
    phones = [("PHONE", "1000.00", 4, "general")]
    async with delivered(time_env, "cardnet", phones, days_before_delivery=10) as o:
        await time_env.sleep(timedelta(days=6))
        exchange = {"resolution": "exchange", "exchange_sku": "PHONE-2"}
        swapped = await o.ask("change_of_mind", ("PHONE", 1), has_original_invoice=True, **exchange)
        assert swapped.status is ReturnStatus.APPROVED and not swapped.needs_approval
        assert "CRD-EXC-1" in swapped.clauses
        rescinded = await o.ask("change_of_mind", ("PHONE", 1), has_original_invoice=True)
        assert rescinded.status is ReturnStatus.APPROVED and "CRD-RTN-1" in rescinded.clauses
        assert (await o.state(swapped.rma_id)).resolution.value == "exchange"
        await time_env.sleep(timedelta(days=2))
        late = await refused(
            o.ask("change_of_mind", ("PHONE", 1), has_original_invoice=True), "ReturnRefused"
        )
        assert late[0] == "CRD-RET-2"
        late_swap = await refused(
            o.ask("change_of_mind", ("PHONE", 1), has_original_invoice=True, **exchange),
            "ReturnRefused",
        )
        assert late_swap[0] == "CRD-RET-2"


async def test_cardnet_needs_the_invoice_and_takes_no_books(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-RET-1, CRD-EXC-2: no invoice, no return; a book is never returned."""
    async with delivered(time_env, "cardnet", PHONE) as o:
        assert await refused(o.ask("change_of_mind", ("PHONE", 1)), "ReturnRefused") == [
            "CRD-RET-1",
            "has_original_invoice",
        ]
        book = await refused(
            o.ask("change_of_mind", ("GUIDE", 1), has_original_invoice=True), "ReturnRefused"
        )
        assert book == ["CRD-EXC-2", "lines"]


async def test_cardnet_refunds_the_price_only_within_14_days_after_inspection(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-RET-3, CRD-RET-4, CRD-RET-7: approved at once, to Jeddah at the customer's cost;
    refunded after receipt and inspection, the price without the shipping, with the 14-day
    refund deadline recorded."""
    async with delivered(time_env, "cardnet", PHONE, shipping="25") as o:
        opened = await o.ask("change_of_mind", ("PHONE", 1), has_original_invoice=True)
        assert "CRD-RET-4" in opened.clauses
        await o.send_back(opened.rma_id, "RET-CRD-1")
        assert o.world.email_facts["return_approved"]["address"]["city"] == "Jeddah"
        await o.arrives(opened.rma_id)
        done = await o.inspect(opened.rma_id, good("PHONE"))
        assert str(done.refunded) == "1000.00 SAR"
        assert done.refund_pay_by == done.inspected_at + timedelta(days=14)
        event = next(e for e in o.world.return_events if e.kind == "return_refunded")
        assert "CRD-RET-7" in event.clauses and event.details["late"] is False


async def test_cardnet_exchange_out_of_stock_offers_another_product(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-RET-5, CRD-RET-6: the exchange is out of stock: an operator task, the customer's
    choice of another product, which leaves as a new parcel."""
    world = FakeWorld(in_stock=False)
    async with delivered(time_env, "cardnet", PHONE, world=world) as o:
        opened = await o.ask(
            "defective",
            ("PHONE", 1),
            has_original_invoice=True,
            resolution="exchange",
            exchange_sku="PHONE-2",
        )
        await o.send_back(opened.rma_id, "RET-CRD-2")
        await o.arrives(opened.rma_id)
        await o.inspect(opened.rma_id, good("PHONE", defect_confirmed=True))
        assert o.world.tasks["exchange_out_of_stock"].clauses == ("CRD-RET-5", "CRD-RET-6")
        assert "return_out_of_stock" in o.world.emails
        world.in_stock = True
        chosen: ReturnSnapshot = await o.ret(opened.rma_id).execute_update(
            names.UPDATE_CHOOSE_EXCHANGE,
            ExchangeChoice(sku="PHONE-3"),
            result_type=ReturnSnapshot,
        )
        assert chosen.status is ReturnStatus.REPLACED and chosen.replacement_tracking_number
        await o.ret(opened.rma_id).result()
        await record_history(o.ret(opened.rma_id), "exchanged_after_out_of_stock", "return")
        assert o.refunds() == []


async def test_two_returns_never_refund_more_than_was_captured(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-RET-7, KWO-RMA-7: a defective phone and its shipping, then the rest: the second
    return's grant is bounded by what remains refundable of the order."""
    async with delivered(time_env, "kwoking", [("DRONE-X", "300.00", 2, "general")], "15") as o:
        first = await o.ask("defective", ("DRONE-X", 1), described=True)
        second = await o.ask("defective", ("DRONE-X", 1), described=True)
        for rma in (first.rma_id, second.rma_id):
            await o.approve(rma)
            await o.send_back(rma, f"RET-{rma[-6:]}")
            await o.arrives(rma)
        one = await o.inspect(first.rma_id, good("DRONE-X", defect_confirmed=True))
        two = await o.inspect(second.rma_id, good("DRONE-X", defect_confirmed=True))
        assert str(one.refunded) == "315.00 EUR"  # the item, and the shipping once
        assert str(two.refunded) == "300.00 EUR"
        assert two.breakdown is not None
        assert not any(line.label == "shipping" for line in two.breakdown.lines)
        order = await o.order.query(names.QUERY_ORDER, result_type=OrderSnapshot)
        assert str(order.refunded) == "615.00 EUR" == str(order.captured_amount)


async def test_a_refund_whose_answer_was_lost_refunds_once(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-REF-1: the provider refunds, the answer is lost, the activity is retried under the
    same key: money moves once, to the original payment."""
    world = FakeWorld(refund_acts_then_fails=1)
    async with delivered(
        time_env, "kwoking", [("DRONE-X", "300.00", 1, "general")], world=world
    ) as o:
        opened = await o.ask("change_of_mind", ("DRONE-X", 1), described=True)
        await o.approve(opened.rma_id)
        await o.send_back(opened.rma_id, "RET-KWO-9")
        await o.arrives(opened.rma_id)
        done = await o.inspect(opened.rma_id, good("DRONE-X"))
        assert done.status is ReturnStatus.REFUNDED
        order_id = o.snapshot.order_id
        assert o.refunds() == [f"refund:{order_id}:refund:return:{opened.rma_id}:300.00 EUR"]


async def test_cardnet_opened_products_are_exchanged_only_for_a_defect(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-RET-6: an opened phone is not exchanged for a change of mind; for a defect it is,
    but not one damaged by water."""
    async with delivered(time_env, "cardnet", [("PHONE", "1000.00", 2, "general")]) as o:
        opened = {"opened": True}
        mind = await refused(
            o.ask(
                "change_of_mind",
                ("PHONE", 1),
                has_original_invoice=True,
                line=opened,
                resolution="exchange",
                exchange_sku="PHONE-2",
            ),
            "ReturnRefused",
        )
        assert mind[1] == "lines"  # opened: not taken back for a change of mind
        wet = await refused(
            o.ask(
                "defective",
                ("PHONE", 1),
                has_original_invoice=True,
                line={"opened": True, "damage_cause": "water_damage"},
                resolution="exchange",
                exchange_sku="PHONE-2",
            ),
            "ReturnRefused",
        )
        assert wet == ["CRD-RET-5", "lines"]
        taken = await o.ask(
            "defective",
            ("PHONE", 1),
            has_original_invoice=True,
            line=opened,
            resolution="exchange",
            exchange_sku="PHONE-2",
        )
        assert "CRD-RET-6" in taken.clauses


async def test_cardnet_sealed_software_comes_back_and_used_software_does_not(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-EXC-2, CRD-RET-2: "used" qualifies the software: a box still sealed is returned
    like any product in its original state; opened or used, it is excluded."""
    boxed = [("OFFICE-BOX", "400.00", 2, "software")]
    async with delivered(time_env, "cardnet", boxed) as o:
        await time_env.sleep(timedelta(days=3))
        sealed = await o.ask("change_of_mind", ("OFFICE-BOX", 1), has_original_invoice=True)
        assert sealed.status is ReturnStatus.APPROVED
        used = await refused(
            o.ask(
                "change_of_mind",
                ("OFFICE-BOX", 1),
                has_original_invoice=True,
                line={"opened": True, "used": True},
            ),
            "ReturnRefused",
        )
        assert used[:2] == ["CRD-EXC-2", "lines"]
