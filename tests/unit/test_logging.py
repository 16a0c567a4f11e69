"""Log lines are JSON with one timestamp format and no terminal colour codes."""

from __future__ import annotations

import json
import logging

import pytest

from runtime.log import configure_logging


def test_a_uvicorn_line_is_plain_json_with_a_utc_timestamp(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", json=True)
    logging.getLogger("uvicorn.error").info(
        "Started server process", extra={"color_message": "\x1b[32mStarted\x1b[0m"}
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "Started server process"
    assert "color_message" not in line and "\x1b" not in json.dumps(line)
    assert line["timestamp"].endswith("Z") and "+00:00" not in line["timestamp"]
