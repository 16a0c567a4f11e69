"""Every endpoint and dependency of the API is a coroutine: FastAPI runs a plain function in
a worker thread, a hop there and back per dependency per request (it cost the webhook door
more than its database insert, docs/performance.md)."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from starter.api.deps import SettingsDep
from starter.api.routers import ROUTERS
from starter.codec import server as codec
from starter.page import routes as page


def _runs_in_a_thread(call: Any) -> bool:
    target = call if inspect.isfunction(call) or inspect.ismethod(call) else call.__call__
    return not (inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target))


def _threaded(dependant: Any, route: str) -> list[str]:
    found = []
    for sub in dependant.dependencies:
        if _runs_in_a_thread(sub.call):
            found.append(f"{route}: {getattr(sub.call, '__qualname__', type(sub.call).__name__)}")
        found += _threaded(sub, route)
    return found


def _routes() -> list[APIRoute]:
    return [
        route
        for router in (*ROUTERS, page.router, codec.router)
        for route in router.routes
        if isinstance(route, APIRoute)
    ]


def test_no_endpoint_or_dependency_runs_in_a_worker_thread() -> None:
    routes = _routes()
    assert len(routes) > 40
    threaded = [r.path for r in routes if _runs_in_a_thread(r.endpoint)]
    for route in routes:
        threaded += _threaded(route.dependant, route.path)
    assert threaded == []


def test_the_check_finds_a_plain_function_dependency() -> None:
    def plain() -> int:
        return 1

    app = FastAPI()

    @app.get("/x")
    async def endpoint(settings: SettingsDep, one: int = Depends(plain)) -> dict[str, int]:
        return {"one": one}

    route = next(r for r in app.routes if isinstance(r, APIRoute))
    assert _threaded(route.dependant, "/x") == [
        "/x: test_the_check_finds_a_plain_function_dependency.<locals>.plain"
    ]
