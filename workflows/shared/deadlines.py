"""Waiting for something with a deadline: the two shapes every context's waits take, and an
operator task's due time with its escalation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.mail import MailActivities
    from activities.models import Escalation, OperatorTask

from workflows.shared.options import run_local


async def within(condition: Callable[[], bool], wait: timedelta, summary: str) -> bool:
    """Wait for `condition` at most `wait` (a durable timer named by `summary`); whether it
    held before the time ran out."""
    try:
        await workflow.wait_condition(condition, timeout=wait, timeout_summary=summary)
    except TimeoutError:
        return False
    return True


async def until(condition: Callable[[], bool], at: datetime, summary: str) -> bool:
    """Wait for `condition` until the moment `at` (not at all once it has passed); whether it
    holds then."""
    wait = at - workflow.now()
    if wait.total_seconds() > 0:
        await within(condition, wait, summary)
    return condition()


async def overdue(task: OperatorTask, done: Callable[[], bool]) -> bool:
    """Wait until `done` or the task's due time; past it with the task still open, it is
    escalated once (marked, and the operators e-mailed). Whether it was."""
    assert task.due_at is not None
    wait = task.due_at - workflow.now()
    if wait.total_seconds() > 0:
        await within(done, wait, f"{task.kind} due")
    if done():
        return False
    escalation = Escalation(
        task_key=task.task_key,
        kind=task.kind,
        summary=task.summary,
        due_at=task.due_at,
        order_id=task.order_id,
        subscription_id=task.subscription_id,
    )
    return await run_local(
        MailActivities.escalate_task, escalation, f"escalate overdue {task.kind}"
    )
