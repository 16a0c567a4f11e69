"""What a component may ask of the order's cancellations, which the order carries out at its
next checkpoint (`workflows.order.cancellation`): whether one was asked, ask one with its
decision, and the card-ownership cancellation (CRD-DIG-2)."""

from __future__ import annotations

from typing import Protocol

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.decisions import Decision
    from domain.decisions.changes import Cancellation
    from domain.orders import CancelOrigin, CancelOutcome


class Cancels(Protocol):
    @property
    def requested(self) -> bool:
        """Whether a cancellation was asked (it wins over a dispatch not yet made)."""

    def ask(self, origin: CancelOrigin, decided: Cancellation) -> None:
        """Ask for a cancellation; the first one asked is the one carried out."""

    def card_ownership(self, gone: bool) -> Decision:
        """Whether the order may still be cancelled over a card not the buyer's own."""

    def ask_for_card_ownership(self, ownership_proven: bool) -> None:
        """Cancel over a card not the buyer's own."""

    async def settled(self) -> CancelOutcome:
        """The outcome, once the cancellation asked has been carried out."""
