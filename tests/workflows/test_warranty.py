"""Warranty claims as they run: paralight's in and out of period, voided at inspection and
serviced for a paid quote; cardnet's agent, and its repair deadline across Eid al-Adha with a
spare-part wait, escalated when it passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from domain.calendar import pin_calendar
from domain.claims import (
    ClaimInput,
    ClaimSnapshot,
    QuoteAnswer,
    QuoteOutcome,
    RepairDone,
    WarrantyInspection,
)
from domain.decisions.aftercare import repair_deadline
from domain.decisions.claims import Filing, open_claim
from domain.policy.aftercare import ClaimKind
from domain.status import ClaimStatus
from tests.domain.helpers import preset
from tests.integration.harness import wait_for
from tests.workflows.claims_kit import (
    act,
    file,
    handle_reaches,
    reaches,
    repaired,
    to_the_workshop,
)
from tests.workflows.fakes import FakeWorld, record_history, refused, running_claim
from tests.workflows.returns_kit import delivered
from workflows import names

LASER = [("PL-LASER-50", "120.00", 1, "general")]


async def test_paralight_warranty_in_period_is_repaired_free(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-WAR-1: from receipt, for the model's period (two years for PL-LASER-50): the
    product sent in, inspected, repaired free and sent back; nothing is charged."""
    async with delivered(time_env, "paralight", LASER) as o:
        started = await file(o, ClaimKind.WARRANTY, sku="PL-LASER-50")
        assert started.warranty is not None and started.warranty.covered
        assert started.warranty.ends_at == o.snapshot.delivered_at + timedelta(days=730)
        snap = await to_the_workshop(o, started.claim_id, defect_confirmed=True)
        assert snap.status is ClaimStatus.IN_REPAIR and snap.repair_due_at is None
        done = await repaired(o, started.claim_id)
        assert done.status is ClaimStatus.RESOLVED and done.outcome == "repaired, sent back"
        assert not [c for c in o.world.calls if "claim" in c]  # nothing charged or refunded
        assert "warranty_done" in o.world.emails


