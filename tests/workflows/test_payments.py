"""Payments driven by the provider's webhooks, on the time-skipping server: 3-D Secure and
PayPal waits, retries within the policy's attempts, e-invoices that expire, fraud review and
card-ownership refunds (IMA-PAY-1..3, IMA-FRD-1, CRD-DIG-2)."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from domain.chargebacks import ChargebackDecided, ChargebackDecision
from domain.money import Money
from domain.orders import (
    CancelOutcome,
    FraudDecision,
    FraudOutcome,
    FraudVerdict,
    OrderSnapshot,
    OrderWorkflowInput,
    OwnershipRejection,
    PaymentEvent,
    PaymentStep,
    RetryPayment,
)
from domain.policy import PaymentMethod, Policy
from domain.status import OrderStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.fakes import (
    FakeWorld,
    emailed,
    held_at_dispatch,
    order_input,
    record_history,
    refused,
    running_order,
)
from workflows.names import (
    QUERY_ORDER,
    SIGNAL_PAYMENT_EVENT,
    UPDATE_DECIDE_CHARGEBACK,
    UPDATE_PAYMENT_STEP,
    UPDATE_REJECT_CARD,
    UPDATE_RETRY_PAYMENT,
    UPDATE_REVIEW_FRAUD,
)


def order(policy: Policy, **changes: Any) -> OrderWorkflowInput:
    return order_input(f"wf-{uuid.uuid4().hex[:8]}", policy).model_copy(update=changes)


def event(kind: str, payment_id: str, event_id: str | None = None) -> PaymentEvent:
    return PaymentEvent(
        event_id=event_id or f"evt_{uuid.uuid4().hex[:10]}", type=kind, payment_id=payment_id
    )


async def status_is(handle: WorkflowHandle, status: OrderStatus) -> OrderSnapshot:
    async def reached() -> OrderSnapshot | None:
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        return snapshot if snapshot.status is status else None

    snapshot: OrderSnapshot = await wait_for(reached, within=30)
    return snapshot


async def step(handle: WorkflowHandle, attempt: int = 1) -> PaymentStep:
    return await handle.execute_update(UPDATE_PAYMENT_STEP, attempt, result_type=PaymentStep)


def provider_says(world: FakeWorld, payment_id: str, state: str) -> PaymentEvent:
    """The provider moves a payment and sends its webhook."""
    world.provider[payment_id] = state
    kinds = {"authorized": "payment.authorized", "captured": "payment.captured"}
    return event(kinds.get(state, f"payment.{state}"), payment_id)


# -- card with 3-D Secure -------------------------------------------------------------------


async def test_imalent_card_waits_for_the_3ds_webhook_then_captures(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-PAY-2: the order answers awaiting_3ds with the challenge URL; the provider's event
    completes it, checked with the provider before money is captured."""
    world = FakeWorld(challenge=True)
    async with running_order(time_env, world, order(held_at_dispatch(preset("imalent")))) as handle:
        first = await step(handle)
        assert first.status is OrderStatus.AWAITING_3DS and first.attempt == 1
        assert first.next_action_url == "https://pay.example/pay_1"
        assert first.clauses == ("IMA-PAY-1", "IMA-PAY-2")
        await handle.signal(SIGNAL_PAYMENT_EVENT, provider_says(world, "pay_1", "authorized"))
        await status_is(handle, OrderStatus.PAID)
        await handle.terminate("test over")
        await record_history(handle, "card_3ds")
    oid = handle.id.removeprefix("order-")
    assert [c for c in world.calls if c.split(":")[0] in ("authorize", "confirm", "capture")] == [
        f"authorize:{oid}:authorization:1",
        "confirm:pay_1",
        f"capture:{oid}:capture:1",
    ]
    action = next(e for e in world.events if e.kind == "payment_action_required")
    assert action.status is OrderStatus.AWAITING_3DS and action.deadlines is not None
    assert action.details["next_action_url"] == "https://pay.example/pay_1"


