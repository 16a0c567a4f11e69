"""Pure decisions of (policy, order facts, time). Each returns its outcome, the deadlines it
computed and the clause IDs that decided it; workflows and the API only act on them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Deadline(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime
    clauses: tuple[str, ...]


class Decision(BaseModel):
    """Whether something may happen, why, and by which clauses."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    reason: str
    clauses: tuple[str, ...] = ()
    deadlines: dict[str, datetime] = Field(default_factory=dict)


def allow(reason: str, *clauses: str, **deadlines: datetime) -> Decision:
    return Decision(allowed=True, reason=reason, clauses=tuple(clauses), deadlines=deadlines)


def refuse(reason: str, *clauses: str, **deadlines: datetime) -> Decision:
    return Decision(allowed=False, reason=reason, clauses=tuple(clauses), deadlines=deadlines)


def merged(*groups: tuple[str, ...]) -> tuple[str, ...]:
    """Clause IDs of several rules, each once, in order."""
    seen: dict[str, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(group))
    return tuple(seen)
