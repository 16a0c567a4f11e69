"""The HTTP side of the CLI: where the API is, whose credential, and problems as messages."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import Any

import httpx
import typer
from rich.console import Console

from runtime.settings import LOCAL_ENV, Settings, read_env_file

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def cli_settings() -> Settings:
    """The settings as the command line reads them: the API's address, the database for
    operators' credentials, and `make run`'s development keys. It serves nothing, so with no
    ORDERFLOW_ENVIRONMENT it reads them as development; the API refuses what it must."""
    return Settings(environment=os.environ.get("ORDERFLOW_ENVIRONMENT") or "development")


def configured(variable: str, setting: str) -> str:
    """A key from the environment, else from `make run`'s local keys, else the settings."""
    found = os.environ.get(variable) or read_env_file(LOCAL_ENV).get(f"ORDERFLOW_{setting.upper()}")
    if found:
        return found
    value = getattr(cli_settings(), setting)
    return str(value.get_secret_value())


@dataclass
class Api:
    url: str
    credential: str
    as_json: bool

    def client(self, credential: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            timeout=30,
            headers={"Authorization": f"Bearer {credential or self.credential}"},
        )

    def call(self, method: str, path: str, *, credential: str | None = None, **kwargs: Any) -> Any:
        """The answer's JSON; a problem is printed with its field and clause, and exits 1."""
        try:
            with self.client(credential) as client:
                response = client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            err.print(f"[red]cannot reach the API at {self.url}[/]: {error}")
            raise typer.Exit(2) from error
        if response.status_code >= 400:
            problem(response)
            raise typer.Exit(1)
        return response.json() if response.content else {}

    def show(self, data: Any) -> bool:
        """With `--json`, print the answer as it came and say so."""
        if self.as_json:
            sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        return self.as_json


def problem(response: httpx.Response) -> None:
    try:
        body = response.json()
    except ValueError:
        body = {"title": response.reason_phrase, "detail": response.text[:200]}
    where = "".join(
        f" [dim]{name}:[/] {body[name]}" for name in ("field", "clause") if body.get(name)
    )
    err.print(
        f"[red]{response.status_code} {body.get('title', '')}[/]: {body.get('detail', '')}{where}"
    )


def api_of(ctx: typer.Context) -> Api:
    api: Api = ctx.obj
    return api
