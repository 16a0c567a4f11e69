"""Changes to what an order bought, after payment: its lines edited (a quantity, a line
removed, added, or swapped for another SKU) and some of its lines cancelled. What the API
sends the workflow, and what the workflow answers."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.money import Money
from domain.orders import Operator, OrderLine

Sku = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
EditId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,120}$")]


class EditOp(StrEnum):
    QUANTITY = "set_quantity"  # `sku` to `quantity`
    REMOVE = "remove"  # `sku` goes
    ADD = "add"  # `line` is added
    SWAP = "swap"  # `line` replaces `sku` (an item out of stock replaced by another)


class LineChange(BaseModel):
    """One change to the order's lines."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    op: EditOp
    sku: Sku | None = Field(None, description="the line changed (set_quantity, remove, swap)")
    quantity: int | None = Field(None, ge=1, le=1000, description="set_quantity: the new one")
    line: OrderLine | None = Field(None, description="add, swap: the new line, priced")

    @model_validator(mode="after")
    def _complete(self) -> LineChange:
        needs = {
            EditOp.QUANTITY: ("sku", "quantity"),
            EditOp.REMOVE: ("sku",),
            EditOp.ADD: ("line",),
            EditOp.SWAP: ("sku", "line"),
        }[self.op]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.op.value} needs {' and '.join(missing)}")
        return self


class EditOrigin(StrEnum):
    CUSTOMER = "customer"  # the customer, or the shop on the customer's behalf
    OPERATOR = "operator"  # a raise waits for the customer's approval


class LineEdit(BaseModel):
    """An edit of the order's lines, as the workflow sees it: no personal data; the payment
    token is the stored credential's reference."""

    edit_id: EditId
    changes: tuple[LineChange, ...] = Field(min_length=1, max_length=50)
    origin: EditOrigin = EditOrigin.CUSTOMER
    operator: Operator = ""
    payment_token: str | None = None  # a raise is charged on it (else the order's own)


class EditStatus(StrEnum):
    PREVIEW = "preview"  # nothing changed
    APPLIED = "applied"
    AWAITING_APPROVAL = "awaiting_approval"  # an operator's edit that raises the total
    DECLINED = "declined"  # the difference could not be charged: nothing changed
    LAPSED = "lapsed"  # not approved in time: the order stays as it was
    REFUSED = "refused"  # the customer said no


class Settlement(StrEnum):
    NONE = "none"
    CHARGED = "charged"
    REFUNDED = "refunded"
    REFUND_OWED = "refund_owed"  # the provider refused the refund: an operator pays it


class EditQuote(BaseModel):
    """What an edit makes of the order: its lines and totals, and the money that moves
    (`difference`: above zero is charged, below zero refunded)."""

    model_config = ConfigDict(frozen=True)

    lines: tuple[OrderLine, ...]
    items_total: Money
    shipping_total: Money
    total: Money
    previous_total: Money
    difference: Money
    clauses: tuple[str, ...]
    reserve: dict[str, int] = Field(default_factory=dict)  # units more of each SKU
    release: dict[str, int] = Field(default_factory=dict)  # units fewer of each SKU

    @property
    def raises(self) -> bool:
        return self.difference.amount > 0


class LineEdited(BaseModel):
    """The workflow's answer to an edit."""

    edit_id: str
    status: EditStatus
    quote: EditQuote
    settlement: Settlement = Settlement.NONE
    moved: Money | None = None  # what was charged or refunded
    approve_by: str | None = None  # ISO time, for an edit awaiting approval
    decline_code: str | None = None


class EditApproval(BaseModel):
    """The customer's word on an operator's edit that raises the total."""

    edit_id: EditId
    approve: bool
    payment_token: str | None = None


class LinesToCancel(BaseModel):
    """Some of the order's lines cancelled before the carrier collects them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Sku
    quantity: int | None = Field(None, ge=1, le=1000, description="all of the line when absent")


class PartialCancel(BaseModel):
    cancel_id: EditId
    lines: tuple[LinesToCancel, ...] = Field(min_length=1, max_length=100)
    operator: Operator = ""  # blank: the customer's


class PartlyCancelled(BaseModel):
    cancel_id: str
    lines: tuple[OrderLine, ...]  # what the order keeps
    refund: Money
    refund_lines: tuple[tuple[str, Money], ...]
    clauses: tuple[str, ...]
    settlement: Settlement
