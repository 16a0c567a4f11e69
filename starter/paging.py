"""Cursor paging shared by the lists: a cursor is the sort key of a page's last row, opaque to
the caller and checked on the way back."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query

from starter.problems import Problem

Cursor = Annotated[
    str | None, Query(max_length=400, description="`next_cursor` of the previous page")
]
Limit = Annotated[int, Query(ge=1, le=500, description="rows per page")]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def encode(mark: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps([_plain(v) for v in mark]).encode()).decode()


def decode(cursor: str | None, *kinds: Callable[[Any], Any]) -> tuple[Any, ...] | None:
    """The sort key a cursor carries, each part read by its kind (None stays None); a 400
    naming the field for anything this API did not give out."""
    if cursor is None:
        return None
    try:
        mark = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(mark, list) or len(mark) != len(kinds):
            raise ValueError("wrong shape")
        return tuple(None if v is None else kind(v) for kind, v in zip(kinds, mark, strict=True))
    except (ValueError, TypeError) as err:
        raise Problem(
            400, "Bad cursor", "the cursor is not one this list gave", field="cursor"
        ) from err


def page(
    items: list[dict[str, Any]], rows: list[Any], limit: int, mark: Callable[[Any], Sequence[Any]]
) -> dict[str, Any]:
    """A page of `items` with the cursor of the next, when this one was full."""
    more = len(rows) == limit and rows
    return {"items": items, "next_cursor": encode(mark(rows[-1])) if more else None}


when = datetime.fromisoformat
