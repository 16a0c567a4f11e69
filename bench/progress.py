"""A run in phases with a progress bar each, as `make bench` and `make chaos` show them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

T = TypeVar("T")
Advance = Callable[[str, int, int], None]  # phase, done, total


def run_with_progress(console: Console, run: Callable[[Advance], Awaitable[T]]) -> T:
    """`run(advance)` on a new event loop, each phase it advances shown as a bar."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phase, total=total)
            progress.update(tasks[phase], completed=done, total=total)

        async def main() -> T:
            return await run(advance)

        return asyncio.run(main())
