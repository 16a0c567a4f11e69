"""The few lines of markdown the Temporal Web UI shows as an order's current details."""

from __future__ import annotations

from datetime import datetime

from domain.orders import OrderSnapshot


def _at(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def current_details(order: OrderSnapshot, more: list[str] | None = None) -> str:
    rows = [f"**Status:** `{order.status.value}`"]
    if order.fraud_score is not None:
        signals = ", ".join(order.fraud_signals) or "none"
        rows.append(f"**Fraud score:** {order.fraud_score} (signals: {signals})")
        if order.review_by and order.status.value == "fraud_review":
            rows.append(f"**Review by:** {_at(order.review_by)}")
    if order.paid_at:
        rows.append(f"**Paid:** {_at(order.paid_at)}")
    if order.edit_window_closes_at and not order.fulfilment_started_at:
        rows.append(f"**Editable until:** {_at(order.edit_window_closes_at)}")
    if order.dispatch_at and not order.fulfilment_started_at:
        rows.append(f"**To the warehouse at:** {_at(order.dispatch_at)}")
    if order.pickup_at and not order.shipped_at:
        rows.append(f"**Carrier collects at:** {_at(order.pickup_at)}")
    for parcel in order.shipments:
        rows.append(
            f"**Parcel:** {parcel.carrier.value} `{parcel.tracking_number}` ({parcel.status.value})"
        )
    if order.pay_reshipping_by:
        rows.append(f"**Came back; reshipping to be paid by:** {_at(order.pay_reshipping_by)}")
    if order.return_window_closes_at:
        rows.append(f"**Returns until:** {_at(order.return_window_closes_at)}")
    if order.refunded is not None:
        rows.append(f"**Refunded:** {order.refunded}")
    return "\n\n".join(rows + (more or []))
