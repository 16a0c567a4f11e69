"""Claims as they run: each kind at its boundary, decided by an operator, and the order's
refund for them; escalation when the answer's due time passes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.claims import ClaimInput, ClaimSnapshot, ClaimVerdict, Outcome
from domain.decisions.claims import Filing, open_claim
from domain.policy.aftercare import ClaimKind
from domain.status import ClaimStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.claims_kit import act, file
from tests.workflows.fakes import FakeWorld, record_history, refused, running_claim
from tests.workflows.returns_kit import EVIDENCE, delivered
from workflows import names

DRONE = [("DRONE-X", "300.00", 1, "general")]
LENS = [("PL-LASER-50", "120.00", 1, "general")]


async def test_kwoking_dead_on_arrival_within_14_days_of_delivery_is_replaced(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-DOA-1, KWO-DEF-1: on day 14 after delivery the claim is taken and the drone
    replaced as a new parcel; a minute after day 14 it is refused with the clause."""
    async with delivered(time_env, "kwoking", DRONE, shipping="15") as o:
        await time_env.sleep(timedelta(days=14) - timedelta(minutes=1))
        started = await file(o, ClaimKind.DEAD_ON_ARRIVAL, sku="DRONE-X")
        assert started.clauses == ("KWO-DOA-1",)
        await time_env.sleep(timedelta(minutes=2))
        late = await refused(file(o, ClaimKind.DEAD_ON_ARRIVAL, sku="DRONE-X"), "ClaimRefused")
        assert late[0] == "KWO-DOA-1"
        verdict = ClaimVerdict(operator="Léa (support)", outcome=Outcome.REPLACE)
        done = await act(o, started.claim_id, names.UPDATE_DECIDE_CLAIM, verdict)
        assert done.status is ClaimStatus.RESOLVED and done.outcome.startswith("replaced")
        assert "claim_decided" in o.world.emails
        await record_history(o.order, "with_a_claim")