async def test_no_3ds_event_in_time_fails_the_attempt_and_a_retry_is_its_own_payment(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-PAY-2: 30 minutes without the provider's word: the attempt is voided and the
    order is payment_failed; a retry is attempt 2 with its own keys, and the late event of
    attempt 1 completes nothing."""
    world = FakeWorld(challenge=True)
    async with running_order(time_env, world, order(held_at_dispatch(preset("imalent")))) as handle:
        await step(handle)
        await time_env.sleep(timedelta(minutes=31))
        failed = await status_is(handle, OrderStatus.PAYMENT_FAILED)
        assert failed.payment_id == "pay_1"
        late = event("payment.authorized", "pay_1")
        await handle.signal(SIGNAL_PAYMENT_EVENT, late)
        second = await handle.execute_update(
            UPDATE_RETRY_PAYMENT, RetryPayment(payment_token="pm_card_2"), result_type=PaymentStep
        )
        assert second.attempt == 2 and second.status is OrderStatus.AWAITING_3DS
        assert second.next_action_url == "https://pay.example/pay_2"
        await handle.signal(SIGNAL_PAYMENT_EVENT, late)  # again, now during attempt 2
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        assert snapshot.status is OrderStatus.AWAITING_3DS and not snapshot.captured
        await handle.signal(SIGNAL_PAYMENT_EVENT, provider_says(world, "pay_2", "authorized"))
        paid = await status_is(handle, OrderStatus.PAID)
        await record_history(handle, "payment_attempts")
        await handle.terminate("test over")
    oid = paid.order_id
    assert paid.payment_id == "pay_2"
    assert f"void:{oid}:void:authorization:1" in world.calls
    assert [c for c in world.calls if c.startswith("capture")] == [f"capture:{oid}:capture:2"]
    failure = next(e for e in world.events if e.kind == "payment_failed")
    assert "action_timeout" in failure.summary and failure.clauses == ("IMA-PAY-1", "IMA-PAY-2")
    assert world.emails.count("payment_failed") == 1


async def test_imalent_three_declined_attempts_end_the_order(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-PAY-2: three attempts, each its own provider payment; after the third the order
    is payment_failed for good, and nothing was captured."""
    world = FakeWorld(decline="insufficient_funds")
    async with running_order(time_env, world, order(held_at_dispatch(preset("imalent")))) as handle:
        for attempt in (1, 2):
            failed = await step(handle, attempt)
            assert failed.status is OrderStatus.PAYMENT_FAILED and failed.attempt == attempt
            assert failed.decline_code == "insufficient_funds"
            await handle.execute_update(
                UPDATE_RETRY_PAYMENT,
                RetryPayment(payment_token=f"pm_{attempt + 1}"),
                result_type=PaymentStep,
            )
        result = await handle.result()
    assert result.status is OrderStatus.PAYMENT_FAILED and not result.captured
    assert [c.rsplit(":", 1)[1] for c in world.calls if c.startswith("authorize")] == [
        "1",
        "2",
        "3",
    ]
    assert world.emails == ["payment_failed"] * 3


async def test_a_retry_is_refused_while_no_attempt_has_failed(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-PAY-2: a retry only follows a failed attempt; the refusal names the clause."""
    world = FakeWorld(challenge=True)
    async with running_order(time_env, world, order(held_at_dispatch(preset("imalent")))) as handle:
        await step(handle)
        clauses = await refused(
            handle.execute_update(UPDATE_RETRY_PAYMENT, RetryPayment(payment_token="pm_x")),
            "PaymentRetryRefused",
        )
        assert clauses == ["IMA-PAY-2"]
        await status_is(handle, OrderStatus.AWAITING_3DS)
        await handle.terminate("test over")


async def test_a_retry_sent_while_the_failing_attempt_is_being_decided_takes_its_place(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-PAY-2: the order's page may show the attempt failed before the workflow took the
    provider's answer in (a worker restarted in between hands the workflow the customer's
    retry before the answer). A retry sent while the attempt is still with the provider
    waits for its outcome: declined, the retry is attempt 2, and the order is paid."""
    world = FakeWorld(declined_tokens={"pm_card_approved"})
    world.authorisations_held = asyncio.Event()
    async with running_order(time_env, world, order(held_at_dispatch(preset("imalent")))) as handle:

        async def authorising() -> bool:
            return any(c.startswith("authorize:") for c in world.calls)

        await wait_for(authorising, within=30)
        retry = RetryPayment(payment_token="pm_card_2")
        waiting = await handle.start_update(
            UPDATE_RETRY_PAYMENT,
            retry,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            result_type=PaymentStep,
        )
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        assert snapshot.status is OrderStatus.PENDING_PAYMENT  # accepted, not refused
        clauses = await refused(
            handle.execute_update(UPDATE_RETRY_PAYMENT, retry), "PaymentRetryRefused"
        )
        assert clauses == ["IMA-PAY-2"]  # one retry waits, a second one is refused
        world.authorisations_held.set()
        second = await waiting.result()
        assert second.attempt == 2
        await status_is(handle, OrderStatus.PAID)
        await handle.terminate("test over")
        await record_history(handle, "payment_retry_while_deciding")
    oid = handle.id.removeprefix("order-")
    assert [c for c in world.calls if c.startswith("authorize")] == [
        f"authorize:{oid}:authorization:1",
        f"authorize:{oid}:authorization:2",
    ]
    assert world.emails.count("payment_failed") == 1


async def test_duplicated_and_shuffled_payment_events_have_one_effect(
    time_env: WorkflowEnvironment,
) -> None:
    """The provider's habits: each event three times, in any order, a later state before an
    earlier one. One confirmation, one capture."""
    world = FakeWorld(challenge=True)
    async with running_order(time_env, world, order(held_at_dispatch(preset("imalent")))) as handle:
        await step(handle)
        world.provider["pay_1"] = "authorized"
        events = [
            event("payment.requires_action", "pay_1", "evt_a"),
            event("payment.authorized", "pay_1", "evt_b"),
            event("payment.voided", "pay_other", "evt_c"),
        ] * 3
        random.Random(7).shuffle(events)
        for sent in events:
            await handle.signal(SIGNAL_PAYMENT_EVENT, sent)
        await status_is(handle, OrderStatus.PAID)
        await handle.terminate("test over")
    assert world.calls.count("confirm:pay_1") == 1
    assert len([c for c in world.calls if c.startswith("capture")]) == 1


# -- PayPal ---------------------------------------------------------------------------------


async def test_imalent_paypal_approval_captures_and_a_confirmed_reversal_is_a_chargeback(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-PAY-1: PayPal is approved at PayPal, then captured; a reversal of the captured
    payment is asked of the provider and, confirmed, opens a chargeback for an operator
    (the order stands until they decide); accepted before the parcel leaves, the order is
    cancelled without a second money movement."""
    world = FakeWorld()
    paypal = order(held_at_dispatch(preset("imalent")), payment_method=PaymentMethod.PAYPAL)
    async with running_order(time_env, world, paypal) as handle:
        first = await step(handle)
        assert first.status is OrderStatus.AWAITING_PAYPAL_APPROVAL and first.next_action_url
        await handle.signal(SIGNAL_PAYMENT_EVENT, provider_says(world, "pay_1", "authorized"))
        await status_is(handle, OrderStatus.PAID)
        await handle.signal(SIGNAL_PAYMENT_EVENT, provider_says(world, "pay_1", "reversed"))
        await wait_for(lambda: _async(world.tasks.get("chargeback")), within=30)
        snapshot = await status_is(handle, OrderStatus.PAID)
        assert snapshot.reversed_at is not None
        decided = await handle.execute_update(
            UPDATE_DECIDE_CHARGEBACK,
            ChargebackDecision(accept=True, operator="amira"),
            result_type=ChargebackDecided,
        )
        assert decided.cancelled and decided.clauses == ("IMA-PAY-1",)
        result = await handle.result()
        await record_history(handle, "chargeback_accepted")
    assert result.status is OrderStatus.CANCELLED and result.shipments == []
    assert not any(c.startswith(("refund", "void", "label")) for c in world.calls)
    assert f"authorize:{result.order_id}:authorization:1" in world.calls
    assert world.calls.count("confirm:pay_1") == 2  # the approval, then the reversal
    assert world.tasks["chargeback"].closed
    assert world.emails[-1] == "order_cancelled"


async def _async(value: Any) -> Any:
    return value


async def test_paypal_cancelled_by_the_buyer_fails_the_attempt(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-PAY-1, IMA-PAY-2: the buyer turned back at PayPal; the order may be retried."""
    world = FakeWorld()
    paypal = order(held_at_dispatch(preset("imalent")), payment_method=PaymentMethod.PAYPAL)
    async with running_order(time_env, world, paypal) as handle:
        await step(handle)
        await handle.signal(SIGNAL_PAYMENT_EVENT, provider_says(world, "pay_1", "failed"))
        failed = await status_is(handle, OrderStatus.PAYMENT_FAILED)
        await handle.terminate("test over")
    assert not failed.captured and "confirm:pay_1" in world.calls


# -- e-invoice ------------------------------------------------------------------------------


async def test_imalent_e_invoice_is_emailed_and_the_order_ships_once_paid(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-PAY-3: the invoice is created and emailed with its pay link; its paid event
    captures the order."""
    world = FakeWorld()
    invoiced = order(held_at_dispatch(preset("imalent")), payment_method=PaymentMethod.INVOICE)
    async with running_order(time_env, world, invoiced) as handle:
        first = await step(handle)
        assert first.status is OrderStatus.AWAITING_INVOICE_PAYMENT
        assert first.next_action_url == "https://pay.example/inv_1"
        await handle.signal(SIGNAL_PAYMENT_EVENT, provider_says(world, "inv_1", "captured"))
        paid = await status_is(handle, OrderStatus.PAID)
        await emailed(world, "order_confirmation")
        await handle.terminate("test over")
    assert paid.payment_id == "inv_1" and paid.captured
    assert world.emails[:2] == ["invoice", "order_confirmation"]
    sent = next(e for e in world.events if e.kind == "invoice_sent")
    assert sent.clauses == ("IMA-PAY-3",) and sent.deadlines is not None
    assert f"capture:{paid.order_id}:capture:1" in world.calls


async def test_imalent_unpaid_e_invoice_expires_after_7_days_and_cancels(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-PAY-3: unpaid after seven days, the invoice is withdrawn and the order cancelled
    with an e-mail."""
    world = FakeWorld()
    invoiced = order(held_at_dispatch(preset("imalent")), payment_method=PaymentMethod.INVOICE)
    async with running_order(time_env, world, invoiced) as handle:
        await step(handle)
        result = await handle.result()
    assert result.status is OrderStatus.CANCELLED and not result.captured
    assert f"void:{result.order_id}:void:invoice:1" in world.calls
    expired = next(e for e in world.events if e.kind == "invoice_expired")
    sent = next(e for e in world.events if e.kind == "invoice_sent")
    assert sent.deadlines is not None and expired.clauses == ("IMA-PAY-3",)
    expires_at = datetime.fromisoformat(sent.deadlines["invoice_expires_at"])
    assert expires_at - sent.at > timedelta(days=6, hours=23) and expired.at >= expires_at
    assert world.emails == ["invoice", "invoice_expired"]


# -- fraud review ---------------------------------------------------------------------------


def risky(policy: Policy) -> OrderWorkflowInput:
    """600 USD, billed in Germany, shipped to Latvia, a US card: 40 + 30 + 20 points, above
    imalent's 50."""
    total = Money(amount=Decimal("600.00"), currency=policy.currency)
    held = order(held_at_dispatch(policy), billing_country="DE")
    line = held.lines[0].model_copy(update={"quantity": 1, "unit_price": Decimal("600.00")})
    return held.model_copy(update={"lines": [line], "items_total": total, "total": total})


async def review(handle: WorkflowHandle, verdict: FraudVerdict) -> FraudOutcome:
    return await handle.execute_update(
        UPDATE_REVIEW_FRAUD,
        FraudDecision(verdict=verdict, operator="ops-1"),
        result_type=FraudOutcome,
    )


async def test_imalent_risky_order_waits_for_review_and_approval_captures(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-FRD-1: orders are accepted case by case: held in fraud_review, nothing captured
    until an operator approves."""
    world = FakeWorld()
    async with running_order(time_env, world, risky(preset("imalent"))) as handle:
        held = await step(handle)
        assert held.status is OrderStatus.FRAUD_REVIEW
        assert not any(c.startswith("capture") for c in world.calls)
        outcome = await review(handle, FraudVerdict.APPROVE)
        assert outcome.clauses == ("IMA-FRD-1",)
        await status_is(handle, OrderStatus.PAID)
        await handle.terminate("test over")
    flagged = next(e for e in world.events if e.kind == "fraud_review")
    assert flagged.details["signals"] == [
        "amount_at_or_above_threshold",
        "billing_shipping_country_mismatch",
        "card_country_mismatch",
    ]
    assert flagged.details["score"] == 90
    assert any(e.kind == "fraud_approve" for e in world.events)


async def test_imalent_review_rejection_voids_and_cancels(time_env: WorkflowEnvironment) -> None:
    """IMA-FRD-1: a rejected order is cancelled and its authorisation released; no money
    was taken."""
    world = FakeWorld()
    async with running_order(time_env, world, risky(preset("imalent"))) as handle:
        await step(handle)
        outcome = await review(handle, FraudVerdict.REJECT)
        result = await handle.result()
    assert outcome.status is OrderStatus.CANCELLED and outcome.refund is not None
    assert outcome.refund.amount == 0
    assert result.status is OrderStatus.CANCELLED
    assert [c for c in world.calls if c.startswith(("void", "capture", "refund"))] == [
        f"void:{result.order_id}:void:1"
    ]


async def test_imalent_review_may_require_an_e_invoice_instead_of_the_card(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-FRD-1: the merchant may release the card and require payment by its e-invoice;
    the order then goes the invoice way (IMA-PAY-3) as attempt 2."""
    world = FakeWorld()
    async with running_order(time_env, world, risky(preset("imalent"))) as handle:
        await step(handle)
        outcome = await review(handle, FraudVerdict.REQUIRE_INVOICE)
        assert outcome.status is OrderStatus.AWAITING_INVOICE_PAYMENT
        invoice = await step(handle, 2)
        assert invoice.status is OrderStatus.AWAITING_INVOICE_PAYMENT
        await handle.signal(SIGNAL_PAYMENT_EVENT, provider_says(world, "inv_2", "captured"))
        paid = await status_is(handle, OrderStatus.PAID)
        await handle.terminate("test over")
    oid = paid.order_id
    assert [c for c in world.calls if c.startswith(("void", "invoice", "capture"))] == [
        f"void:{oid}:void:review",
        f"invoice:{oid}:invoice:2",
        f"capture:{oid}:capture:2",
    ]
    assert paid.payment_id == "inv_2" and "invoice" in world.emails


async def test_a_review_outlasting_the_cards_authorisation_asks_for_an_e_invoice(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-FRD-1: nobody reviewed the held order and the provider would let the card's
    authorisation lapse (its `capture_before`, 7 days on): 6 hours before, the card is
    released and the customer asked to pay by e-invoice, as the policy allows."""
    world = FakeWorld(authorization_lasts=timedelta(days=7))
    async with running_order(time_env, world, risky(preset("imalent"))) as handle:
        held = await status_is(handle, OrderStatus.FRAUD_REVIEW)
        assert held.authorization_lapses_at is not None
        await time_env.sleep(timedelta(days=6, hours=18, minutes=1))
        invoiced = await status_is(handle, OrderStatus.AWAITING_INVOICE_PAYMENT)
        await record_history(handle, "fraud_review_authorization_lapsing")
        await handle.terminate("test over")
    oid = invoiced.order_id
    assert [c for c in world.calls if c.startswith(("void", "invoice", "capture"))] == [
        f"void:{oid}:void:review",
        f"invoice:{oid}:invoice:2",
    ]
    lapsing = [e for e in world.events if e.kind == "authorization_lapsing"]
    assert [e.clauses for e in lapsing] == [("IMA-FRD-1",)]
    assert world.tasks["fraud_review"].closed


async def test_an_invoice_cannot_be_required_where_the_policy_has_none(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-2: cardnet reviews orders but issues no e-invoices: refused with its clause."""
    world = FakeWorld()
    async with running_order(time_env, world, risky(preset("cardnet"))) as handle:
        assert (await step(handle)).status is OrderStatus.FRAUD_REVIEW
        clauses = await refused(
            handle.execute_update(
                UPDATE_REVIEW_FRAUD,
                FraudDecision(verdict=FraudVerdict.REQUIRE_INVOICE, operator="ops-1"),
            ),
            "ReviewRefused",
        )
        assert clauses == ["CRD-DIG-2"]
        await handle.terminate("test over")


async def test_cardnet_card_not_the_buyers_own_is_refunded_less_the_gateway_commission(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-DIG-2: a paid order whose buyer cannot prove the card is theirs is cancelled; the
    refund keeps the gateway's 2.5 % commission."""
    world = FakeWorld()
    async with running_order(time_env, world, order(held_at_dispatch(preset("cardnet")))) as handle:
        await status_is(handle, OrderStatus.PAID)
        outcome = await handle.execute_update(
            UPDATE_REJECT_CARD,
            OwnershipRejection(ownership_proven=False, operator="ops-1"),
            result_type=CancelOutcome,
        )
        result = await handle.result()
    assert outcome.status is OrderStatus.CANCELLED and outcome.clauses == ("CRD-DIG-2",)
    assert str(outcome.refund) == "38.80 SAR"  # 39.80 less 2.5 %
    assert result.status is OrderStatus.CANCELLED
    assert f"refund:{result.order_id}:refund:cancellation:38.80 SAR" in world.calls


async def test_a_fraud_review_left_past_its_due_time_is_escalated(
    time_env: WorkflowEnvironment,
) -> None:
    """IMA-FRD-1: a held order's review is due within the policy's review time (24 hours),
    so the card's authorisation never lapses unnoticed: past it the operators are e-mailed,
    the timeline says so, and the Web UI's details show the score and its signals."""
    world = FakeWorld()
    async with running_order(time_env, world, risky(preset("imalent"))) as handle:
        held = await step(handle)
        assert held.status is OrderStatus.FRAUD_REVIEW
        task = world.tasks["fraud_review"]
        assert task.due_at is not None and "score 90" in task.summary
        from domain.orders import OrderSnapshot
        from workflows.names import QUERY_ORDER
        from workflows.shared.order import current_details

        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        details = current_details(snapshot)
        assert "**Fraud score:** 90 (signals: amount_at_or_above_threshold" in details
        assert "**Review by:**" in details
        assert world.escalated == []
        await time_env.sleep(timedelta(hours=24, minutes=1))

        async def escalated() -> list[str] | None:
            return world.escalated or None

        assert await wait_for(escalated, within=30) == [task.task_key]
        assert any(e.kind == "fraud_review_overdue" for e in world.events)
        outcome = await review(handle, FraudVerdict.APPROVE)
        assert outcome.clauses == ("IMA-FRD-1",)
        await record_history(handle, "fraud_review_escalated")


async def test_an_order_held_by_a_worker_from_before_fraud_review_due_keeps_its_old_path(
    time_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IMA-FRD-1: a worker from before the `fraud-review-due` patch held orders for review
    with no due time and no escalation timer. Such a worker is stood in for here (the patch
    answered as not yet deployed), and the history it makes is recorded, so that the replay
    test proves those orders still replay on the current code."""
    from temporalio import workflow

    from workflows.payment.review import REVIEW_DUE

    deployed = workflow.patched
    monkeypatch.setattr(workflow, "patched", lambda patch: patch != REVIEW_DUE and deployed(patch))
    world = FakeWorld()
    async with running_order(time_env, world, risky(preset("imalent"))) as handle:
        held = await step(handle)
        assert held.status is OrderStatus.FRAUD_REVIEW
        assert world.tasks["fraud_review"].due_at is None
        await review(handle, FraudVerdict.APPROVE)
        await status_is(handle, OrderStatus.PAID)
        await record_history(handle, "fraud_review_before_its_due_time")
        await handle.terminate("test over")
    assert not any(e.kind == "fraud_review_overdue" for e in world.events)
