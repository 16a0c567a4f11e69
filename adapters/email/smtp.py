"""Sends mail over SMTP, with STARTTLS and login when the server asks for them."""

from __future__ import annotations

from email.message import EmailMessage

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
    ) -> None:
        self._host, self._port = host, port
        self._username, self._password, self._starttls = username, password, starttls

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                start_tls=self._starttls,
                timeout=15,
            )
        except (aiosmtplib.SMTPException, OSError) as err:
            raise ProviderUnavailable(f"SMTP {self._host}:{self._port}: {err}") from err
