"""Subscription activities: the timeline and read model, and the e-mails, each once."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.subscription_emails import render
from adapters.email import Mailer
from domain.subscriptions import SendSubscriptionEmail, SubscriptionEvent
from store import emails, subscriptions


class SubscriptionActivities:
    def __init__(self, pool: asyncpg.Pool, mailer: Mailer, mail_from: str) -> None:
        self._pool, self._mailer, self._mail_from = pool, mailer, mail_from

    @activity.defn(name="record_subscription_event")
    async def record_subscription_event(self, event: SubscriptionEvent) -> None:
        await subscriptions.record_event(self._pool, event)

    @activity.defn(name="send_subscription_email")
    async def send_subscription_email(self, request: SendSubscriptionEmail) -> None:
        row = await subscriptions.get(self._pool, request.subscription_id)
        if row is None:
            raise ApplicationError(
                f"subscription {request.subscription_id} is not in the database",
                type="SubscriptionNotFound",
                non_retryable=True,
            )
        subject, body = render(request.template, row, request.facts)
        recipient = str(row["customer"]["email"])
        kept = await emails.claim_email(
            self._pool,
            order_id=None,
            subscription_id=request.subscription_id,
            template=request.template,
            idempotency_key=request.idempotency_key,
            recipient=recipient,
            subject=subject,
            message_id=make_msgid(
                idstring=request.idempotency_key.replace(":", "."), domain="orderflow.local"
            ),
        )
        if kept["sent_at"] is not None:
            return
        message = EmailMessage()
        message["From"] = self._mail_from
        message["To"] = recipient
        message["Subject"] = subject
        message["Message-ID"] = str(kept["message_id"])
        message["X-Orderflow-Subscription"] = request.subscription_id
        message.set_content(body)
        await self._mailer.send(message)
        await emails.mark_sent(self._pool, request.idempotency_key)
