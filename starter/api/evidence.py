"""Evidence: the photos, videos, receipts and screenshots behind a return or a claim. Each is
checked by its content, kept in the evidence store (never in Temporal) and recorded for its
order or subscription; the same file sent twice is the same evidence."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request, Response

from adapters.storage import ALLOWED_TYPES, sniff
from starter.api import deps
from starter.api.access import visible_order, visible_subscription
from starter.api.routing import AnswerRoute
from starter.auth import CUSTOMER_OR_OPERATOR
from starter.openapi import problems
from starter.problems import Problem, limit_reached, read_limited
from starter.schemas.returns import Evidence
from store import evidence

router = APIRouter(route_class=AnswerRoute, dependencies=CUSTOMER_OR_OPERATOR, tags=["returns"])


@router.post(
    "/v1/orders/{order_id}/evidence",
    status_code=201,
    response_model=Evidence,
    responses=problems(413, 415),
)
async def upload_evidence(order_id: str, request: Request, response: Response) -> dict[str, Any]:
    """A photo, video or receipt for a return or claim, sent as the raw body with its
    Content-Type. Kept in the evidence store, never in Temporal; the same file sent twice is
    the same evidence."""
    await visible_order(request, order_id)
    kept = await keep_evidence(request, order_id=order_id)
    return located(response, kept, f"/v1/orders/{order_id}/evidence")


@router.get("/v1/orders/{order_id}/evidence/{evidence_id}", response_model=Evidence)
async def get_evidence(order_id: str, evidence_id: str, request: Request) -> dict[str, Any]:
    """What is known of one of the order's files: its type, size and digest."""
    await visible_order(request, order_id)
    return await known_evidence(request, "order", order_id, evidence_id)


@router.get("/v1/subscriptions/{subscription_id}/evidence/{evidence_id}", response_model=Evidence)
async def get_subscription_evidence(
    subscription_id: str, evidence_id: str, request: Request
) -> dict[str, Any]:
    """What is known of one of the subscription's files: its type, size and digest."""
    await visible_subscription(request, subscription_id)
    return await known_evidence(request, "subscription", subscription_id, evidence_id)


def located(response: Response, row: dict[str, Any], folder: str) -> dict[str, Any]:
    """The 201 of a file kept: where it is read back from."""
    path = f"{folder}/{row['evidence_id']}"
    response.headers["Location"] = path
    return {**row, "links": {"self": path}}


async def known_evidence(
    request: Request, owner: str, owner_id: str, evidence_id: str
) -> dict[str, Any]:
    row = await evidence.get(deps.pool(request), owner, owner_id, evidence_id)
    if row is None:
        raise Problem(
            404, "Evidence not found", "no file with this ID is visible with the credentials given"
        )
    return {**row, "links": {"self": f"/v1/{owner}s/{owner_id}/evidence/{evidence_id}"}}


async def within_caps(
    request: Request, order_id: str | None, subscription_id: str | None, size: int
) -> None:
    """An order or subscription holds at most so many files and bytes (the merchant's
    settings): one more past them is a 409, and nothing is stored."""
    settings = deps.settings(request)
    owner, owner_id = ("order", order_id) if order_id else ("subscription", subscription_id)
    assert owner_id is not None
    files, held = await evidence.held(deps.pool(request), owner, owner_id)
    if files + 1 > settings.evidence_max_files_per_order:
        raise limit_reached(
            f"evidence files per {owner}",
            settings.evidence_max_files_per_order,
            "evidence_max_files_per_order",
            "body",
        )
    if held + size > settings.evidence_max_bytes_per_order:
        raise limit_reached(
            f"bytes of evidence per {owner}",
            settings.evidence_max_bytes_per_order,
            "evidence_max_bytes_per_order",
            "body",
        )


async def keep_evidence(
    request: Request, *, order_id: str | None = None, subscription_id: str | None = None
) -> dict[str, Any]:
    """Check a file's type by its content, keep it in the evidence store, and record it for
    its order or subscription."""
    owner = order_id or subscription_id
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared not in ALLOWED_TYPES:
        raise Problem(
            415,
            "Unsupported file type",
            "evidence must be one of: " + ", ".join(sorted(ALLOWED_TYPES)),
            field="Content-Type",
        )
    data = await read_limited(
        request, deps.settings(request).evidence_max_bytes, "evidence files", field="body"
    )
    if not data:
        raise Problem(422, "Empty file", "the request carries no file", field="body")
    found = sniff(data)
    if found != declared:
        raise Problem(
            415,
            "Unsupported file type",
            f"the file's content is not {declared}",
            field="Content-Type",
        )
    digest = hashlib.sha256(data).hexdigest()
    evidence_id = "ev_" + hashlib.sha256(f"{owner}:{digest}".encode()).hexdigest()[:24]
    if not await evidence.exists(
        deps.pool(request), evidence_id
    ):  # the same file again is not counted
        await within_caps(request, order_id, subscription_id, len(data))
    key = f"{owner}/{evidence_id}"
    await deps.evidence(request).put(key, data, declared)
    row = await evidence.insert(
        deps.pool(request),
        evidence_id=evidence_id,
        order_id=order_id,
        subscription_id=subscription_id,
        content_type=declared,
        size_bytes=len(data),
        sha256=digest,
        storage_key=key,
    )
    return row