async def test_paralight_warranty_void_at_inspection_serviced_for_a_paid_quote(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-WAR-3, PAR-WAR-2: a missing serial number voids the warranty at inspection; the
    inspection must then quote the basic cost; the customer's declined card leaves the quote
    open, the next card pays it (authorised and captured once) and the repair starts."""
    world = FakeWorld()
    async with delivered(time_env, "paralight", LASER, world=world) as o:
        started = await file(o, ClaimKind.WARRANTY, sku="PL-LASER-50")
        cid = started.claim_id
        await reaches(o, cid, ClaimStatus.AWAITING_PRODUCT)
        unknown = to_the_workshop(
            o, cid, defect_confirmed=True, void_conditions=("dropped_in_lake",)
        )
        assert (await refused(unknown, "ClaimRefused"))[1] == "void_conditions"
        no_quote = o.env.client.get_workflow_handle(names.claim_workflow_id(cid)).execute_update(
            names.UPDATE_INSPECT_WARRANTY,
            {
                "operator": "Workshop",
                "defect_confirmed": True,
                "void_conditions": ["serial_number_missing"],
            },
        )
        assert (await refused(no_quote, "ClaimRefused"))[:2] == ["PAR-WAR-2", "quote"]
        from domain.claims import WarrantyInspection

        quoted: ClaimSnapshot = await o.env.client.get_workflow_handle(
            names.claim_workflow_id(cid)
        ).execute_update(
            names.UPDATE_INSPECT_WARRANTY,
            WarrantyInspection(
                operator="Workshop",
                defect_confirmed=True,
                void_conditions=("serial_number_missing",),
                quote=Decimal("35"),
            ),
            result_type=ClaimSnapshot,
        )
        assert quoted.status is ClaimStatus.QUOTED and str(quoted.quote) == "35.00 EUR"
        assert quoted.warranty is not None and not quoted.warranty.covered
        assert "PAR-WAR-3" in quoted.warranty.clauses
        handle = o.env.client.get_workflow_handle(names.claim_workflow_id(cid))
        world.decline = "insufficient_funds"
        first: QuoteOutcome = await handle.execute_update(
            names.UPDATE_ANSWER_QUOTE,
            QuoteAnswer(accept=True, payment_token="pm_card_poor"),
            result_type=QuoteOutcome,
        )
        assert not first.paid and first.decline_code == "insufficient_funds"
        world.decline = None
        paid: QuoteOutcome = await handle.execute_update(
            names.UPDATE_ANSWER_QUOTE,
            QuoteAnswer(accept=True, payment_token="pm_card_ok"),
            result_type=QuoteOutcome,
        )
        assert paid.paid and paid.status is ClaimStatus.IN_REPAIR
        captures = [c for c in world.calls if c.startswith("capture:") and f"claim:{cid}" in c]
        assert len(captures) == 1
        assert (await repaired(o, cid)).status is ClaimStatus.RESOLVED


async def test_paralight_out_of_warranty_period_is_quoted(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-WAR-1, PAR-WAR-2: a default-period product a year and a day after receipt is not
    covered but still serviced at basic cost; the quote declined, the claim closes."""
    par = preset("paralight")
    now = await time_env.get_current_time()
    received = now - timedelta(days=366)
    opening = open_claim(
        par,
        Filing(
            kind=ClaimKind.WARRANTY,
            purchased_at=received - timedelta(days=3),
            delivered_at=received,
            model="PL-FILTER-1",
            has_invoice=True,
        ),
        now,
    )
    assert opening.decision.allowed and opening.warranty is not None
    assert not opening.warranty.covered and opening.warranty.service_charge == "basic_costs"
    claim = ClaimInput(
        claim_id="clm_" + "6" * 16,
        kind=ClaimKind.WARRANTY,
        policy=pin_calendar(par, now),
        order_id="ord-old",
        sku="PL-FILTER-1",
        purchased_at=received - timedelta(days=3),
        delivered_at=received,
        opened_at=now,
        answer_by=None,
        clauses=opening.decision.clauses,
        warranty=opening.warranty,
    )
    world = FakeWorld()
    async with running_claim(time_env, world, claim) as handle:
        from domain.claims import ProductReceived, WarrantyInspection

        await handle_reaches(handle, ClaimStatus.AWAITING_PRODUCT)
        await handle.execute_update(
            names.UPDATE_RECEIVE_CLAIM_PRODUCT, ProductReceived(operator="W")
        )
        await handle.execute_update(
            names.UPDATE_INSPECT_WARRANTY,
            WarrantyInspection(operator="W", defect_confirmed=True, quote=Decimal("20")),
        )
        out: QuoteOutcome = await handle.execute_update(
            names.UPDATE_ANSWER_QUOTE, QuoteAnswer(accept=False), result_type=QuoteOutcome
        )
        assert not out.paid

        async def closed() -> ClaimSnapshot | None:
            snap = await handle.query(names.QUERY_CLAIM, result_type=ClaimSnapshot)
            return snap if snap.status is ClaimStatus.CLOSED else None

        assert (await wait_for(closed, within=30)).outcome == "quote declined: sent back"


async def test_cardnet_warranty_goes_to_the_agent_unless_the_store_deals_with_it(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-WAR-1, CRD-WAR-2: without the store's mediation the customer takes the invoice to
    the agent; with it, the product is sent to Jeddah at the customer's cost."""
    async with delivered(time_env, "cardnet", [("PHONE-1", "900.00", 1, "general")]) as o:
        agent = await file(o, ClaimKind.WARRANTY, sku="PHONE-1")
        assert agent.warranty is not None and agent.warranty.via_agent
        assert (await reaches(o, agent.claim_id, ClaimStatus.CLOSED)).outcome == (
            "to the manufacturer's authorised agent"
        )
        store = await file(o, ClaimKind.WARRANTY, sku="PHONE-1", store_mediation=True)
        assert store.warranty is not None and store.warranty.customer_pays_shipping
        await reaches(o, store.claim_id, ClaimStatus.AWAITING_PRODUCT)
        sent = o.world.email_facts["warranty_send_product"]
        assert "your cost" in sent["shipping"] and "Jeddah" in sent["address"]


async def test_cardnet_repair_deadline_across_eid_and_a_spare_part_wait_is_escalated(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-WAR-3: received 11 May 2027, 14 days with Arafah and Eid al-Adha (15 to 19 May)
    added, then a 4-day wait for parts: the repair's timer moves with it, and when it passes
    the repair is escalated; done late, it says so."""
    crd = preset("cardnet")
    riyadh = ZoneInfo(crd.timezone)
    start = datetime(2027, 5, 11, 7, 0, tzinfo=UTC)
    now = await time_env.get_current_time()
    await time_env.sleep(start - now)
    now = await time_env.get_current_time()
    policy = pin_calendar(crd, now - timedelta(days=20))
    filing = Filing(
        kind=ClaimKind.WARRANTY,
        purchased_at=now - timedelta(days=20),
        delivered_at=now - timedelta(days=18),
        model="PHONE-1",
        has_invoice=True,
        store_mediation=True,
    )
    opening = open_claim(policy, filing, now)
    assert opening.warranty is not None
    claim = ClaimInput(
        claim_id="clm_" + "8" * 16,
        kind=ClaimKind.WARRANTY,
        policy=policy,
        order_id="ord-crd",
        sku="PHONE-1",
        purchased_at=filing.purchased_at,
        delivered_at=filing.delivered_at,
        opened_at=now,
        answer_by=None,
        clauses=opening.decision.clauses,
        warranty=opening.warranty,
    )
    world = FakeWorld()
    async with running_claim(time_env, world, claim) as handle:
        from domain.claims import ProductReceived, WarrantyInspection

        await handle_reaches(handle, ClaimStatus.AWAITING_PRODUCT)
        await handle.execute_update(
            names.UPDATE_RECEIVE_CLAIM_PRODUCT, ProductReceived(operator="W")
        )
        received = await time_env.get_current_time()
        snap: ClaimSnapshot = await handle.execute_update(
            names.UPDATE_INSPECT_WARRANTY,
            WarrantyInspection(operator="W", defect_confirmed=True),
            result_type=ClaimSnapshot,
        )
        # 11 May + 14 days is 25 May; Arafah and Eid (15 to 19 May) move it to 30 May
        assert snap.repair_due_at is not None
        assert snap.repair_due_at.astimezone(riyadh).date().isoformat() == "2027-05-30"
        assert abs(snap.repair_due_at - repair_deadline(policy, received).at) < timedelta(minutes=1)
        moved: ClaimSnapshot = await handle.execute_update(
            names.UPDATE_SPARE_PART_WAIT, {"operator": "W", "days": 4}, result_type=ClaimSnapshot
        )
        assert moved.repair_due_at is not None
        assert moved.repair_due_at.astimezone(riyadh).date().isoformat() == "2027-06-03"
        assert world.tasks["warranty_repair"].due_at == moved.repair_due_at
        assert world.escalated == []
        await time_env.sleep(
            moved.repair_due_at - await time_env.get_current_time() + timedelta(hours=1)
        )

        async def escalated() -> list[str] | None:
            return world.escalated or None

        assert await wait_for(escalated, within=30) == [f"{claim.claim_id}:warranty_repair"]
        done: ClaimSnapshot = await handle.execute_update(
            names.UPDATE_FINISH_REPAIR,
            {"operator": "W", "outcome": "replaced"},
            result_type=ClaimSnapshot,
        )
        assert done.status is ClaimStatus.RESOLVED and done.escalated == ("warranty_repair",)
        last = world.claim_events[-1]
        assert "after its limit" in last.summary and "CRD-WAR-3" in last.clauses
        await record_history(handle, "cardnet_repair_across_eid", "claim")


async def test_paralight_an_inspectors_malfunction_never_voids_a_covered_defect(
    time_env: WorkflowEnvironment,
) -> None:
    """PAR-WAR-3: "darbības kļūme" is an operating error; a malfunction is what the warranty
    covers. An inspection naming "malfunction" as a void condition is refused (the field),
    the claim stays covered and is repaired free; the preset names the operating error."""
    async with delivered(time_env, "paralight", LASER) as o:
        started = await file(o, ClaimKind.WARRANTY, sku="PL-LASER-50")
        cid = started.claim_id
        await reaches(o, cid, ClaimStatus.AWAITING_PRODUCT)
        malfunction = to_the_workshop(
            o, cid, defect_confirmed=True, void_conditions=("malfunction",)
        )
        assert (await refused(malfunction, "ClaimRefused"))[:2] == ["PAR-WAR-3", "void_conditions"]
        covered = await act(
            o,
            cid,
            names.UPDATE_INSPECT_WARRANTY,
            WarrantyInspection(operator="Workshop", defect_confirmed=True),
        )
        assert covered.status is ClaimStatus.IN_REPAIR
        assert covered.warranty is not None and covered.warranty.covered
        assert (await repaired(o, cid)).status is ClaimStatus.RESOLVED
        assert not [c for c in o.world.calls if "claim" in c]  # nothing charged
    policy = preset("paralight")
    assert policy.warranty is not None and policy.warranty.void is not None
    assert "operating_error" in policy.warranty.void.conditions
    assert "malfunction" not in policy.warranty.void.conditions


async def test_cardnet_a_manufacturing_defect_after_a_year_goes_to_the_agent_never_refused(
    time_env: WorkflowEnvironment,
) -> None:
    """CRD-WAR-1: the period is the manufacturer's, which cardnet does not publish: on day 400
    after purchase the claim is not refused by a period of the store's own; the customer is
    pointed to the authorised agent with the invoice."""
    async with delivered(time_env, "cardnet", [("PHONE-1", "900.00", 1, "general")]) as o:
        # a claim the store mediates keeps the order open past its return window
        mediated = await file(o, ClaimKind.WARRANTY, sku="PHONE-1", store_mediation=True)
        await reaches(o, mediated.claim_id, ClaimStatus.AWAITING_PRODUCT)
        await time_env.sleep(timedelta(days=400))
        late = await file(o, ClaimKind.WARRANTY, sku="PHONE-1")
        assert late.warranty is not None and late.warranty.via_agent
        assert late.warranty.covered and late.warranty.ends_at is None
        assert late.clauses[0] == "CRD-WAR-1"
        closed = await reaches(o, late.claim_id, ClaimStatus.CLOSED)
        assert closed.outcome == "to the manufacturer's authorised agent"


async def test_kwoking_a_fault_found_on_day_20_or_59_is_a_warranty_claim_with_a_remedy(
    time_env: WorkflowEnvironment,
) -> None:
    """KWO-DOA-1, KWO-DEF-1: after the 14 days a damaged or non-working product goes to its
    category's warranty (the merchant's setting, none published): the return is refused
    pointing there, and the warranty claim is taken, the product inspected and replaced, on
    day 20 as on day 59."""
    drones = [("DRONE-X", "300.00", 2, "general")]
    async with delivered(time_env, "kwoking", drones, shipping="15") as o:
        await time_env.sleep(timedelta(days=20))
        late = await refused(o.ask("defective", ("DRONE-X", 1), described=True), "ReturnRefused")
        assert late[:2] == ["KWO-DOA-1", "reason"]
        for day in (20, 59):
            if day == 59:
                await time_env.sleep(timedelta(days=39))
            started = await file(o, ClaimKind.WARRANTY, sku="DRONE-X")
            assert started.warranty is not None and started.warranty.covered
            assert started.clauses == ("KWO-DOA-1", "KWO-DEF-1")
            await to_the_workshop(o, started.claim_id, defect_confirmed=True)
            done = await act(
                o,
                started.claim_id,
                names.UPDATE_FINISH_REPAIR,
                RepairDone(operator="Workshop", outcome="replaced", tracking_number=f"NEW-{day}"),
            )
            assert done.status is ClaimStatus.RESOLVED, day
