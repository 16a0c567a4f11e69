"""Mail activities: the e-mails of orders and subscriptions, each sent once under its key."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid
from typing import Any

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.cards import card_codes
from activities.models import Escalation, SendOrderEmail
from activities.store import order_row
from adapters.email import Mailer
from adapters.email.compose import compose
from domain.errors import ErrorType
from domain.subscriptions import SendSubscriptionEmail
from messages.context import Letter, order_letter, subscription_letter
from runtime.tokens import Links
from store import claims, emails, subscriptions, tasks
from store.sealing import Sealer


class MailActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        mailer: Mailer,
        mail_from: str,
        sealer: Sealer,
        operators_email: str = "operators@orderflow.local",
        links: Links | None = None,
    ) -> None:
        self._links = links
        self._pool = pool
        self._mailer = mailer
        self._mail_from = mail_from
        self._sealer = sealer
        self._operators = operators_email

    async def _with_answer(self, facts: dict[str, Any]) -> dict[str, Any]:
        """An operator's answer is read from PostgreSQL for the one message that carries it."""
        if "claim_id" not in facts or not facts.get("with_answer"):
            return facts
        row = await claims.get_claim(self._pool, str(facts["claim_id"]))
        return {**facts, "answer": (row or {}).get("answer") or ""}

    @activity.defn(name="send_order_email")
    async def send_order_email(self, request: SendOrderEmail) -> None:
        order = await order_row(self._pool, request.order_id)
        facts = request.facts
        if "cards" in facts:
            # the codes are opened for this message only: the workflow passed their IDs
            ids = [card["card_id"] for card in facts["cards"]]
            codes = await card_codes(self._pool, self._sealer, request.order_id, ids)
            facts = {**facts, "codes": codes}
        facts = await self._with_answer(facts)
        letter = order_letter(request.template, order, facts, self._mail_from, self._links)
        await self._send_once(
            request.idempotency_key,
            request.template,
            str(order["customer"]["email"]),
            letter,
            order_id=request.order_id,
        )

    @activity.defn(name="send_subscription_email")
    async def send_subscription_email(self, request: SendSubscriptionEmail) -> None:
        row = await subscriptions.get(self._pool, request.subscription_id)
        if row is None:
            raise ApplicationError(
                f"subscription {request.subscription_id} is not in the database",
                type=ErrorType.SUBSCRIPTION_NOT_FOUND,
                non_retryable=True,
            )
        facts = await self._with_answer(dict(request.facts))
        letter = subscription_letter(request.template, row, facts, self._mail_from)
        await self._send_once(
            request.idempotency_key,
            request.template,
            str(row["customer"]["email"]),
            letter,
            subscription_id=request.subscription_id,
        )

    @activity.defn(name="escalate_task")
    async def escalate_task(self, overdue: Escalation) -> bool:
        """A task past its due time: marked escalated and the operators e-mailed, once. False
        when it was closed meanwhile (nothing to escalate)."""
        if not await tasks.escalate(self._pool, overdue.task_key):
            return False
        owner = (
            f"order {overdue.order_id}"
            if overdue.order_id
            else f"subscription {overdue.subscription_id}"
        )
        await self._send_once(
            f"{overdue.task_key}:escalated",
            "task_overdue",
            self._operators,
            (
                f"Overdue: {overdue.kind} on {owner}",
                f"The task {overdue.kind} on {owner} was due at "
                f"{overdue.due_at.isoformat(timespec='minutes')} and is still open.\n\n"
                f"{overdue.summary}\n\nIt heads GET /v1/ops/tasks with the action to take.\n",
            ),
            order_id=overdue.order_id,
            subscription_id=overdue.subscription_id,
        )
        return True

    async def _send_once(
        self,
        key: str,
        template: str,
        recipient: str,
        content: Letter | tuple[str, str],
        *,
        order_id: str | None = None,
        subscription_id: str | None = None,
    ) -> None:
        """Log the message under its key, and send it unless an earlier attempt did. A
        customer's letter goes as HTML with its plain-text alternative, from the merchant;
        the operators' notes as plain text."""
        if isinstance(content, Letter):
            sender, subject, text = content.sender, content.rendered.subject, content.rendered.text
            html: str | None = content.rendered.html
            language: str | None = content.rendered.locale.replace("_", "-")
        else:
            (subject, text), sender, html, language = content, self._mail_from, None, None
        row = await emails.claim_email(
            self._pool,
            order_id=order_id,
            subscription_id=subscription_id,
            template=template,
            idempotency_key=key,
            recipient=recipient,
            subject=subject,
            message_id=make_msgid(idstring=key.replace(":", "."), domain="orderflow.local"),
        )
        if row["sent_at"] is not None:
            return
        headers = {
            "Date": format_datetime(datetime.now(UTC)),
            "Message-ID": str(row["message_id"]),
            "Auto-Submitted": "auto-generated",
            "X-Orderflow-Message": template,
        }
        if order_id:
            headers["X-Orderflow-Order"] = order_id
        if subscription_id:
            headers["X-Orderflow-Subscription"] = subscription_id
        if language:
            headers["Content-Language"] = language
        message = compose(
            sender=sender,
            recipient=recipient,
            subject=subject,
            text=text,
            html=html,
            headers=headers,
        )
        await self._mailer.send(message)
        await emails.mark_sent(self._pool, key)
