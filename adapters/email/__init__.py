"""E-mail: the protocol, and SMTP (an aiosmtpd sink locally, Mailpit or a relay elsewhere)."""

from __future__ import annotations

from email.message import Message
from typing import Protocol


class Mailer(Protocol):
    async def send(self, message: Message) -> None: ...
