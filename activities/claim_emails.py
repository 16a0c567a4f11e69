"""The e-mails a claim or a question sends to the customer: received (and by when a person
answers), decided, the warranty's steps, the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Render = Callable[[str, dict[str, Any]], tuple[str, str]]


def _simple(subject: str, body: str) -> Render:
    def render(owner: str, facts: dict[str, Any]) -> tuple[str, str]:
        values = {"owner": owner, **{k: v for k, v in facts.items() if v is not None}}
        return f"{owner}, claim {facts['claim_id']}: {subject}", body.format_map(values)

    return render


def _received(owner: str, facts: dict[str, Any]) -> tuple[str, str]:
    what = "question" if facts.get("question") else "claim"
    by = (
        f"A person answers by {facts['answer_by']}.\n"
        if facts.get("answer_by")
        else "A person answers as soon as possible.\n"
    )
    return (
        f"{owner}: your {what} {facts['claim_id']} was received",
        f"We received your {what} {facts['claim_id']} about {owner.lower()}.\n\n{by}",
    )


def _answered(owner: str, facts: dict[str, Any]) -> tuple[str, str]:
    return (
        f"{owner}: the answer to your question {facts['claim_id']}",
        f"{facts.get('answer', '')}\n\n(answered by {facts['operator']})\n",
    )


TEMPLATES: dict[str, Render] = {
    "claim_received": _received,
    "question_answered": _answered,
    "claim_decided": _simple(
        "decided",
        "Your claim {claim_id} was decided: {outcome}.\n\n{reason}\n",
    ),
    "warranty_send_product": _simple(
        "send the product in",
        "Your warranty claim {claim_id} is taken: {reason}.\n\nSend the product with its "
        "invoice to the address below; {shipping}.\n\n{address}\n",
    ),
    "warranty_via_agent": _simple(
        "the manufacturer's agent",
        "Your product is covered by the warranty of the manufacturer's authorised agent: take "
        "it to the agent with your purchase invoice of {owner}, which is the warranty. If you "
        "prefer, we deal with the agent for you: the product is then sent to us at your cost "
        "and back at your cost.\n",
    ),
    "warranty_repair_started": _simple(
        "in repair",
        "We received the product of claim {claim_id}. The {remedy} is done by {repair_due_at}"
        "{waits}.\n",
    ),
    "warranty_quote": _simple(
        "a quote for the service",
        "The product of claim {claim_id} is not covered by the warranty ({reason}). We can "
        "still service it at basic cost: {quote}. Accept and pay the quote, or decline it, "
        "from your claim.\n",
    ),
    "warranty_done": _simple(
        "done",
        "The product of claim {claim_id} was {outcome} and sent back to you{tracking}.\n",
    ),
}
