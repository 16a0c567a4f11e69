"""cardnet's digital gift cards on the time-skipping server: issued at once under 500 SAR and
after an operator's verification at or above it, never unverified, expiring unrefunded,
locked against edits and cancellation, replaced or refunded only when faulty on the
company's side, and never compensated once used (CRD-DIG-1..8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.calendar import add_months, pin_calendar
from domain.digital import (
    CardEvent,
    DigitalCard,
    FaultyCardAnswer,
    FaultyCardDecision,
    FaultyCardReport,
    FaultyCardVerdict,
    PurchaseVerification,
    ReportStatus,
    VerificationOutcome,
    VerificationVerdict,
)
from domain.money import Money
from domain.orders import (
    AddressChange,
    CancelRequest,
    OperatorRefund,
    OperatorRefunded,
    OrderLine,
    OrderSnapshot,
    OrderWorkflowInput,
)
from domain.policy import PaymentMethod
from domain.status import OrderStatus, TrackingStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import (
    FakeWorld,
    emailed,
    opened_task,
    picked_up,
    record_history,
    refused,
    running_order,
    scan_of,
)
from workflows import names

CARDNET = preset("cardnet")
PLACED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def card_order(order_id: str, *prices: str, lamp: bool = False) -> OrderWorkflowInput:
    """A cardnet order of one gift card per price (and a lamp that ships, with `lamp`)."""
    lines = [
        OrderLine(
            sku=f"GIFT-{price}",
            name="Gift card",
            unit_price=Decimal(price),
            quantity=1,
            category="digital_card",
        )
        for price in prices
    ]
    if lamp:
        lines.append(OrderLine(sku="LAMP-1", name="Lamp", quantity=1, unit_price=Decimal("80")))
    items = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
    shipping = Decimal("25") if lamp else Decimal(0)
    return OrderWorkflowInput(
        order_id=order_id,
        policy=pin_calendar(CARDNET, PLACED),
        lines=lines,
        items_total=Money(amount=items, currency="SAR"),
        shipping_total=Money(amount=shipping, currency="SAR"),
        total=Money(amount=items + shipping, currency="SAR"),
        payment_method=PaymentMethod.CARD,
        payment_token="pm_card_approved",
        destination_country="US",  # the fake gateway's cards are issued in the US
        billing_country="US",
        placed_at=PLACED,
    )


def kinds(world: FakeWorld) -> list[str]:
    return [event.kind for event in world.events]


def event(world: FakeWorld, kind: str) -> Any:
    return next(e for e in world.events if e.kind == kind)


async def cards_of(handle: WorkflowHandle[Any, Any], count: int = 1) -> list[DigitalCard]:
    async def issued() -> list[DigitalCard] | None:
        found = await handle.query(names.QUERY_DIGITAL_CARDS, result_type=list[DigitalCard])
        return found if len(found) >= count else None

    cards: list[DigitalCard] = await wait_for(issued, within=30)
    return cards


async def until(world: FakeWorld, kind: str) -> Any:
    async def seen() -> Any:
        return next((e for e in world.events if e.kind == kind), None)

    return await wait_for(seen, within=30)


async def test_under_500_sar_a_card_is_issued_at_once_and_expires_unused_unrefunded(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-1: 499.99 SAR is under the threshold: issued right after capture, inside the
    10 minutes. CRD-DIG-6: two months after issue the unused card expires, not refunded; the
    order then completes. CRD-DIG-5: the workflow carries the card's ID, never its code."""
    world = FakeWorld()
    order = card_order("dig-small", "499.99")
    async with running_order(time_env, world, order) as handle:
        [card] = await cards_of(handle)
        assert world.calls.count("card:dig-small:card:0:1") == 1
        issued = event(world, "digital_cards_issued")
        assert issued.status is OrderStatus.DELIVERED and "CRD-DIG-1" in issued.clauses
        assert "digital_verification" not in kinds(world)
        assert "digital_delivery_overdue" not in kinds(world)
        paid = event(world, "paid").at
        assert issued.at - paid <= timedelta(minutes=10)
        mailed = await emailed(world, "digital_cards")
        assert mailed["cards"][0]["card_id"] == card.card_id
        assert "code" not in str(mailed) + str(issued.details)
        assert card.expires_at == add_months(card.issued_at, 2)
        snapshot = await handle.result()
        assert snapshot.status is OrderStatus.COMPLETED
        expired = event(world, "digital_card_expired")
        assert expired.clauses == ("CRD-DIG-6",) and "not refunded" in expired.summary
        assert not [c for c in world.calls if c.startswith("refund:")]
        assert world.card_marks[card.card_id] == "expired"
        await record_history(handle, "digital_card_expired")


