"""The digital-delivery context's own state: the order's gift cards and where their issue,
verification and care stand."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.digital import DigitalCard, PurchaseVerification


@dataclass
class DigitalState:
    cards: list[DigitalCard] = field(default_factory=list)
    issued: bool = False
    done: bool = True  # nothing digital left to wait for
    verification: PurchaseVerification | None = None
    verifying: bool = False
    seen: set[str] = field(default_factory=set)
    news: list[DigitalCard] = field(default_factory=list)  # redeemed, not yet on the timeline
    changed: bool = False
