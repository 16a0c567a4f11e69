"""The e-mails a subscription sends: receipts, failed renewals, cancellation and its end."""

from __future__ import annotations

from typing import Any

from activities.claim_emails import TEMPLATES as CLAIM_TEMPLATES


def render(template: str, row: dict[str, Any], facts: dict[str, str]) -> tuple[str, str]:
    sid, plan = row["subscription_id"], row["plan_name"]
    if template in CLAIM_TEMPLATES:
        return CLAIM_TEMPLATES[template](f"{plan} (subscription {sid})", facts)
    if template == "subscription_receipt":
        return (
            f"Receipt: {plan}, period {facts['period']}",
            f"We received {facts['amount']} for {plan} (subscription {sid}), period "
            f"{facts['period']}: {facts['from']} to {facts['to']}.\n\n"
            "The service is intangible: once provided it cannot be returned (SVC-GEN-1). You "
            "may cancel at any time; a cancellation within 7 days after a payment refunds that "
            "payment (SVC-SUB-1).\n",
        )
    if template == "renewal_failed":
        retry = (
            f"We will try again on {facts['retry_at']}."
            if facts.get("retry_at")
            else "No further attempt will be made: the subscription has ended."
        )
        return (
            f"{plan}: the payment for period {facts['period']} was declined",
            f"The charge of {facts['amount']} for {plan} (subscription {sid}) was declined "
            f"({facts['decline_code']}). {retry}\n",
        )
    if template == "subscription_cancelled":
        return (
            f"{plan}: cancelled",
            f"Your subscription {sid} to {plan} is cancelled; nothing more will be charged.\n\n"
            f"Refund: {facts['refund']}. Access ends on {facts['access_ends_at']}.\n",
        )
    if template == "subscription_ended":
        return (
            f"{plan}: your subscription has ended",
            f"Your subscription {sid} to {plan} ended on {facts['ended_at']}.\n",
        )
    raise ValueError(f"unknown e-mail template {template!r}")
