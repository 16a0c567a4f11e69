"""How activities run: typed options (timeouts and retries) and the runner that applies them,
returning the activity's own result type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.errors import ErrorType

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(frozen=True)
class Options:
    """How one kind of activity runs: its timeouts and retries."""

    start_to_close: timedelta
    retry: RetryPolicy
    schedule_to_close: timedelta | None = None
    heartbeat: timedelta | None = None


SHORT = Options(timedelta(seconds=30), RetryPolicy(maximum_interval=timedelta(seconds=30)))
# Money-moving calls carry idempotency keys the provider keeps for 24 hours: every retry must
# happen well inside that, so such activities give up after one hour.
MONEY = Options(
    timedelta(seconds=30),
    RetryPolicy(
        maximum_interval=timedelta(minutes=1),
        non_retryable_error_types=[ErrorType.PAYMENT_REJECTED.value],
    ),
    schedule_to_close=timedelta(hours=1),
)
# An e-mail off the order's path: retried on its own schedule for as long as SMTP is down.
MAIL = Options(timedelta(seconds=30), RetryPolicy(maximum_interval=timedelta(minutes=5)))
# A timeline entry or task tried in the workflow task a bounded number of times (counted in
# tries, so that it holds whatever the workflow's clock says: about 10 s in all)...
LOCAL_BOUND = Options(
    timedelta(seconds=5),
    RetryPolicy(maximum_attempts=3, maximum_interval=timedelta(seconds=2)),
    schedule_to_close=timedelta(seconds=15),
)
# ...and, the database not taking it then, written by an activity of its own, retried for as
# long as the database is away.
STORE = Options(timedelta(seconds=30), RetryPolicy(maximum_interval=timedelta(minutes=1)))
POLL = Options(
    timedelta(minutes=2),
    RetryPolicy(
        maximum_interval=timedelta(minutes=5),
        non_retryable_error_types=[ErrorType.TRACKING_REJECTED.value],
    ),
    heartbeat=timedelta(seconds=30),
)


async def run(
    activity: Callable[[Any, In], Awaitable[Out]], arg: In, options: Options, summary: str
) -> Out:
    """Run an activity method with `options`; its result as the method declares it."""
    result: Out = await workflow.execute_activity_method(
        activity,
        arg,
        start_to_close_timeout=options.start_to_close,
        schedule_to_close_timeout=options.schedule_to_close,
        heartbeat_timeout=options.heartbeat,
        retry_policy=options.retry,
        summary=summary,
    )
    return result


async def run_local(
    activity: Callable[[Any, In], Awaitable[Out]],
    arg: In,
    summary: str,
    options: Options = SHORT,
) -> Out:
    """A short idempotent step run inside the workflow task: one marker in the history. With
    bounded `options` its tries stop (the caller then goes another way)."""
    result: Out = await workflow.execute_local_activity_method(
        activity,
        arg,
        start_to_close_timeout=options.start_to_close,
        schedule_to_close_timeout=options.schedule_to_close,
        retry_policy=options.retry,
        summary=summary,
    )
    return result
