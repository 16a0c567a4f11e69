"""How `make run` keeps its processes up: a child that dies is started again after a backoff
(1 s, 2 s, 4 s, … up to 30 s); only a crash loop (five deaths of one process within a minute)
stops the whole stack, naming the process and its log."""

from __future__ import annotations

from collections import deque


class RestartPolicy:
    def __init__(
        self, limit: int = 5, window: float = 60.0, first: float = 1.0, longest: float = 30.0
    ) -> None:
        self.limit, self.window, self.first, self.longest = limit, window, first, longest
        self._deaths: dict[str, deque[float]] = {}

    def died(self, name: str, now: float) -> float | None:
        """Seconds to wait before starting `name` again; None when it is crash-looping."""
        deaths = self._deaths.setdefault(name, deque())
        deaths.append(now)
        while deaths and deaths[0] <= now - self.window:
            deaths.popleft()
        if len(deaths) >= self.limit:
            return None
        return float(min(self.longest, self.first * 2 ** (len(deaths) - 1)))

    def describe(self) -> str:
        return f"{self.limit} times within {self.window:.0f} s"
