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
