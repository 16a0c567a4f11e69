"""Filing claims on a delivered order (time skipped), and the acts operators take on them."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import WorkflowHandle

from domain.claims import (
    ClaimFiled,
    ClaimSnapshot,
    ClaimStarted,
    ProductReceived,
    RepairDone,
    SparePartWait,
    WarrantyInspection,
)
from domain.policy.aftercare import ClaimKind
from domain.status import ClaimStatus
from tests.integration.harness import wait_for
from tests.workflows.returns_kit import Delivered
from workflows import names


async def file(o: Delivered, kind: ClaimKind, **facts: Any) -> ClaimStarted:
    facts = {"has_invoice": True, **facts}  # the order is the purchase invoice
    filed = ClaimFiled(claim_id=f"clm_{uuid.uuid4().hex[:16]}", kind=kind, **facts)
    started: ClaimStarted = await o.order.execute_update(
        names.UPDATE_OPEN_CLAIM, filed, result_type=ClaimStarted
    )
    return started


def claim(o: Delivered, claim_id: str) -> WorkflowHandle[Any, Any]:
    return o.env.client.get_workflow_handle(names.claim_workflow_id(claim_id))


async def state(o: Delivered, claim_id: str) -> ClaimSnapshot:
    snap: ClaimSnapshot = await claim(o, claim_id).query(
        names.QUERY_CLAIM, result_type=ClaimSnapshot
    )
    return snap


async def handle_reaches(handle: WorkflowHandle[Any, Any], status: ClaimStatus) -> ClaimSnapshot:
    """A claim running on its own reaches `status` (an update sent before would be refused)."""

    async def there() -> ClaimSnapshot | None:
        snap = await handle.query(names.QUERY_CLAIM, result_type=ClaimSnapshot)
        return snap if snap.status is status else None

    found: ClaimSnapshot = await wait_for(there, within=30)
    return found


async def reaches(o: Delivered, claim_id: str, status: ClaimStatus) -> ClaimSnapshot:
    async def there() -> ClaimSnapshot | None:
        snap = await state(o, claim_id)
        return snap if snap.status is status else None

    found: ClaimSnapshot = await wait_for(there, within=30)
    return found


async def act(o: Delivered, claim_id: str, update: str, arg: Any) -> ClaimSnapshot:
    snap: ClaimSnapshot = await claim(o, claim_id).execute_update(
        update, arg, result_type=ClaimSnapshot
    )
    return snap


async def to_the_workshop(o: Delivered, claim_id: str, **found: Any) -> ClaimSnapshot:
    """The product arrives and is inspected."""
    await reaches(o, claim_id, ClaimStatus.AWAITING_PRODUCT)
    await act(
        o, claim_id, names.UPDATE_RECEIVE_CLAIM_PRODUCT, ProductReceived(operator="Warehouse")
    )
    await reaches(o, claim_id, ClaimStatus.INSPECTING)
    inspection = WarrantyInspection(operator="Workshop", **found)
    return await act(o, claim_id, names.UPDATE_INSPECT_WARRANTY, inspection)


async def wait_parts(o: Delivered, claim_id: str, days: int) -> ClaimSnapshot:
    return await act(
        o, claim_id, names.UPDATE_SPARE_PART_WAIT, SparePartWait(operator="Workshop", days=days)
    )


async def repaired(o: Delivered, claim_id: str) -> ClaimSnapshot:
    return await act(
        o,
        claim_id,
        names.UPDATE_FINISH_REPAIR,
        RepairDone(operator="Workshop", outcome="repaired", tracking_number="BACK-0001"),
    )
