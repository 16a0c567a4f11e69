"""The worker's mailer over real SMTP (the sandbox's sink on loopback): sessions are reused,
and a session the server dropped is replaced without losing the message."""

from __future__ import annotations

from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from adapters.email.compose import compose
from adapters.email.smtp import SmtpMailer
from adapters.errors import ProviderUnavailable
from runtime.postgres import free_port
from sandbox.smtp import MailFolder


class CountingFolder(MailFolder):
    """The sink, counting the sessions that greeted it."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.greetings = 0

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.greetings += 1
        session.host_name = hostname
        return responses


def message(n: int) -> Message:
    return compose(
        sender="shop@example.com",
        recipient="customer@example.com",
        subject=f"message {n}",
        text=f"body {n}",
    )


async def test_messages_share_one_session_and_a_dropped_one_is_replaced(tmp_path: Path) -> None:
    port = free_port()
    sink = CountingFolder(tmp_path / "mail")
    server = Controller(sink, hostname="127.0.0.1", port=port)
    server.start()
    mailer = SmtpMailer("127.0.0.1", port)
    try:
        for n in range(3):
            await mailer.send(message(n))
        assert len(sink.messages()) == 3
        assert sink.greetings == 1

        # The server goes away and comes back: the kept session is dead, the message is not lost.
        server.stop()
        server = Controller(sink, hostname="127.0.0.1", port=port)
        server.start()
        await mailer.send(message(3))
        assert len(sink.messages()) == 4
        assert sink.greetings == 2
    finally:
        await mailer.aclose()
        server.stop()


async def test_no_server_is_a_provider_outage(tmp_path: Path) -> None:
    mailer = SmtpMailer("127.0.0.1", free_port())
    with pytest.raises(ProviderUnavailable):
        await mailer.send(message(0))
