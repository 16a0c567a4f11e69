"""The base of every policy rule: immutable, strict, and naming the clauses it encodes."""

from __future__ import annotations

import re
from datetime import date
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

CLAUSE_ID = r"^(?:[A-Z]{3}-[A-Z]{3}-\d+|LIF-\d+)$"


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    setting: bool = Field(
        False,
        description="the whole rule is the merchant's own setting, published by no clause: "
        "its decisions say `merchant setting` instead of citing one",
    )
    clauses: tuple[str, ...] = Field(
        (),
        validate_default=True,
        description="the policy clause IDs this rule encodes (none only for a setting)",
    )

    # A kind of rule whose clauses may be none (a merchant publishing none still has one).
    clauses_optional: ClassVar[bool] = False

    @field_validator("clauses")
    @classmethod
    def _clause_ids(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        bad = [c for c in value if not re.match(CLAUSE_ID, c)]
        if bad:
            raise ValueError(f"not clause IDs: {', '.join(bad)}")
        if not value and not info.data.get("setting") and not cls.clauses_optional:
            raise ValueError("a rule names the clauses it encodes, or is marked `setting = true`")
        return value


# What a decision resting on a number or a rule no clause publishes says of it.
SETTING = "merchant setting"


def as_said(rule: Rule, reason: str) -> str:
    """A decision's reason, saying so when its rule is the merchant's setting."""
    return f"{reason} ({SETTING})" if rule.setting else reason


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
