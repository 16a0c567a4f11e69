"""The return's refund, between a return and its order: two signals, defined here once.

1. The return, its goods inspected, asks its parent order for the refund (`ask_refund`:
   signal `return_refund` with a `ReturnRefundAsk`, the inspected lines and when).
2. The order decides the refund against what it still holds, pays it once under the return's
   ledger key (an ask repeated gets the first answer) and answers the return (`answer_refund`:
   signal `return_refund_paid` with a `ReturnRefundPaid`: the breakdown, what was refunded,
   or why the refund failed).

The return waits for the answer; the order's completion waits for the return's end."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.returns import ReturnRefundAsk, ReturnRefundPaid

from workflows import names


async def ask_refund(ask: ReturnRefundAsk) -> None:
    """From the return to its order."""
    parent = workflow.info().parent
    assert parent is not None, "a return is always a child of its order"
    await workflow.get_external_workflow_handle(parent.workflow_id).signal(
        names.SIGNAL_RETURN_REFUND, ask
    )


async def answer_refund(paid: ReturnRefundPaid) -> None:
    """From the order to the return."""
    await workflow.get_external_workflow_handle(names.return_workflow_id(paid.rma_id)).signal(
        names.SIGNAL_RETURN_REFUND_PAID, paid
    )
