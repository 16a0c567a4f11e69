"""How the API's routes read requests and write answers: a JSON body up to the API's limit and
plain (`starter.plainjson`), and every answer checked against its response model."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from starter import plainjson
from starter.api import deps
from starter.problems import Problem, read_limited

# What a JSON body may weigh when the settings do not say (`ORDERFLOW_API_MAX_BODY_BYTES`).
MAX_BODY_BYTES = 1024 * 1024


class PlainJsonRequest(Request):
    """A request whose body is read up to the API's limit (413 past it) and whose JSON is
    plain (`starter.plainjson`): a 422 naming where it is not, before any model sees it."""

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            limit = deps.body_limit(self, MAX_BODY_BYTES)
            self._body = await read_limited(self, limit, "request bodies")
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = plainjson.loads(await self.body())
            except plainjson.NotPlainJson as err:
                raise Problem(422, "Invalid request", err.reason, field=err.where) from err
        return self._json


class AnswerRoute(APIRoute):
    """A route whose body is plain JSON and whose answer keeps the fields it set: an optional
    field it left out stays out, rather than showing as null."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().__init__(*args, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def plain_json_handler(request: Request) -> Response:
            return await handler(PlainJsonRequest(request.scope, request.receive))

        return plain_json_handler
