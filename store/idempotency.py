"""Client Idempotency-Keys: the request each was first sent with."""

from __future__ import annotations

import asyncpg


async def first_sent(pool: asyncpg.Pool, scope: str, key: str, request_hash: str) -> str:
    """The request hash the key was first sent with in `scope` (this one, when it is new)."""
    kept: str = await pool.fetchval(
        "INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)"
        " ON CONFLICT (scope, key) DO UPDATE SET scope = EXCLUDED.scope"
        " RETURNING request_hash",
        scope,
        key,
        request_hash,
    )
    return kept
