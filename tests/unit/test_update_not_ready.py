"""An update the server could not admit because the order's workflow was between two states
(its task failed or timed out, or the run was closing) is asked again, not answered 503:
the server's answer says nothing was admitted (`WorkflowNotReadyFailure`). Any other
precondition failure is not retried."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from google.protobuf import any_pb2
from starlette.requests import Request
from temporalio.api.common.v1 import GrpcStatus
from temporalio.api.errordetails.v1 import WorkflowNotReadyFailure
from temporalio.service import RPCError, RPCStatusCode

from runtime.settings import Settings
from starter.problems import Problem
from starter.updates import NOT_READY_TRIES, not_ready, run_update


def server_error(status: RPCStatusCode, message: str, detail: Any | None) -> RPCError:
    """The error as the SDK raises it from the server's gRPC status."""
    details = []
    if detail is not None:
        packed = any_pb2.Any()
        packed.Pack(detail)
        details.append(packed)
    raw = GrpcStatus(code=status.value, message=message, details=details).SerializeToString()
    return RPCError(message, status, raw)


NOT_READY = "Unable to perform workflow execution update due to unexpected workflow task failure."


class Handle:
    def __init__(self, failures: list[RPCError]) -> None:
        self.failures, self.calls = failures, 0

    async def execute_update(self, *args: Any, **kwargs: Any) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "changed"


def request_for(handle: Handle) -> Request:
    client = SimpleNamespace(get_workflow_handle=lambda _id: handle)
    state = SimpleNamespace(settings=Settings(_env_file=None), temporal=client)  # type: ignore[call-arg]
    app = SimpleNamespace(state=state)
    return Request({"type": "http", "method": "PATCH", "headers": [], "path": "/", "app": app})


def test_the_servers_not_ready_answer_is_told_apart() -> None:
    assert not_ready(
        server_error(RPCStatusCode.FAILED_PRECONDITION, NOT_READY, WorkflowNotReadyFailure())
    )
    assert not not_ready(server_error(RPCStatusCode.FAILED_PRECONDITION, "other", None))
    assert not not_ready(server_error(RPCStatusCode.UNAVAILABLE, "down", None))


async def test_an_update_met_not_ready_is_asked_again_and_answered() -> None:
    handle = Handle(
        [server_error(RPCStatusCode.FAILED_PRECONDITION, NOT_READY, WorkflowNotReadyFailure())]
    )
    answer = await run_update(request_for(handle), "o1", "change_shipping_address", {}, str)
    assert answer == "changed" and handle.calls == 2


async def test_an_update_that_meets_an_ended_workflow_after_that_learns_it() -> None:
    handle = Handle(
        [
            server_error(RPCStatusCode.FAILED_PRECONDITION, NOT_READY, WorkflowNotReadyFailure()),
            server_error(RPCStatusCode.NOT_FOUND, "workflow execution already completed", None),
        ]
    )
    assert await run_update(request_for(handle), "o1", "change_shipping_address", {}, str) is None


async def test_tries_are_bounded_and_other_failures_are_not_retried() -> None:
    always = Handle(
        [
            server_error(RPCStatusCode.FAILED_PRECONDITION, NOT_READY, WorkflowNotReadyFailure())
            for _ in range(NOT_READY_TRIES)
        ]
    )
    with pytest.raises(Problem) as refused:
        await run_update(request_for(always), "o1", "change_shipping_address", {}, str)
    assert refused.value.status == 503 and always.calls == NOT_READY_TRIES
    other = Handle([server_error(RPCStatusCode.FAILED_PRECONDITION, "other", None)])
    with pytest.raises(Problem):
        await run_update(request_for(other), "o1", "change_shipping_address", {}, str)
    assert other.calls == 1
