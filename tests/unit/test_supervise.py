"""`make run` keeps its processes up: a killed child is started again after a backoff, and
only a crash loop stops the stack, naming the process and its log."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from runtime.devstack import PORTS, Stack
from runtime.supervise import RestartPolicy


def test_the_backoff_doubles_and_a_crash_loop_is_five_deaths_in_a_minute() -> None:
    policy = RestartPolicy()
    assert [policy.died("worker", t) for t in (0, 1, 3, 7)] == [1, 2, 4, 8]
    assert policy.died("worker", 15) is None
    assert policy.died("api", 15) == 1  # counted per process


def test_deaths_far_apart_never_make_a_loop() -> None:
    policy = RestartPolicy()
    assert all(policy.died("worker", minute * 61.0) == 1 for minute in range(20))


def test_the_backoff_is_capped() -> None:
    policy = RestartPolicy(limit=100, window=1000)
    assert max(policy.died("worker", float(t)) or 0 for t in range(20)) == 30


def pid_of(stack: Stack, name: str) -> int:
    return next(p.pid for n, p in stack.processes if n == name)


def test_a_killed_process_is_restarted_and_a_crash_loop_stops_the_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = Stack(data=tmp_path, ports=dict(PORTS))
    stack.spawn("worker", [sys.executable, "-c", "import time; time.sleep(120)"], None)
    first = pid_of(stack, "worker")
    ended: list[int] = []
    policy = RestartPolicy(first=0.1, longest=0.2)
    watcher = threading.Thread(target=lambda: ended.append(stack.watch(policy, tick=0.05)))
    watcher.start()
    try:
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while pid_of(stack, "worker") == first and time.monotonic() < deadline:
            time.sleep(0.05)
        second = pid_of(stack, "worker")
        assert second != first and stack.processes[0][1].poll() is None  # running again

        stack.commands["worker"] = [sys.executable, "-c", "raise SystemExit(3)"]
        os.kill(second, signal.SIGKILL)
        watcher.join(30)
        assert ended == [1]
    finally:
        stack.stop()
    said = capsys.readouterr()
    assert "worker stopped with exit code -9; starting it again in 0 s" in said.err
    assert "worker restarted" in said.out
    assert (
        f"worker stopped 5 times within 60 s (last exit code 3); stopping everything. See {tmp_path / 'logs' / 'worker.log'}"
        in said.err
    )