async def test_kwoking_shipping_damage_needs_a_photo_and_is_refunded_by_the_order(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-DEF-2, KWO-RMA-3, KWO-DEF-1: without any photo or video the claim is refused
    naming the evidence; one photo is enough to take it, and item, packaging and label put it
    first on the operators' list; the operator's partial refund is paid once by the order
    under the claim's key."""
    async with delivered(time_env, "kwoking", DRONE, shipping="15") as o:
        bare = await refused(file(o, ClaimKind.SHIPPING_DAMAGE, evidence_kinds=()), "ClaimRefused")
        assert bare == ["KWO-DEF-2", "evidence"]
        one = await file(o, ClaimKind.SHIPPING_DAMAGE, evidence_kinds=("item",))
        assert one.clauses == ("KWO-DEF-2", "KWO-RMA-3")
        await wait_for(lambda: _task_of(o, one.claim_id), within=15)
        assert o.world.tasks["claim"].priority == 0
        started = await file(o, ClaimKind.SHIPPING_DAMAGE, evidence_kinds=tuple(EVIDENCE))
        await wait_for(lambda: _task_of(o, started.claim_id), within=15)
        assert o.world.tasks["claim"].priority == 1
        too_much = ClaimVerdict(operator="Léa", outcome=Outcome.REFUND, amount=Decimal("900"))
        details = await refused(
            act(o, started.claim_id, names.UPDATE_DECIDE_CLAIM, too_much), "ClaimRefused"
        )
        assert details[1] == "outcome"
        verdict = ClaimVerdict(operator="Léa", outcome=Outcome.REFUND, amount=Decimal("120"))
        done = await act(o, started.claim_id, names.UPDATE_DECIDE_CLAIM, verdict)
        assert str(done.refunded) == "120.00 EUR" and done.status is ClaimStatus.RESOLVED
        assert o.refunds() == [
            f"refund:{o.snapshot.order_id}:refund:claim:{started.claim_id}:120.00 EUR"
        ]


async def test_paralight_shipping_damage_within_5_days_of_receipt(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-RET-6: reported on day 5 after receipt it is taken; later, refused."""
    async with delivered(time_env, "paralight", LENS) as o:
        await time_env.sleep(timedelta(days=5) - timedelta(minutes=1))
        taken = await file(o, ClaimKind.SHIPPING_DAMAGE, sku="PL-LASER-50")
        assert taken.clauses == ("PAR-RET-6",) and taken.answer_by is not None
        await time_env.sleep(timedelta(minutes=2))
        late = await refused(file(o, ClaimKind.SHIPPING_DAMAGE), "ClaimRefused")
        assert late[0] == "PAR-RET-6"


async def test_paralight_claim_answered_within_24_hours_or_escalated(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-SUP-1: a claim is a task due 24 hours after it is filed; past that it is escalated
    (the operators e-mailed, the claim's timeline says so), and it can still be decided."""
    async with delivered(time_env, "paralight", LENS) as o:
        started = await file(o, ClaimKind.SHIPPING_DAMAGE, sku="PL-LASER-50")
        now = await time_env.get_current_time()

        async def opened() -> object | None:
            return o.world.tasks.get("claim")

        await wait_for(opened, within=30)
        task = o.world.tasks["claim"]
        assert task.due_at is not None and task.clauses == ("PAR-SUP-1",)
        assert timedelta(hours=23, minutes=59) < task.due_at - now <= timedelta(hours=24)
        assert o.world.escalated == []
        await time_env.sleep(timedelta(hours=25))

        async def escalated() -> list[str] | None:
            return o.world.escalated or None

        assert await wait_for(escalated, within=30) == [f"{started.claim_id}:claim"]
        assert "claim_overdue" in [e.kind for e in o.world.claim_events]
        verdict = ClaimVerdict(operator="Jānis", outcome=Outcome.REFUSE, note="no damage seen")
        done = await act(o, started.claim_id, names.UPDATE_DECIDE_CLAIM, verdict)
        assert done.status is ClaimStatus.REFUSED and done.escalated == ("claim",)


def _services_claim(kind: ClaimKind, paid_days_ago: int, now, **facts) -> ClaimInput:  # type: ignore[no-untyped-def]
    svc = preset("services")
    from domain.money import Money
    from domain.subscriptions import RefundCharge

    paid_at = now - timedelta(days=paid_days_ago)
    opening = open_claim(svc, Filing(kind=kind, purchased_at=paid_at, **facts), now)
    assert opening.decision.allowed, opening.decision
    return ClaimInput(
        claim_id="clm_" + "5" * 16,
        kind=kind,
        policy=svc,
        subscription_id="sub-claims",
        purchased_at=paid_at,
        opened_at=now,
        answer_by=opening.answer_by.at if opening.answer_by else None,
        answer_clauses=opening.answer_by.clauses if opening.answer_by else (),
        clauses=opening.decision.clauses,
        goods=False,
        charge=RefundCharge(
            subscription_id="sub-claims",
            payment_id="pay_period_2",
            amount=Money(amount=Decimal("29.00"), currency="EUR"),
            idempotency_key="sub-claims:refund:period:2",
        ),
    )


async def test_services_not_as_described_resting_on_expectations_is_refused(
    time_env: WorkflowEnvironment,
) -> None:
    """SVC-CLM-2, SVC-SUP-1: filed with evidence within 7 days of the payment; answered within
    48 hours; the operator's refusal for resting only on expectations names SVC-CLM-2, and a
    service is never 'replaced'."""
    now = await time_env.get_current_time()
    claim = _services_claim(ClaimKind.NOT_AS_DESCRIBED, 6, now, evidence=("document",))
    assert claim.answer_clauses == ("SVC-SUP-1",)
    assert claim.answer_by is not None and claim.answer_by - now == timedelta(hours=48)
    world = FakeWorld()
    async with running_claim(time_env, world, claim) as handle:
        replace = ClaimVerdict(operator="Chloé", outcome=Outcome.REPLACE)
        await refused(handle.execute_update(names.UPDATE_DECIDE_CLAIM, replace), "ClaimRefused")
        verdict = ClaimVerdict(operator="Chloé", outcome=Outcome.REFUSE, expectation_only=True)
        done: ClaimSnapshot = await handle.execute_update(
            names.UPDATE_DECIDE_CLAIM, verdict, result_type=ClaimSnapshot
        )
        assert done.status is ClaimStatus.REFUSED
        refusal = next(e for e in world.claim_events if e.kind == "claim_refused")
        assert refusal.clauses == ("SVC-CLM-2",) and "expectations" in refusal.summary
        assert world.email_facts["claim_decided"]["outcome"] == "refused"
        assert not [c for c in world.calls if c.startswith("refund:")]


async def test_services_unhappy_within_7_days_gets_the_period_back_once(
    time_env: WorkflowEnvironment,
) -> None:
    """SVC-REF-1, SVC-CLM-1: an unhappy customer within 7 days; the operator's case-by-case
    solution is the period's refund, under the key a cancellation would use."""
    now = await time_env.get_current_time()
    late = open_claim(
        preset("services"),
        Filing(kind=ClaimKind.UNHAPPY, purchased_at=now - timedelta(days=7, minutes=1)),
        now,
    )
    assert not late.decision.allowed and "SVC-REF-1" in late.decision.clauses
    spoken = open_claim(
        preset("services"), Filing(kind=ClaimKind.NON_DELIVERY, purchased_at=now), now
    )
    assert spoken.decision.allowed and spoken.decision.clauses == ("SVC-CLM-1",)
    world = FakeWorld()
    claim = _services_claim(ClaimKind.UNHAPPY, 3, now)
    async with running_claim(time_env, world, claim) as handle:
        verdict = ClaimVerdict(operator="Chloé", outcome=Outcome.REFUND, amount=Decimal("29"))
        done: ClaimSnapshot = await handle.execute_update(
            names.UPDATE_DECIDE_CLAIM, verdict, result_type=ClaimSnapshot
        )
        assert str(done.refunded) == "29.00 EUR"
        assert world.calls.count("refund:sub-claims:refund:period:2:29.00 EUR") == 1
        await record_history(handle, "subscription_unhappy_refunded", "claim")
        resolved = next(e for e in world.claim_events if e.kind == "claim_refunded")
        assert "SVC-REF-1" in resolved.clauses


async def test_a_question_is_answered_within_the_support_time_or_escalated(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-SUP-1: a customer's question is a task due in 24 hours; unanswered, it is
    escalated; answered, the customer is e-mailed the answer (kept out of Temporal)."""
    par = preset("paralight")
    now = await time_env.get_current_time()
    opening = open_claim(par, Filing(kind=ClaimKind.QUESTION, purchased_at=now), now)
    assert opening.answer_by is not None
    claim = ClaimInput(
        claim_id="msg_" + "7" * 16,
        kind=ClaimKind.QUESTION,
        policy=par,
        order_id="ord-q",
        purchased_at=now,
        opened_at=now,
        answer_by=opening.answer_by.at,
        answer_clauses=opening.answer_by.clauses,
        clauses=opening.decision.clauses,
    )
    world = FakeWorld()
    async with running_claim(time_env, world, claim) as handle:
        await time_env.sleep(timedelta(hours=24, minutes=1))

        async def escalated() -> list[str] | None:
            return world.escalated or None

        assert await wait_for(escalated, within=30) == [f"{claim.claim_id}:customer_message"]
        from domain.claims import Answered

        done: ClaimSnapshot = await handle.execute_update(
            names.UPDATE_ANSWER_QUESTION, Answered(operator="Anna"), result_type=ClaimSnapshot
        )
        assert done.status is ClaimStatus.ANSWERED
        assert world.email_facts["question_answered"]["with_answer"] is True
        assert world.tasks["customer_message"].closed


async def _task_of(o: Any, claim_id: str) -> bool:
    task = o.world.tasks.get("claim")
    return task is not None and task.task_key == f"{claim_id}:claim"
