"""What a client sends to change an order's lines, approve an operator's edit, or cancel some
lines."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.edits import LineChange, LinesToCancel
from domain.orders import PaymentInstruction


class EditAsk(BaseModel):
    """Changes to the order's lines, in order; a raise is charged on `payment` (the order's
    own card when absent)."""

    model_config = ConfigDict(extra="forbid")

    changes: list[LineChange] = Field(min_length=1, max_length=50)
    payment: PaymentInstruction | None = None


class ApprovalAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    payment: PaymentInstruction | None = None


class CancelLinesAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[LinesToCancel] = Field(min_length=1, max_length=100)
