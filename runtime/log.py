"""structlog, configured once per process: JSON off a terminal, console on one.

Standard-library records (Temporal SDK, uvicorn, asyncpg) go through the same processors.
Personal data never reaches a log line: known fields are dropped and e-mail addresses or
card-number-like digit runs in any string are masked.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

_PII_KEYS = frozenset(
    {
        "email",
        "customer",
        "shipping_address",
        "address",
        "name",
        "phone",
        "card_number",
        "pan",
        "cvc",
        "to",
        "recipient",
    }
)
_EMAIL = re.compile(r"[^@\s\"'<>]+@[^@\s\"'<>]+\.[A-Za-z]{2,}")
_PAN = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return _PAN.sub("[card]", _EMAIL.sub("[email]", value))
    if isinstance(value, dict):
        return {k: "[redacted]" if k in _PII_KEYS else _mask(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask(v) for v in value)
    return value


def redact_personal_data(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: "[redacted]" if k in _PII_KEYS else _mask(v) for k, v in event_dict.items()}


def _temporal_context(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Lift the IDs the Temporal SDK puts in `extra` to the top level; they are the record's
    own, so they win over IDs bound in the surrounding context."""
    for key in ("temporal_workflow", "temporal_activity"):
        info = event_dict.pop(key, None)
        if isinstance(info, dict):
            if "workflow_id" in info:
                wid = str(info["workflow_id"])
                event_dict["workflow_id"] = wid
                if wid.startswith("order-"):
                    event_dict["order_id"] = wid.removeprefix("order-")
            for field in ("workflow_type", "activity_type", "attempt", "run_id"):
                if field in info:
                    event_dict[field] = info[field]
    return event_dict


def _no_colour_codes(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """uvicorn adds a copy of its message with ANSI colours; a log line keeps the plain one."""
    event_dict.pop("color_message", None)
    return event_dict


def configure_logging(level: str = "INFO", json: bool | None = None) -> None:
    as_json = (not sys.stderr.isatty()) if json is None else json
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        _no_colour_codes,
        _temporal_context,
        redact_personal_data,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Requests are logged by the API's own middleware, with their route and a masked path:
    # uvicorn's access lines would hold raw paths (the Web UI's codec key, tokens in queries).
    access = logging.getLogger("uvicorn.access")
    access.handlers[:] = []
    access.propagate = False
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The SMTP sink's protocol trace holds whole messages (addresses, card codes): never
    # below INFO, whatever the level asked for.
    logging.getLogger("mail.log").setLevel(max(logging.INFO, root.level))
