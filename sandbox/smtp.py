"""The local SMTP sink: accepts every message and keeps it as an .eml file to read."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import structlog
from aiosmtpd.controller import Controller

log = structlog.get_logger("orderflow.sandbox.smtp")


class MailFolder:
    """aiosmtpd handler writing each message to `<folder>/<time>-<n>.eml`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self._count += 1
        path = self.folder / f"{time.time_ns()}-{self._count}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        log.info("mail kept", file=path.name, size=len(envelope.content))
        return "250 Message accepted for delivery"

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))


class Sink:
    """The sink's listener: stopped, it refuses connections as a mail server that is down
    does, and started again it keeps the same folder."""

    def __init__(self, folder: Path, host: str, port: int) -> None:
        self.handler = MailFolder(folder)
        self.host, self.port = host, port
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self.handler, hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def start_sink(folder: Path, host: str, port: int) -> tuple[Sink, MailFolder]:
    sink = Sink(folder, host, port)
    sink.start()
    return sink, sink.handler
