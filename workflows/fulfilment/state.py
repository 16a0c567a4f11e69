"""The fulfilment context's own state: the carrier's scans still to apply, and what became of
the parcels that did not arrive; and how following the parcels ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.orders import TrackingEvent
    from domain.policy import Carrier


class Leg(StrEnum):
    """How following the parcels ended."""

    CANCEL = "cancel"  # a cancellation came before the carrier collected the parcels
    ENDED = "ended"  # delivered, lost or back: the order's status says which


@dataclass
class FulfilmentState:
    inbox: list[TrackingEvent] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    carrier: Carrier | None = None
    clauses: tuple[str, ...] = ()


@dataclass
class ParcelsState:
    replacements: int = 0
    reshipping_paid: bool = False
    reshipping_running: int = 0
    reshipping_attempts: int = 0
    operator_refunds: int = 0  # refunds an operator made, counted to end a wait for one
