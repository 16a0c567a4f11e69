"""The base of every policy rule: immutable, strict, and naming the clauses it encodes."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

CLAUSE_ID = r"^(?:[A-Z]{3}-[A-Z]{3}-\d+|LIF-\d+)$"


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    clauses: tuple[str, ...] = Field(
        min_length=1, description="the policy clause IDs this rule encodes"
    )

    @field_validator("clauses")
    @classmethod
    def _clause_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in value if not re.match(CLAUSE_ID, c)]
        if bad:
            raise ValueError(f"not clause IDs: {', '.join(bad)}")
        return value


class Section(BaseModel):
    """A group of rules; it names no clause of its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class BusinessCalendar(Section):
    """The merchant's working days: weekends and the public holidays of its country."""

    weekend: tuple[int, ...] = (5, 6)  # Monday is 0
    holidays_country: str | None = None
    holidays_subdivision: str | None = None
    # The public holidays an order's deadlines are decided by, written into its pinned policy
    # when it is placed; None in a preset, where the `holidays` package supplies them.
    holidays: tuple[date, ...] | None = None
