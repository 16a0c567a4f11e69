"""The e-mails a return sends, each saying what happens next and by when."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.policy.returns import ReturnAddress

Render = Callable[[str, dict[str, Any]], tuple[str, str]]


def _address(address: dict[str, str] | None) -> str:
    if not address:
        return "  (the address is given with the approval)\n"
    return ReturnAddress.model_validate(address).block()


def _requested(oid: str, facts: dict[str, Any]) -> tuple[str, str]:
    return (
        f"Return {facts['rma_id']} of order {oid}: received",
        f"We received your return request {facts['rma_id']} for order {oid}.\n\n"
        "Please do not send anything yet: we check the request and write to you with the "
        "return address and instructions once it is approved.\n",
    )


def _approved(oid: str, facts: dict[str, Any]) -> tuple[str, str]:
    label = facts.get("label")
    how = (
        f"Use our prepaid return label: {label['carrier'].upper()} {label['tracking_number']}. "
        "The return shipping is on us.\n"
        if label
        else "The return shipping is at your cost. "
        + (
            "Once sent, give us the parcel's tracking number and receipt in your order.\n"
            if facts.get("tracking_requested")
            else "Keep the carrier's receipt.\n"
        )
    )
    include = ", ".join(i.replace("_", " ") for i in facts.get("include") or [])
    return (
        f"Return {facts['rma_id']} of order {oid}: approved",
        f"Your return {facts['rma_id']} is approved. Please send the goods to:\n\n"
        f"{_address(facts.get('address'))}\n"
        f"by {facts['ship_back_by']}; after that date the approval lapses.\n\n"
        f"{how}"
        + (f"Please include: {include}.\n" if include else "")
        + f"Write the return number {facts['rma_id']} on the parcel.\n",
    )


def _simple(subject: str, body: str) -> Render:
    def render(oid: str, facts: dict[str, Any]) -> tuple[str, str]:
        return (
            f"Return {facts['rma_id']} of order {oid}: {subject}",
            body.format(oid=oid, **facts),
        )

    return render


def _refunded(oid: str, facts: dict[str, Any]) -> tuple[str, str]:
    lines = "".join(f"  {label}: {amount}\n" for label, amount in facts.get("lines", []))
    return (
        f"Return {facts['rma_id']} of order {oid}: refund",
        f"We inspected your return {facts['rma_id']}.\n\n{lines}\n"
        f"Refund: {facts['refund']} to your original payment method.\n",
    )


TEMPLATES: dict[str, Render] = {
    "return_requested": _requested,
    "return_approved": _approved,
    "return_rejected": _simple(
        "not approved",
        "Your return request {rma_id} for order {oid} was not approved, so nothing can be "
        "refunded for it. Please do not send the goods.\n",
    ),
    "return_expired": _simple(
        "approval lapsed",
        "The goods of return {rma_id} were not sent in time, so its approval lapsed and no "
        "refund or exchange is given for it.\n",
    ),
    "return_received": _simple(
        "goods received",
        "The goods of return {rma_id} arrived. We inspect them and write again with the outcome.\n",
    ),
    "return_out_of_stock": _simple(
        "out of stock",
        "The product for your return {rma_id} is out of stock. Please choose another product "
        "or the refund in your order.\n",
    ),
    "return_replaced": _simple(
        "replacement sent",
        "Your replacement for return {rma_id} is on its way with {carrier}: tracking number "
        "{tracking_number}.\n",
    ),
    "return_refunded": _refunded,
}
