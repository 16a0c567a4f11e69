"""The event loop orderflow's processes run on: uvloop where it is installed (Linux, macOS),
else asyncio's own. uvicorn picks uvloop by itself; the worker and the benchmarks' floor
worker start theirs here, so both run on the same loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
