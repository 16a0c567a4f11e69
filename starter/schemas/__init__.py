"""What the API answers: one model per response, so the OpenAPI document says what each
endpoint returns and every answer is checked against it before it leaves."""

from typing import Any

from fastapi.routing import APIRoute


class AnswerRoute(APIRoute):
    """A route whose answer keeps the fields it set: an optional field it left out stays
    out, rather than showing as null."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().__init__(*args, **kwargs)
