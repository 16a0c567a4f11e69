"""Operators' endpoints for events out: the merchant's event endpoints (their URL, the types
they want, a signing secret each, rotated with the old one valid a while, paused or active),
their dead letters, and the replay of what was parked (one event, a time range, or all)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from domain.events import CATALOGUE
from starter.api import deps
from starter.api.deps import PoolDep, SealerDep
from starter.auth import operator_router
from starter.problems import Problem
from starter.schemas.operators import (
    EventEndpoint,
    EventEndpoints,
    ParkedEvents,
    Replayed,
    RotatedSecret,
)
from store import endpoints, outbox

router = operator_router(404, 422)


def _known(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - set(CATALOGUE))
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)} (see the OpenAPI webhooks)")
    return types


class EndpointAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl
    event_types: list[str] = Field(min_length=1, max_length=len(CATALOGUE))
    personal_data: bool = Field(
        False, description="whether events carry the customer's e-mail and address"
    )

    _types = field_validator("event_types")(_known)


class EndpointChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl | None = None
    event_types: list[str] | None = Field(None, min_length=1, max_length=len(CATALOGUE))
    status: Literal["active", "paused"] | None = None
    personal_data: bool | None = None

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _known(value)


class ReplayAsk(BaseModel):
    """What to send again: one event, the events of a time range, or (neither) all parked."""

    model_config = ConfigDict(extra="forbid")

    event_id: str | None = Field(None, max_length=100)
    since: datetime | None = None
    until: datetime | None = None


def _production_url(request: Request, url: str) -> None:
    if deps.settings(request).environment == "production" and not url.startswith("https://"):
        raise Problem(422, "Not HTTPS", "events go to HTTPS endpoints only", field="url")


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "links": {
            "self": f"/v1/ops/event-endpoints/{row['endpoint_id']}",
            "parked": f"/v1/ops/event-endpoints/{row['endpoint_id']}/parked",
        },
    }


async def _endpoint(pool: Any, endpoint_id: str) -> dict[str, Any]:
    row = await endpoints.get(pool, endpoint_id)
    if row is None:
        raise Problem(404, "Endpoint not found", f"no event endpoint {endpoint_id}")
    return row


@router.post("/event-endpoints", status_code=201, response_model=EventEndpoint)
async def create_endpoint(
    body: EndpointAsk, request: Request, pool: PoolDep, sealer: SealerDep
) -> JSONResponse:
    """An endpoint for events out; the answer shows its signing secret, once."""
    _production_url(request, str(body.url))
    row, secret = await endpoints.create(
        pool,
        sealer,
        url=str(body.url),
        event_types=body.event_types,
        personal_data=body.personal_data,
        retry_for=timedelta(seconds=deps.settings(request).events_retry_for_seconds),
    )
    shown = _shown(row)
    return JSONResponse(
        {**_jsonable(shown), "secret": secret},
        status_code=201,
        headers={"Location": shown["links"]["self"]},
    )


@router.get("/event-endpoints", response_model=EventEndpoints)
async def list_endpoints(pool: PoolDep) -> dict[str, Any]:
    return {"items": [_shown(r) for r in await endpoints.listed(pool)]}


@router.get("/event-endpoints/{endpoint_id}", response_model=EventEndpoint)
async def get_endpoint(endpoint_id: str, pool: PoolDep) -> dict[str, Any]:
    return _shown(await _endpoint(pool, endpoint_id))


@router.patch("/event-endpoints/{endpoint_id}", response_model=EventEndpoint)
async def change_endpoint(
    endpoint_id: str, body: EndpointChange, request: Request, pool: PoolDep
) -> dict[str, Any]:
    """Pause or resume it, change its URL, its types, or whether it may get personal data."""
    if body.url is not None:
        _production_url(request, str(body.url))
    row = await endpoints.change(
        pool,
        endpoint_id,
        url=str(body.url) if body.url else None,
        event_types=body.event_types,
        status=body.status,
        personal_data=body.personal_data,
    )
    if row is None:
        raise Problem(404, "Endpoint not found", f"no event endpoint {endpoint_id}")
    return _shown(row)


@router.post("/event-endpoints/{endpoint_id}/rotate-secret", response_model=RotatedSecret)
async def rotate_secret(
    endpoint_id: str, request: Request, pool: PoolDep, sealer: SealerDep
) -> dict[str, Any]:
    """A new signing secret; the one before signs beside it for the overlap the settings give
    (`ORDERFLOW_EVENTS_SECRET_OVERLAP_SECONDS`)."""
    overlap = timedelta(seconds=deps.settings(request).events_secret_overlap_seconds)
    until = datetime.now(UTC) + overlap
    secret = await endpoints.rotate(pool, sealer, endpoint_id, until)
    if secret is None:
        raise Problem(404, "Endpoint not found", f"no event endpoint {endpoint_id}")
    return {"endpoint_id": endpoint_id, "secret": secret, "previous_valid_until": until}


@router.get("/event-endpoints/{endpoint_id}/parked", response_model=ParkedEvents)
async def parked_events(endpoint_id: str, pool: PoolDep) -> dict[str, Any]:
    """The endpoint's dead letters: events parked after their retry budget, and those behind
    them, oldest first."""
    await _endpoint(pool, endpoint_id)
    return {"items": await outbox.parked(pool, endpoint_id)}


@router.post("/event-endpoints/{endpoint_id}/replay", status_code=202, response_model=Replayed)
async def replay_events(endpoint_id: str, body: ReplayAsk, pool: PoolDep) -> dict[str, Any]:
    """Send parked events again, in order, each with a fresh retry budget."""
    await _endpoint(pool, endpoint_id)
    count = await outbox.replay(
        pool, endpoint_id, event_id=body.event_id, since=body.since, until=body.until
    )
    return {"endpoint_id": endpoint_id, "replayed": count}


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
