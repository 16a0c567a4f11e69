"""The one way adapters call a provider over HTTP: bearer key, idempotency key, error mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from adapters.errors import ProviderRejected, ProviderUnavailable


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """A `Retry-After` header in seconds: given as seconds, or as an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def checked(response: httpx.Response, where: str, why: str | None = None) -> httpx.Response:
    """A provider's answer in the adapters' terms: 5xx and 429 (with its `Retry-After`) are
    `ProviderUnavailable`, other 4xx `ProviderRejected` with `why` (the provider's code)."""
    status = response.status_code
    if status >= 500 or status == 429:
        wait = retry_after(response.headers.get("retry-after"))
        raise ProviderUnavailable(
            f"{where}: HTTP {status}" + (f", retry after {wait:g} s" if wait else ""), wait
        )
    if status >= 400:
        raise ProviderRejected(f"{where}: HTTP {status}: {why or response.text[:300]}")
    return response


async def sent(
    http: httpx.AsyncClient, method: str, path: str, where: str, **request: Any
) -> httpx.Response:
    """A request's answer, whatever its status; no answer at all (a timeout, a refused or
    broken connection) is `ProviderUnavailable`: the provider may have acted."""
    try:
        return await http.request(method, path, **request)
    except httpx.HTTPError as err:
        raise ProviderUnavailable(f"{where}: {type(err).__name__}: {err}") from err


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
        where = f"{method} {path}"
        response = await sent(self._http, method, path, where, json=json, headers=headers)
        body: dict[str, Any] = checked(response, where).json()
        return body

    async def aclose(self) -> None:
        await self._http.aclose()
