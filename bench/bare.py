"""The webhook intake's baseline: the same framework and server, an endpoint that does
nothing. `python -m bench.bare <port>`."""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/v1/webhooks/{kind}/{provider}")
async def receive(kind: str, provider: str, request: Request) -> dict[str, Any]:
    await request.body()
    return {"received": True, "duplicate": False}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None, access_log=False)
