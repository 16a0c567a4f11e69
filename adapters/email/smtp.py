"""Sends mail over SMTP, with STARTTLS and login when the server asks for them.

Sessions are kept open and reused (up to `sessions` at a time, each dropped after `idle_seconds`
unused), so a message costs MAIL, RCPT and DATA instead of a new connection, greeting, EHLO
and QUIT each time. A kept session the server closed meanwhile is replaced once.
"""

from __future__ import annotations

import asyncio
import time
from email.message import Message

import aiosmtplib

from adapters.errors import ProviderUnavailable


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        sessions: int = 4,
        idle_seconds: float = 30.0,
    ) -> None:
        self._host, self._port = host, port
        self._username, self._password, self._starttls = username, password, starttls
        self._slots = asyncio.Semaphore(sessions)
        self._idle_seconds = idle_seconds
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []

    async def _connect(self) -> aiosmtplib.SMTP:
        session = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            start_tls=self._starttls,
            timeout=15,
        )
        await session.connect()
        return session

    def _kept_session(self) -> aiosmtplib.SMTP | None:
        while self._idle:
            session, since = self._idle.pop()
            if session.is_connected and time.monotonic() - since < self._idle_seconds:
                return session
            session.close()
        return None

    async def send(self, message: Message) -> None:
        async with self._slots:
            session = self._kept_session()
            try:
                if session is not None:
                    try:
                        await session.send_message(message)
                    except aiosmtplib.SMTPServerDisconnected:
                        session.close()
                        session = None
                if session is None:
                    session = await self._connect()
                    await session.send_message(message)
            except (aiosmtplib.SMTPException, OSError) as err:
                if session is not None:
                    session.close()
                raise ProviderUnavailable(f"SMTP {self._host}:{self._port}: {err}") from err
            self._idle.append((session, time.monotonic()))

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for session, _ in idle:
            try:
                await session.quit()
            except (aiosmtplib.SMTPException, OSError):
                session.close()
