"""The sandbox providers' HTTP service (payments, carrier, the mail box) and its process."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email import message_from_bytes, policy
from pathlib import Path

import uvicorn
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from runtime.log import configure_logging
from runtime.settings import Settings, load_settings
from sandbox.cards import cards_router
from sandbox.carriers import carriers_router, progress_parcels
from sandbox.common import require_key
from sandbox.payments import payments_router
from sandbox.smtp import Sink, start_sink
from sandbox.state import SandboxState
from sandbox.webhooks import WebhookSender


class OutageIn(BaseModel):
    """How long the SMTP sink stays down, refusing every connection."""

    seconds: float = Field(gt=0, le=900)


def create_app(
    settings: Settings, mail_folder: Path | None = None, sink: Sink | None = None
) -> FastAPI:
    state = SandboxState(settings.sandbox_state_path, chaos=settings.sandbox_webhook_chaos)
    sender = WebhookSender(
        state,
        settings.sandbox_webhook_url,
        {
            "payments": settings.payment_webhook_secret.get_secret_value(),
            "carriers": settings.carrier_webhook_secret.get_secret_value(),
            "cards": settings.card_webhook_secret.get_secret_value(),
        },
        chaos=settings.sandbox_webhook_chaos,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(sender.run())]
        if settings.sandbox_tracking_step_seconds > 0:
            tasks.append(
                asyncio.create_task(progress_parcels(state, settings.sandbox_tracking_step_seconds))
            )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await sender.aclose()

    app = FastAPI(title="orderflow sandbox providers", lifespan=lifespan)
    app.state.sandbox = state
    app.state.sender = sender
    app.include_router(
        payments_router(
            state,
            settings.payment_provider_api_key.get_secret_value(),
            settings.sandbox_public_url or settings.payment_provider_url,
        )
    )
    app.include_router(
        carriers_router(
            state,
            settings.carrier_provider_api_key.get_secret_value(),
            settings.sandbox_tracking_step_seconds,
        )
    )

    app.include_router(cards_router(state, settings.card_issuer_api_key.get_secret_value()))

    if mail_folder is not None:

        @app.get("/mail", response_class=HTMLResponse, tags=["mail box"])
        def mailbox() -> str:
            rows = []
            for path in sorted(mail_folder.glob("*.eml"), reverse=True)[:200]:
                msg = message_from_bytes(path.read_bytes(), policy=policy.default)
                rows.append(
                    f"<tr><td>{html.escape(str(msg['Date'] or ''))}</td>"
                    f"<td>{html.escape(str(msg['To']))}</td>"
                    f"<td><a href='/mail/{path.name}'>{html.escape(str(msg['Subject']))}</a>"
                    "</td></tr>"
                )
            return (
                "<html><head><title>orderflow mail</title></head><body><h1>Mail sent</h1>"
                "<table border=1 cellpadding=4><tr><th>Date</th><th>To</th><th>Subject</th></tr>"
                + "".join(rows)
                + "</table></body></html>"
            )

        @app.get("/mail/{name}", tags=["mail box"])
        def message(name: str) -> Response:
            """The message as its reader sees it: the HTML part, else the plain text."""
            path = mail_folder / name
            if "/" in name or not name.endswith(".eml") or not path.is_file():
                raise HTTPException(404, "no such message")
            msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            part = msg.get_body(("html", "plain"))  # type: ignore[attr-defined]
            if part is None:
                return PlainTextResponse(path.read_text(errors="replace"))
            if part.get_content_type() == "text/html":
                return HTMLResponse(part.get_content())
            return PlainTextResponse(part.get_content())

    if sink is not None:
        outages: set[asyncio.Task[None]] = set()
        control = [Depends(require_key(settings.payment_provider_api_key.get_secret_value()))]

        @app.post(
            "/mail/v1/sandbox/outage", status_code=202, dependencies=control, tags=["mail box"]
        )
        async def smtp_outage(body: OutageIn) -> dict[str, float]:
            """Take the SMTP sink down for `seconds`, then bring it back."""
            await asyncio.to_thread(sink.stop)

            async def back() -> None:
                await asyncio.sleep(body.seconds)
                await asyncio.to_thread(sink.start)

            task = asyncio.create_task(back())
            outages.add(task)
            task.add_done_callback(outages.discard)
            return {"down_seconds": body.seconds}

    return app


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_json)
    if not settings.sandbox_smtp_sink:
        uvicorn.run(
            create_app(settings),
            host=settings.sandbox_host,
            port=settings.sandbox_port,
            log_config=None,
        )
        return
    mail_folder = settings.sandbox_state_path.parent / "mail"
    sink, _ = start_sink(mail_folder, settings.smtp_host, settings.smtp_port)
    try:
        uvicorn.run(
            create_app(settings, mail_folder, sink),
            host=settings.sandbox_host,
            port=settings.sandbox_port,
            log_config=None,
        )
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
