"""A claim's refund, between a claim and its running order: two signals, defined here once.

1. The claim, decided for a refund, asks its parent order to pay it (`ask_refund`: signal
   `claim_refund` with a `ClaimRefundAsk`, the amount granted and its clauses).
2. The order pays it once under the claim's ledger key, capped at what it still holds (an ask
   repeated gets the first answer), and answers the claim (`answer_refund`: signal
   `claim_refund_paid` with a `ClaimRefundPaid`: what was refunded, or why it failed).

A claim of a subscription or of a completed order has no parent: its refund is its own."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.claims import ClaimRefundAsk, ClaimRefundPaid

from workflows import names


async def ask_refund(ask: ClaimRefundAsk) -> None:
    """From the claim to its order."""
    parent = workflow.info().parent
    assert parent is not None, "a claim's refund is paid by its running order"
    await workflow.get_external_workflow_handle(parent.workflow_id).signal(
        names.SIGNAL_CLAIM_REFUND, ask
    )


async def answer_refund(paid: ClaimRefundPaid) -> None:
    """From the order to the claim."""
    await workflow.get_external_workflow_handle(names.claim_workflow_id(paid.claim_id)).signal(
        names.SIGNAL_CLAIM_REFUND_PAID, paid
    )
