"""Operators' credentials: one per operator, kept as a SHA-256 of the secret, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

PREFIX = "oper_"


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def create(pool: asyncpg.Pool, name: str, created_by: str) -> str:
    """A new credential for `name` (replacing a revoked one); shown once, never stored."""
    key_id = secrets.token_hex(6)
    secret = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    row = await pool.fetchrow(
        """
        INSERT INTO operators (name, key_prefix, key_hash, created_by) VALUES ($1, $2, $3, $4)
        ON CONFLICT (name) DO UPDATE SET key_prefix = $2, key_hash = $3, created_by = $4,
            created_at = now(), last_used_at = NULL, revoked_at = NULL
            WHERE operators.revoked_at IS NOT NULL
        RETURNING name
        """,
        name,
        key_id,
        _digest(secret),
        created_by,
    )
    if row is None:
        raise OperatorExists(name)
    return secret


class OperatorExists(Exception):
    """The operator already has a live credential: revoke it first."""


async def revoke(pool: asyncpg.Pool, name: str) -> bool:
    result = await pool.execute(
        "UPDATE operators SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", name
    )
    return result.endswith(" 1")


async def all_operators(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT name, key_prefix, created_at, created_by, last_used_at, revoked_at"
        " FROM operators ORDER BY name"
    )
    return [dict(r) for r in rows]


async def who(pool: asyncpg.Pool, credential: str) -> str | None:
    """The operator a live credential belongs to, or None. Marks when it was last used (at
    most once a minute, so reading costs no write per request)."""
    if not credential.startswith(PREFIX):
        return None
    key_id, _, rest = credential[len(PREFIX) :].partition("_")
    if not rest:
        return None
    row = await pool.fetchrow(
        "SELECT name, key_hash, last_used_at FROM operators"
        " WHERE key_prefix = $1 AND revoked_at IS NULL",
        key_id,
    )
    if row is None or not secrets.compare_digest(bytes(row["key_hash"]), _digest(credential)):
        return None
    last = row["last_used_at"]
    if last is None or datetime.now(UTC) - last > timedelta(minutes=1):
        await pool.execute("UPDATE operators SET last_used_at = now() WHERE name = $1", row["name"])
    return str(row["name"])