async def test_at_500_sar_nothing_is_issued_until_an_operator_verifies(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-1: 500.00 SAR is verified first, with a task due 3 hours after payment. The
    3 hours pass: escalated, and still nothing issued unverified. The operator approves; the
    card is issued then."""
    world = FakeWorld()
    async with running_order(time_env, world, card_order("dig-large", "500.00")) as handle:
        await until(world, "digital_verification")
        task = await opened_task(world, "digital_verification")
        paid = event(world, "paid").at
        assert task.due_at is not None and task.due_at - paid == timedelta(hours=3)
        await time_env.sleep(timedelta(hours=3, minutes=1))
        overdue = await until(world, "digital_delivery_overdue")
        assert "nothing is issued unverified" in overdue.summary
        assert world.tasks["digital_delivery_overdue"].closed is False
        assert not [c for c in world.calls if c.startswith("card:")]
        approved: VerificationOutcome = await handle.execute_update(
            names.UPDATE_VERIFY_PURCHASE,
            PurchaseVerification(verdict=VerificationVerdict.APPROVE, operator="lina"),
            result_type=VerificationOutcome,
        )
        assert approved.status == "approved" and approved.clauses == ("CRD-DIG-1",)
        await cards_of(handle)
        assert event(world, "digital_verified").details == {"operator": "lina"}

        async def both_closed() -> bool:
            # the tasks close in the order's next steps, which may follow the cards' issue
            return all(
                world.tasks[k].closed for k in ("digital_verification", "digital_delivery_overdue")
            )

        assert await wait_for(both_closed, within=30)


async def test_a_rejected_purchase_is_refunded_less_the_gateway_commission(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-2: at verification the card turns out not to be the buyer's and ownership is
    not proven: the order is cancelled before anything is issued, and 600 SAR less the 2.5 %
    commission (15 SAR) is refunded."""
    world = FakeWorld()
    async with running_order(time_env, world, card_order("dig-reject", "600.00")) as handle:
        await until(world, "digital_verification")
        outcome: VerificationOutcome = await handle.execute_update(
            names.UPDATE_VERIFY_PURCHASE,
            PurchaseVerification(verdict=VerificationVerdict.REJECT, operator="omar"),
            result_type=VerificationOutcome,
        )
        assert outcome.status == "cancelled" and outcome.clauses == ("CRD-DIG-2",)
        assert outcome.refund == Money(amount=Decimal("585.00"), currency="SAR")
        snapshot: OrderSnapshot = await handle.result()
        assert snapshot.status is OrderStatus.CANCELLED
        assert "refund:dig-reject:refund:cancellation:585.00 SAR" in world.calls
        assert not [c for c in world.calls if c.startswith("card:")]


async def test_an_issued_card_order_cannot_be_cancelled_or_edited(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-3: after purchase neither a cancellation nor an edit is taken; an operator's
    ownership rejection comes too late once the card is issued (CRD-DIG-2)."""
    from domain.orders import OwnershipRejection

    world = FakeWorld()
    async with running_order(time_env, world, card_order("dig-locked", "100.00")) as handle:
        await cards_of(handle)
        cancel = handle.execute_update(names.UPDATE_CANCEL, CancelRequest())
        assert await refused(cancel, "CancelRefused") == ["CRD-DIG-3"]
        edit = handle.execute_update(
            names.UPDATE_CHANGE_SHIPPING_ADDRESS, AddressChange(change_id=1)
        )
        assert await refused(edit, "EditRefused") == ["CRD-DIG-3"]
        late = handle.execute_update(
            names.UPDATE_REJECT_CARD, OwnershipRejection(ownership_proven=False, operator="omar")
        )
        assert await refused(late, "ReviewRefused") == ["CRD-DIG-2"]


async def test_a_faulty_card_is_answered_in_5_business_days_and_replaced(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-7: a report that the card does not work is a task due 5 business days later
    (Monday 2 March → Monday 9 March, Jeddah's Friday–Saturday weekend). CRD-DIG-4: found
    faulty on the company's side, it is replaced by a new card under its own key; the answer
    names the operator."""
    world = FakeWorld()
    async with running_order(time_env, world, card_order("dig-faulty", "100.00")) as handle:
        [card] = await cards_of(handle)
        answer: FaultyCardAnswer = await handle.execute_update(
            names.UPDATE_REPORT_FAULTY_CARD,
            FaultyCardReport(card_id=card.card_id),
            result_type=FaultyCardAnswer,
        )
        assert answer.report is ReportStatus.UNDER_REVIEW and "CRD-DIG-7" in answer.clauses
        assert answer.answer_by is not None
        task = world.tasks["faulty_card"]
        assert task.due_at == answer.answer_by and task.due_at - card.issued_at >= timedelta(days=5)
        again = handle.execute_update(
            names.UPDATE_REPORT_FAULTY_CARD, FaultyCardReport(card_id=card.card_id)
        )
        assert await refused(again, "CardReportRefused") == ["CRD-DIG-4", "card_id"]
        done: FaultyCardAnswer = await handle.execute_update(
            names.UPDATE_RESOLVE_FAULTY_CARD,
            FaultyCardDecision(
                card_id=card.card_id, verdict=FaultyCardVerdict.REPLACE, operator="lina"
            ),
            result_type=FaultyCardAnswer,
        )
        assert done.report is ReportStatus.REPLACED and done.replacement
        assert "card:dig-faulty:card:0:1:r1" in world.calls
        cards = await cards_of(handle, 2)
        assert [c.status.value for c in cards] == ["replaced", "issued"]
        assert cards[1].replaces == card.card_id
        assert (await emailed(world, "digital_cards", replaces=card.card_id))["replaces"]
        assert world.tasks["faulty_card"].closed
        assert event(world, "faulty_card_answered").details["operator"] == "lina"


async def test_a_report_left_unanswered_is_escalated_and_a_refund_answers_it(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-7: the 5 business days pass without an answer: escalated on the timeline and
    as an overdue task. The operator then refunds the card's value once (CRD-DIG-4)."""
    world = FakeWorld()
    async with running_order(time_env, world, card_order("dig-slow", "100.00")) as handle:
        [card] = await cards_of(handle)
        answer: FaultyCardAnswer = await handle.execute_update(
            names.UPDATE_REPORT_FAULTY_CARD,
            FaultyCardReport(card_id=card.card_id),
            result_type=FaultyCardAnswer,
        )
        assert answer.answer_by is not None
        await time_env.sleep(answer.answer_by - await time_env.get_current_time())
        await time_env.sleep(timedelta(minutes=1))
        overdue = await until(world, "faulty_card_answer_overdue")
        assert overdue.clauses == ("CRD-DIG-7",)
        assert not world.tasks["faulty_card_overdue"].closed
        done: FaultyCardAnswer = await handle.execute_update(
            names.UPDATE_RESOLVE_FAULTY_CARD,
            FaultyCardDecision(
                card_id=card.card_id, verdict=FaultyCardVerdict.REFUND, operator="lina"
            ),
            result_type=FaultyCardAnswer,
        )
        assert done.refund == Money(amount=Decimal("100"), currency="SAR")
        refunds = [c for c in world.calls if c.startswith("refund:")]
        assert refunds == [f"refund:dig-slow:refund:card:{card.card_id}:100.00 SAR"]
        assert world.tasks["faulty_card_overdue"].closed


async def test_a_card_used_after_purchase_gets_no_compensation(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-8: the issuer reports the card redeemed (its webhook); it is on the timeline,
    and a later report that it is faulty is refused naming the clause. A card the issuer
    knows as used though no webhook came is refused the same way."""
    world = FakeWorld()
    async with running_order(time_env, world, card_order("dig-used", "100.00", "50.00")) as handle:
        first, second = await cards_of(handle, 2)
        used_at = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
        await handle.signal(
            names.SIGNAL_CARD_EVENT,
            CardEvent(
                event_id="evt_1", type="card.redeemed", card_id=first.card_id, redeemed_at=used_at
            ),
        )
        redeemed = await until(world, "digital_card_redeemed")
        assert redeemed.clauses == ("CRD-DIG-8",)
        report = handle.execute_update(
            names.UPDATE_REPORT_FAULTY_CARD, FaultyCardReport(card_id=first.card_id)
        )
        assert await refused(report, "CardReportRefused") == ["CRD-DIG-8", "card_id"]
        world.redeemed[second.card_id] = used_at
        quiet = handle.execute_update(
            names.UPDATE_REPORT_FAULTY_CARD, FaultyCardReport(card_id=second.card_id)
        )
        assert await refused(quiet, "CardReportRefused") == ["CRD-DIG-8", "card_id"]
        assert f"card_state:{second.card_id}" in world.calls
        assert "faulty_card" not in world.tasks


async def test_an_issuer_that_cannot_issue_in_10_minutes_is_escalated(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-1: the 10-minute deadline is checked: the issuer fails for longer, the delay
    is on the timeline and an overdue task, and the card is issued (once) when it answers."""
    world = FakeWorld(card_issue_failures=10_000)
    async with running_order(time_env, world, card_order("dig-late", "50.00")) as handle:
        await until(world, "paid")
        await time_env.sleep(timedelta(minutes=11))
        overdue = await until(world, "digital_delivery_overdue")
        assert overdue.clauses == ("CRD-DIG-1",) and "in time" in overdue.summary
        assert world.tasks["digital_delivery_overdue"].closed is False
        assert not world.cards
        world.card_issue_failures = 0
        await cards_of(handle)
        assert "issued late" in event(world, "digital_cards_issued").summary
        assert len(world.cards) == 1
        assert world.tasks["digital_delivery_overdue"].closed


async def test_a_cart_with_a_card_and_a_lamp_sends_each_its_own_way(
    time_env: WorkflowEnvironment,
) -> None:
    """Each line its own context: the card is issued at once (CRD-DIG-1) while the lamp waits
    for its dispatch slot and leaves in the only parcel; the lamp's address may still be
    edited (the card does not depend on it) while the order cannot be cancelled (CRD-DIG-3)."""
    world = FakeWorld()
    order = card_order("dig-mixed", "100.00", lamp=True)
    async with running_order(time_env, world, order) as handle:
        await cards_of(handle)
        assert event(world, "digital_cards_issued").status is None
        snapshot = await handle.query(names.QUERY_ORDER, result_type=OrderSnapshot)
        assert snapshot.status in (OrderStatus.PAID, OrderStatus.FULFILLING)
        cancel = handle.execute_update(names.UPDATE_CANCEL, CancelRequest())
        assert await refused(cancel, "CancelRefused") == ["CRD-DIG-3"]

        async def labelled() -> list[str] | None:
            labels = [c for c in world.calls if c.startswith("label:")]
            return labels or None

        await time_env.sleep(timedelta(days=2))
        assert await wait_for(labelled, within=30) == ["label:dig-mixed:label:1"]


async def test_gift_cards_the_issuer_refuses_for_good_leave_a_task_and_the_order_completes(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-1, CRD-DIG-6: in a cart with a lamp, the card issuer refuses the gift card for
    good. The cards' life, beside the parcel, fails: the timeline says so and an operator gets
    the task of issuing or refunding them. The lamp still ships, and the order completes once
    its return window closes, instead of waiting for cards that will never come."""
    world = FakeWorld(cards_refused=True)
    order = card_order("dig-refused", "100.00", lamp=True)
    async with running_order(time_env, world, order) as handle:
        failed = await until(world, "gift_cards_failed")
        assert "card program suspended" in failed.summary
        task = await opened_task(world, "gift_cards_failed")
        assert task.summary.startswith("issue the gift cards by hand")
        shipped = await picked_up(time_env, handle)
        at = await time_env.get_current_time()
        await handle.signal(
            names.SIGNAL_CARRIER_EVENT,
            scan_of(shipped.shipments[0].tracking_number, TrackingStatus.DELIVERED, at),
        )
        result = await handle.result()
        await record_history(handle, "gift_cards_refused_beside_a_parcel")
    assert result.status is OrderStatus.COMPLETED
    assert not [e for e in world.events if e.kind == "digital_cards_issued"]


async def test_gift_cards_alone_refused_for_good_wait_for_an_operators_refund(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-1: an order of gift cards only, the issuer refusing them for good. The order,
    its money captured, neither fails nor completes on its own: the timeline says so, an
    operator gets the task of issuing or refunding them, and the order completes once the
    operator refunds."""
    world = FakeWorld(cards_refused=True)
    order = card_order("dig-alone-refused", "100.00")
    async with running_order(time_env, world, order) as handle:
        failed = await until(world, "gift_cards_failed")
        assert "waits for an operator" in failed.summary
        assert not (await opened_task(world, "gift_cards_failed")).closed
        await handle.execute_update(
            names.UPDATE_REFUND,
            OperatorRefund(
                refund_id="cards",
                amount=order.total,
                reason="the card program is suspended",
                operator="ops-1",
            ),
            result_type=OperatorRefunded,
        )
        result = await handle.result()
        await record_history(handle, "gift_cards_refused_alone")
    assert result.status is OrderStatus.COMPLETED and result.refunded == order.total
    assert world.tasks["gift_cards_failed"].closed
    assert [c for c in world.calls if c.startswith("refund")] == [
        f"refund:{order.order_id}:refund:operator:cards:{order.total}"
    ]
