"""A policy change tried on live orders before it is made: the decisions that would come out
differently on the merchant's open orders under the new preset, and the money they would
move. Nothing changes for a running order (its policy is pinned)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.decisions.what_if import OpenOrder, what_if
from domain.money import Money
from domain.policy import Policy, check_preset, errors
from starter.api.deps import PoolDep, PresetsDep
from starter.auth import operator_router
from starter.problems import Problem
from starter.schemas.operators import PolicyWhatIf
from store.open_orders import open_orders

router = operator_router(422)


class WhatIfAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preset: Annotated[str, StringConstraints(max_length=200_000)] = Field(
        description="the new preset, as the TOML file it will be"
    )
    against: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,40}$")] = Field(
        description="the merchant whose open orders it is tried on"
    )
    placed_since: datetime | None = Field(None, description="only orders placed from then on")


def _order(row: dict[str, Any]) -> OpenOrder:
    currency = row["currency"]
    return OpenOrder(
        order_id=row["order_id"],
        status=row["status"],
        policy=Policy.model_validate(row["policy"]),
        lines=row["lines"],
        shipping_total=Money(amount=row["shipping_total"], currency=currency),
        total=Money(amount=row["total"], currency=currency),
        placed_at=row["created_at"],
        paid_at=row["paid_at"],
        fulfilment_started_at=row["fulfilment_started_at"],
        shipped_at=row["shipped_at"],
        delivered_at=row["delivered_at"],
    )


@router.post("/policy/what-if", response_model=PolicyWhatIf)
async def try_policy(body: WhatIfAsk, pool: PoolDep, presets: PresetsDep) -> dict[str, Any]:
    """Which decisions on the merchant's open orders would come out differently under the new
    preset (return window, edit window, dispatch slot, cancellation refund, a return's refund),
    how many, examples, and the money by currency."""
    if body.against not in presets:
        raise Problem(422, "Unknown merchant", f"no preset named {body.against!r}", field="against")
    policy, findings = check_preset(body.against, body.preset)
    wrong = errors(findings)
    if policy is None or wrong:
        first = wrong[0] if wrong else None
        raise Problem(
            422,
            "Not a valid preset",
            "; ".join(str(f) for f in wrong),
            field=f"preset.{first.field}" if first else "preset",
        )
    rows = await open_orders(pool, body.against, body.placed_since)
    report = what_if(policy, [_order(r) for r in rows], datetime.now(UTC))
    return report.model_dump(mode="json")
