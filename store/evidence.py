"""What is known of the files customers give: the bytes are in the evidence store."""

from __future__ import annotations

from typing import Any

import asyncpg


async def insert(
    pool: asyncpg.Pool,
    *,
    evidence_id: str,
    order_id: str | None,
    content_type: str,
    size_bytes: int,
    sha256: str,
    storage_key: str,
    subscription_id: str | None = None,
) -> dict[str, Any]:
    row = await pool.fetchrow(
        """
        INSERT INTO evidence (evidence_id, order_id, content_type, size_bytes, sha256,
                              storage_key, subscription_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (evidence_id) DO UPDATE SET evidence_id = EXCLUDED.evidence_id
        RETURNING evidence_id, order_id, subscription_id, content_type, size_bytes, sha256,
                  created_at
        """,
        evidence_id,
        order_id,
        content_type,
        size_bytes,
        sha256,
        storage_key,
        subscription_id,
    )
    return dict(row)


async def of_order(pool: asyncpg.Pool, order_id: str, ids: list[str]) -> set[str]:
    """Which of `ids` are files of this order."""
    return await of_owner(pool, "order", order_id, ids)


async def of_owner(pool: asyncpg.Pool, owner: str, owner_id: str, ids: list[str]) -> set[str]:
    """Which of `ids` are files of this order or subscription."""
    column = "order_id" if owner == "order" else "subscription_id"
    rows = await pool.fetch(
        f"SELECT evidence_id FROM evidence WHERE {column} = $1 AND evidence_id = ANY($2::text[])",
        owner_id,
        ids,
    )
    return {r["evidence_id"] for r in rows}


async def held(pool: asyncpg.Pool, owner: str, owner_id: str) -> tuple[int, int]:
    """How many files, and how many bytes, this order or subscription holds."""
    column = "order_id" if owner == "order" else "subscription_id"
    row = await pool.fetchrow(
        f"SELECT count(*) AS files, coalesce(sum(size_bytes), 0) AS bytes FROM evidence"
        f" WHERE {column} = $1",
        owner_id,
    )
    return int(row["files"]), int(row["bytes"])


async def get(
    pool: asyncpg.Pool, owner: str, owner_id: str, evidence_id: str
) -> dict[str, Any] | None:
    """What is known of one file of this order or subscription (never its bytes)."""
    column = "order_id" if owner == "order" else "subscription_id"
    row = await pool.fetchrow(
        "SELECT evidence_id, order_id, subscription_id, content_type, size_bytes, sha256,"
        f" created_at FROM evidence WHERE {column} = $1 AND evidence_id = $2",
        owner_id,
        evidence_id,
    )
    return dict(row) if row is not None else None


async def exists(pool: asyncpg.Pool, evidence_id: str) -> bool:
    return bool(await pool.fetchval("SELECT 1 FROM evidence WHERE evidence_id = $1", evidence_id))
