"""A payment the payer took back, as an operator decides it (IMA-PAY-1)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.orders import Note, Operator


class ChargebackDecision(BaseModel):
    """An operator's word on a payment the payer took back: accept it (an order not yet
    shipped is cancelled, with nothing left to refund) or contest it at the provider (the
    order goes on)."""

    model_config = ConfigDict(extra="forbid")

    accept: bool
    note: Note = ""
    operator: Operator = ""


class ChargebackDecided(BaseModel):
    accepted: bool
    cancelled: bool
    clauses: tuple[str, ...] = ()
