"""Mail activities: the order's e-mails, each sent once under its key."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import asyncpg
from temporalio import activity

from activities.cards import card_codes
from activities.emails import render
from activities.models import SendOrderEmail
from activities.store import order_row
from adapters.email import Mailer
from store import emails
from store.sealing import Sealer


class MailActivities:
    def __init__(
        self, pool: asyncpg.Pool, mailer: Mailer, mail_from: str, sealer: Sealer | None = None
    ) -> None:
        self._pool = pool
        self._mailer = mailer
        self._mail_from = mail_from
        self._sealer = sealer

    @activity.defn(name="send_order_email")
    async def send_order_email(self, request: SendOrderEmail) -> None:
        order = await order_row(self._pool, request.order_id)
        facts = request.facts
        if "cards" in facts and self._sealer is not None:
            # the codes are opened for this message only: the workflow passed their IDs
            ids = [card["card_id"] for card in facts["cards"]]
            codes = await card_codes(self._pool, self._sealer, request.order_id, ids)
            facts = {**facts, "codes": codes}
        subject, body = render(request.template, order, facts)
        recipient = str(order["customer"]["email"])
        row = await emails.claim_email(
            self._pool,
            order_id=request.order_id,
            template=request.template,
            idempotency_key=request.idempotency_key,
            recipient=recipient,
            subject=subject,
            message_id=make_msgid(
                idstring=request.idempotency_key.replace(":", "."), domain="orderflow.local"
            ),
        )
        if row["sent_at"] is not None:
            return
        message = EmailMessage()
        message["From"] = self._mail_from
        message["To"] = recipient
        message["Subject"] = subject
        message["Message-ID"] = str(row["message_id"])
        message["X-Orderflow-Order"] = request.order_id
        message.set_content(body)
        await self._mailer.send(message)
        await emails.mark_sent(self._pool, request.idempotency_key)
