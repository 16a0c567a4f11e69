"""The one way adapters call a provider over HTTP: bearer key, idempotency key, error mapping."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.errors import ProviderRejected, ProviderUnavailable


class ProviderClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10.0) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            response = await self._http.request(method, path, json=json, headers=headers)
        except httpx.HTTPError as err:
            raise ProviderUnavailable(f"{method} {path}: {type(err).__name__}: {err}") from err
        if response.status_code >= 500 or response.status_code == 429:
            raise ProviderUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ProviderRejected(
                f"{method} {path}: HTTP {response.status_code}: {response.text[:300]}"
            )
        body: dict[str, Any] = response.json()
        return body

    async def aclose(self) -> None:
        await self._http.aclose()
