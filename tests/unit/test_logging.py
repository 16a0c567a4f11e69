import json
import logging

import pytest
import structlog

from runtime.log import configure_logging


def test_logs_are_json_and_never_hold_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=True)
    structlog.contextvars.bind_contextvars(order_id="o1", workflow_id="order-o1")
    try:
        structlog.get_logger("t").info(
            "mail sent to jane@example.com",
            email="jane@example.com",
            note="card 4242 4242 4242 4242 used",
            shipping_address={"line1": "Brivibas 1"},
        )
        logging.getLogger("temporalio.activity").info(
            "stdlib record",
            extra={
                "temporal_activity": {"workflow_id": "order-o2", "activity_type": "capture_payment"}
            },
        )
    finally:
        structlog.contextvars.clear_contextvars()
        configure_logging("WARNING", json=True)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    first, second = lines[0], lines[1]
    assert first["order_id"] == "o1" and first["workflow_id"] == "order-o1"
    text = json.dumps(first)
    assert "jane@example.com" not in text and "4242 4242" not in text and "Brivibas" not in text
    assert first["email"] == "[redacted]"
    assert second["workflow_id"] == "order-o2" and second["order_id"] == "o2"
    assert second["activity_type"] == "capture_payment"


async def test_each_request_logs_with_its_own_method_and_path() -> None:
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from starter.app import RequestLogContext

    async def seen(request: Request) -> JSONResponse:
        bound = structlog.contextvars.get_contextvars()
        structlog.contextvars.bind_contextvars(order_id=request.path_params["order_id"])
        return JSONResponse(bound)

    app = RequestLogContext(
        Starlette(routes=[Route("/v1/orders/{order_id}", seen, methods=["GET", "POST"])])
    )
    structlog.contextvars.bind_contextvars(order_id="left-over")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        first = (await client.get("/v1/orders/o1")).json()
        second = (await client.post("/v1/orders/o2")).json()
    structlog.contextvars.clear_contextvars()
    # Nothing bound before or by an earlier request leaks into the next one.
    assert first == {"method": "GET", "path": "/v1/orders/o1"}
    assert second == {"method": "POST", "path": "/v1/orders/o2"}
