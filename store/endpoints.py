"""The merchant's event endpoints: where events go, which types, the signing secret (sealed;
the one before a rotation stays valid for a while), and whether personal data may go there."""

from __future__ import annotations

import base64
import secrets as random
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from store.sealing import Sealer

SHOWN = (
    "endpoint_id, url, event_types, personal_data, status, previous_until, created_at, updated_at,"
    " EXTRACT(EPOCH FROM retry_for)::integer AS retry_for_seconds"
)


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(random.token_bytes(32)).decode()


def _context(endpoint_id: str) -> str:
    return f"event-endpoint:{endpoint_id}"


async def create(
    pool: asyncpg.Pool,
    sealer: Sealer,
    *,
    url: str,
    event_types: list[str],
    personal_data: bool,
    retry_for: timedelta,
) -> tuple[dict[str, Any], str]:
    """A new active endpoint and its signing secret (shown once)."""
    endpoint_id = "ep_" + random.token_hex(8)
    secret = new_secret()
    key_id, sealed = sealer.seal(secret, _context(endpoint_id))
    row = await pool.fetchrow(
        f"INSERT INTO event_endpoints (endpoint_id, url, event_types, secret_key_id, secret,"
        f" personal_data, retry_for) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {SHOWN}",
        endpoint_id,
        url,
        event_types,
        key_id,
        sealed,
        personal_data,
        retry_for,
    )
    return dict(row), secret


async def get(pool: asyncpg.Pool, endpoint_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        f"SELECT {SHOWN} FROM event_endpoints WHERE endpoint_id = $1", endpoint_id
    )
    return dict(row) if row is not None else None


async def listed(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch(f"SELECT {SHOWN} FROM event_endpoints ORDER BY created_at")
    return [dict(r) for r in rows]


async def change(
    pool: asyncpg.Pool,
    endpoint_id: str,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    status: str | None = None,
    personal_data: bool | None = None,
) -> dict[str, Any] | None:
    """Change what is given; a new list of types applies to events from now on."""
    row = await pool.fetchrow(
        f"""
        UPDATE event_endpoints SET url = COALESCE($2, url),
            event_types = COALESCE($3, event_types), status = COALESCE($4, status),
            personal_data = COALESCE($5, personal_data), updated_at = now()
        WHERE endpoint_id = $1 RETURNING {SHOWN}
        """,
        endpoint_id,
        url,
        event_types,
        status,
        personal_data,
    )
    return dict(row) if row is not None else None


async def rotate(
    pool: asyncpg.Pool, sealer: Sealer, endpoint_id: str, previous_until: datetime
) -> str | None:
    """A new signing secret; the one before signs beside it until `previous_until`."""
    secret = new_secret()
    key_id, sealed = sealer.seal(secret, _context(endpoint_id))
    done = await pool.fetchval(
        """
        UPDATE event_endpoints SET previous_key_id = secret_key_id, previous_secret = secret,
            previous_until = $4, secret_key_id = $2, secret = $3, updated_at = now()
        WHERE endpoint_id = $1 RETURNING endpoint_id
        """,
        endpoint_id,
        key_id,
        sealed,
        previous_until,
    )
    return secret if done is not None else None


def signing_secrets(sealer: Sealer, row: dict[str, Any], now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the one before a
    rotation while it is still valid."""
    endpoint_id = row["endpoint_id"]
    found = [sealer.open(row["secret_key_id"], bytes(row["secret"]), _context(endpoint_id))]
    until = row.get("previous_until")
    if row.get("previous_secret") is not None and until is not None and until > now:
        found.append(
            sealer.open(
                row["previous_key_id"], bytes(row["previous_secret"]), _context(endpoint_id)
            )
        )
    return found
