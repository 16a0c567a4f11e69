"""A warranty repair (PAR-WAR-1, PAR-WAR-2) and its limit (CRD-WAR-3: calendar days, holidays
and spare-part waits added): a timer on the repair's task; past it, escalated; each wait for
spare parts moves the limit."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.claims import RepairDone, WarrantyTerms
    from domain.decisions import Deadline
    from domain.decisions.aftercare import repair_deadline
    from domain.status import ClaimStatus

from workflows.claims.state import ClaimContext
from workflows.shared.deadlines import overdue


class Repair:
    def __init__(self, ctx: ClaimContext) -> None:
        self._ctx = ctx
        self.waits = 0  # days spent waiting for spare parts
        self.done: RepairDone | None = None

    def _terms(self) -> WarrantyTerms:
        assert self._ctx.snapshot.warranty is not None
        return self._ctx.snapshot.warranty

    def due(self) -> Deadline | None:
        """The repair's limit, where the policy sets one (CRD-WAR-3)."""
        snap = self._ctx.snapshot
        rules = self._ctx.policy.warranty
        if rules is None or rules.repair is None or snap.received_at is None:
            return None
        return repair_deadline(self._ctx.policy, snap.received_at, self.waits)

    async def run(self, clauses: tuple[str, ...]) -> None:
        ctx, snap = self._ctx, self._ctx.snapshot
        limit = self.due()
        due_clauses = limit.clauses if limit else ()
        snap.repair_due_at = limit.at if limit else None
        await ctx.record(
            "warranty_repair_started",
            ClaimStatus.IN_REPAIR,
            "in repair"
            + (f", due by {snap.repair_due_at.isoformat()}" if snap.repair_due_at else ""),
            (*clauses, *due_clauses),
            deadlines={"repair_due_at": snap.repair_due_at},
        )
        await ctx.email(
            "warranty_repair_started",
            {
                "remedy": "repair or replacement",
                "waits": "",
                "repair_due_at": snap.repair_due_at.isoformat(timespec="minutes")
                if snap.repair_due_at
                else "as soon as possible",
            },
        )
        await self._until_repaired(clauses, due_clauses)
        await ctx.task("warranty_repair", closed=True)
        await self._repaired(clauses, due_clauses)

    async def _until_repaired(self, clauses: tuple[str, ...], due: tuple[str, ...]) -> None:
        """The repair's task, escalated past its limit; each spare-part wait moves the limit."""
        ctx, snap, due_clauses = self._ctx, self._ctx.snapshot, due
        while self.done is None:
            seen = self.waits
            task = await ctx.task(
                "warranty_repair",
                "repair or replace the product",
                due_clauses or clauses,
                due_at=snap.repair_due_at,
            )

            def changed(seen: int = seen) -> bool:
                return self.done is not None or self.waits != seen

            if task.due_at is not None and await overdue(task, changed):
                snap.escalated = (*snap.escalated, "warranty_repair")
                await ctx.record(
                    "warranty_repair_overdue",
                    None,
                    f"the repair was due at {task.due_at.isoformat()}: escalated",
                    due_clauses,
                )
            await workflow.wait_condition(changed)
            if self.waits != seen:
                limit = self.due()
                snap.repair_due_at = limit.at if limit else None
                snap.spare_part_wait_days = self.waits
                await ctx.record(
                    "spare_part_wait",
                    None,
                    f"{self.waits} days waiting for spare parts: due by {snap.repair_due_at.isoformat() if snap.repair_due_at else '-'}",
                    due_clauses,
                    deadlines={"repair_due_at": snap.repair_due_at},
                )

    async def _repaired(self, clauses: tuple[str, ...], due_clauses: tuple[str, ...]) -> None:
        ctx, snap, done = self._ctx, self._ctx.snapshot, self.done
        assert done is not None
        snap.operator = done.operator
        back = " at the customer's cost" if self._terms().customer_pays_shipping else ""
        snap.outcome = f"{done.outcome}, sent back{back}"
        late = snap.repair_due_at is not None and workflow.now() > snap.repair_due_at
        await ctx.record(
            "warranty_done",
            ClaimStatus.RESOLVED,
            f"{done.outcome} by {done.operator}; sent back{back}"
            + (" (after its limit)" if late else ""),
            (*clauses, *due_clauses),
            details={
                "operator": done.operator,
                "tracking_number": done.tracking_number,
                "late": late,
            },
        )
        await ctx.email(
            "warranty_done",
            {
                "outcome": done.outcome,
                "tracking": f" ({done.tracking_number})" if done.tracking_number else "",
            },
        )
