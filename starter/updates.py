"""Running a workflow update for the API: the client's Idempotency-Key as the update's ID,
a validator's refusal as a problem naming the clause and the field, an update not answered
in time as a 503 that is safe to repeat."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import timedelta
from typing import Annotated, Any

import structlog
from fastapi import Header, Request
from pydantic import BaseModel
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.claims import (
    ClaimSnapshot,
)
from domain.errors import REFUSALS, ErrorType
from domain.returns import (
    ReturnSnapshot,
)
from starter.api import deps
from starter.auth import acting
from starter.problems import Problem
from starter.views import return_json
from store import idempotency, returns
from workflows.names import (
    claim_workflow_id,
    order_workflow_id,
    return_workflow_id,
)

log = structlog.get_logger("orderflow.api.updates")


# The client's key for an act: the same key sent again is the same workflow update, answered
# with its one outcome (a request answered 503 is repeated safely with it).
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
]


def update_id(name: str, key: str | None) -> str | None:
    """The update's ID within its order, from the client's Idempotency-Key; none without."""
    return f"{name}:{key}" if key else None


def content_key(*parts: Any) -> str:
    """A key for a request by its content, where a repeat must never act twice (money)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


async def same_body_as_first(request: Request, scope: str) -> None:
    """A client's Idempotency-Key sent again must come with the request it first came with;
    with another body it is a 422, never the first request's outcome passed off as this one's."""
    key = request.headers.get("idempotency-key")
    if not key:
        return
    sent = hashlib.sha256(
        f"{request.method} {request.url.path}\n".encode() + await request.body()
    ).hexdigest()
    if await idempotency.first_sent(deps.pool(request), scope, key, sent) != sent:
        raise Problem(
            422,
            "Idempotency key reused",
            "this Idempotency-Key was used for a different request: send a new key for it",
            field="Idempotency-Key",
            kind="idempotency-key-reused",
        )


async def run_update(
    request: Request,
    order_id: str,
    name: str,
    arg: Any,
    result_type: type,
    *,
    id: str | None = None,
    workflow_id: str | None = None,
    refused_status: int = 409,
) -> Any:
    """Run an update on the order's workflow (or on `workflow_id`, one of its children); a
    refusal by its validator becomes a 409 (or `refused_status`) naming the clause and the
    field. An update not answered in time may still take effect: 503, and asking again with
    the same request (the same update ID) gets its one outcome."""
    target = workflow_id or order_workflow_id(order_id)
    await same_body_as_first(request, f"{target}:{name}")
    handle = deps.temporal(request).get_workflow_handle(target)
    if isinstance(arg, BaseModel) and "operator" in type(arg).model_fields:
        arg = arg.model_copy(update={"operator": acting(request, arg.operator)})
    timeout = timedelta(seconds=deps.settings(request).update_timeout_seconds)
    try:
        for attempt in range(NOT_READY_TRIES):
            try:
                return await handle.execute_update(
                    name, arg, id=id, result_type=result_type, rpc_timeout=timeout
                )
            except RPCError as err:
                if not not_ready(err) or attempt == NOT_READY_TRIES - 1:
                    raise
                # The update met the workflow between two states (its task failed or timed
                # out, or the run was closing) and was not admitted: asked again, it meets
                # the workflow as it is now, or learns that it has ended.
                log.info("update met the workflow not ready; asked again", update=name)
                await asyncio.sleep(0.1 * (attempt + 1))
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        log.warning("update not answered in time", update=name)
        raise Problem(
            503,
            "Not answered in time",
            "the order did not answer in time; the request may still take effect. Send the "
            "same request again to learn its outcome: it is carried out at most once",
            headers={"Retry-After": "5"},
        ) from err
    except WorkflowUpdateFailedError as err:
        if problem := _refusal(err.cause, name, refused_status):
            raise problem from err
        raise
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None  # the order's workflow has ended
        log.warning("update not delivered", update=name, error=err.message)
        raise Problem(
            503,
            "Try again shortly",
            "the order service is unreachable right now; nothing was changed",
            headers={"Retry-After": "5"},
        ) from err


# Tries of an update the server could not admit because the workflow was not ready for it.
NOT_READY_TRIES = 4


def not_ready(err: RPCError) -> bool:
    """The server's answer that the workflow could not take the update at that moment
    (`WorkflowNotReadyFailure`): nothing was admitted, and the same update may be sent again."""
    return err.status == RPCStatusCode.FAILED_PRECONDITION and any(
        detail.type_url.endswith("WorkflowNotReadyFailure") for detail in err.grpc_status.details
    )


def _refusal(cause: BaseException | None, name: str, refused_status: int) -> Problem | None:
    """The answer to an update that failed on a refusal: the policy's (its clause and field)
    or the payment provider's for good; None for any other failure."""
    if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
        clause = str(cause.details[0]) if cause.details and cause.details[0] else None
        field = str(cause.details[1]) if len(cause.details) > 1 and cause.details[1] else None
        return Problem(
            refused_status,
            "Refused by the merchant's policy",
            cause.message,
            clause=clause,
            field=field,
        )
    if refused := _provider_refusal(cause):
        log.warning("refused by the payment provider", update=name, reason=refused)
        return Problem(
            502,
            "Refused by the payment provider",
            f"the payment provider refused this: {refused}. Nothing was taken or given"
            " back; the order goes on as it was",
            kind="provider-refused",
        )
    return None


def _provider_refusal(cause: BaseException | None) -> str | None:
    """The provider's reason, when an update failed because the provider refused its money
    movement for good."""
    if isinstance(cause, ActivityError):
        cause = cause.cause
    if isinstance(cause, ApplicationError) and cause.type == ErrorType.PAYMENT_REJECTED.value:
        return cause.message
    return None


def no_longer(row: dict[str, Any], clauses: tuple[str, ...], what: str) -> Problem:
    """The 409 for an order whose workflow has ended: it names the rule that no longer
    allows the action."""
    return Problem(
        409,
        "Refused by the merchant's policy",
        f"the order is {row['status']}: it can no longer be {what}",
        clause=clauses[0] if clauses else None,
    )


async def act_on_claim(
    request: Request,
    row: dict[str, Any],
    name: str,
    arg: Any,
    key: str | None,
    result_type: type = ClaimSnapshot,
) -> Any:
    """Run one of the claim workflow's updates; a refusal is a 409 with the clause."""
    done = await run_update(
        request,
        row["order_id"] or row["subscription_id"],
        name,
        arg,
        result_type,
        id=f"{name}:{key}" if key else None,
        workflow_id=claim_workflow_id(row["claim_id"]),
    )
    if done is None:
        raise Problem(409, "Claim closed", f"the claim is {row['status']}: it has ended")
    return done


async def act_on_return(
    request: Request, row: dict[str, Any], name: str, arg: Any, key: str | None
) -> dict[str, Any]:
    snap = await run_update(
        request,
        row["order_id"],
        name,
        arg,
        ReturnSnapshot,
        id=f"{name}:{key}" if key else None,
        workflow_id=return_workflow_id(row["rma_id"]),
    )
    if snap is None:
        raise Problem(409, "Return closed", f"the return is {row['status']}: it has ended")
    fresh = await returns.get_return(deps.pool(request), row["rma_id"])
    assert fresh is not None
    fresh["status"] = snap.status.value
    fresh["snapshot"] = snap.model_dump(mode="json")
    return return_json(fresh, await returns.events(deps.pool(request), [row["rma_id"]]))
