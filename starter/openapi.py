"""The OpenAPI document as callers read it: every refusal as `application/problem+json`
with the kinds it can be, 401 wherever a credential is needed, 404 wherever a path names
something, 400 wherever a body is read, and the webhook bodies the providers send."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from domain.events import CATALOGUE, Event
from starter.problems import KINDS, PROBLEM_JSON, ProblemDetails

REF = "#/components/schemas/{model}"
PROBLEM_REF = {"$ref": REF.format(model="ProblemDetails")}
FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")

TAGS = [
    {"name": "orders", "description": "Placing an order and everything its customer may ask."},
    {"name": "returns", "description": "Returns: the request, the parcel back, the refund."},
    {"name": "claims", "description": "Warranty and other claims, and their messages."},
    {"name": "digital cards", "description": "Gift cards delivered by e-mail."},
    {"name": "subscriptions", "description": "Recurring boxes and their cancellation."},
    {"name": "payments", "description": "Operators' acts on a payment under review."},
    {"name": "operators", "description": "The operators' work: tasks, reviews, refunds, stock."},
    {"name": "webhooks", "description": "Where payment, carrier and card providers report."},
    {
        "name": "events out",
        "description": "What orderflow tells the merchant's systems (`docs/events.md`).",
    },
    {"name": "health", "description": "Liveness, readiness and Prometheus metrics."},
]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for routes that can answer these problems (described by `document`)."""
    return {status: {"description": ""} for status in statuses}


def describe(status: int) -> str:
    """Every problem kind a status can carry, each with its `type` path."""
    kinds = [
        f"`/problems/{kind}`: {title}"
        for kind, (title, kind_status, _) in KINDS.items()
        if kind_status == status or (status == 422 and kind == "policy-refusal")
    ]
    return "Problem details. " + "; ".join(kinds) if kinds else "Problem details."


def _component(schemas: dict[str, Any], model: type[BaseModel]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template=REF)
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _is_problem(response: dict[str, Any]) -> bool:
    content = response.get("content")
    if not content:
        return True
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] in FASTAPI_VALIDATION


def events_out(schemas: dict[str, Any]) -> dict[str, Any]:
    """The `webhooks` section: every event type orderflow sends the merchant's endpoints."""
    event = _component(schemas, Event)
    return {
        name: {
            "post": {
                "summary": name,
                "description": f"{told}. Signed with the Standard Webhooks scheme "
                "(`webhook-id`, `webhook-timestamp`, `webhook-signature`) under the endpoint's "
                "secret; at least once, in order per order. Answer 2xx to take it; anything "
                "else is tried again, and past the retry budget parked for an operator's replay.",
                "operationId": f"event_{name.replace('.', '_')}",
                "tags": ["events out"],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": event}},
                },
                "responses": {"2XX": {"description": "the event was taken"}},
            }
        }
        for name, told in CATALOGUE.items()
    }


def document(app: FastAPI, extra_models: tuple[type[BaseModel], ...] = ()) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
    )
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_VALIDATION:
        schemas.pop(name, None)
    _component(schemas, ProblemDetails)
    for model in extra_models:
        _component(schemas, model)
    schema["webhooks"] = events_out(schemas)
    for path, item in schema["paths"].items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                responses.setdefault("401", {})
            if "{" in path:
                responses.setdefault("404", {})
            if "requestBody" in operation:
                responses.setdefault("400", {})
            if not path.startswith(("/healthz", "/readyz")):
                responses.setdefault("429", {})
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400 and _is_problem(response):
                    response["description"] = describe(int(code))
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
                if code == "429":
                    response["headers"] = {
                        "Retry-After": {
                            "description": "seconds until the request may be sent again",
                            "schema": {"type": "integer"},
                        }
                    }
            operation["responses"] = dict(sorted(responses.items()))
    app.openapi_schema = schema
    return schema


def install(app: FastAPI, extra_models: tuple[type[BaseModel], ...] = ()) -> None:
    app.openapi = lambda: document(app, extra_models)  # type: ignore[method-assign]
