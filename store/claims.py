"""Claims and questions: the request as filed (with the customer's words and files), the
operator's answer, the read model its workflow keeps current, and its timeline."""

from __future__ import annotations

from typing import Any

import asyncpg

from store import timeline


async def insert_claim(
    pool: asyncpg.Pool,
    *,
    claim_id: str,
    order_id: str | None,
    subscription_id: str | None,
    kind: str,
    description: str,
    evidence: list[dict[str, Any]],
    request_hash: str,
) -> dict[str, Any]:
    """Store a claim once under its ID; filed again, the row already stored."""
    row = await pool.fetchrow(
        """
        INSERT INTO claims (claim_id, order_id, subscription_id, kind, description, evidence,
                            request_hash)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (claim_id) DO NOTHING
        RETURNING *
        """,
        claim_id,
        order_id,
        subscription_id,
        kind,
        description,
        evidence,
        request_hash,
    )
    if row is None:
        row = await pool.fetchrow("SELECT * FROM claims WHERE claim_id = $1", claim_id)
    return dict(row)


async def exists(pool: asyncpg.Pool, claim_id: str) -> bool:
    return bool(await pool.fetchval("SELECT 1 FROM claims WHERE claim_id = $1", claim_id))


async def open_count(pool: asyncpg.Pool, *, owner: str, owner_id: str, final: list[str]) -> int:
    """How many claims and questions of this order or subscription are still open."""
    column = "order_id" if owner == "order" else "subscription_id"
    return int(
        await pool.fetchval(
            f"SELECT count(*) FROM claims WHERE {column} = $1 AND status <> ALL($2::text[])",
            owner_id,
            final,
        )
    )


async def forget_refused(pool: asyncpg.Pool, claim_id: str) -> None:
    """A claim the policy refused leaves nothing behind."""
    await timeline.forget_refused(pool, CLAIMS, claim_id)


async def accepted(
    pool: asyncpg.Pool, claim_id: str, status: str, snapshot: dict[str, Any]
) -> None:
    """The claim was taken: readable at once, as its workflow starts."""
    await timeline.accepted(pool, CLAIMS, claim_id, status, snapshot)


async def get_claim(pool: asyncpg.Pool, claim_id: str) -> dict[str, Any] | None:
    return await timeline.get(pool, CLAIMS, claim_id)


async def set_answer(pool: asyncpg.Pool, claim_id: str, answer: str) -> str:
    """Keep an operator's answer to a question; the first answer stays."""
    return str(
        await pool.fetchval(
            "UPDATE claims SET answer = COALESCE(answer, $2), updated_at = now()"
            " WHERE claim_id = $1 RETURNING answer",
            claim_id,
            answer,
        )
    )


async def events(db: asyncpg.Pool, claim_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT claim_id, seq, at, kind, status, summary, clauses, details FROM claim_events"
        " WHERE claim_id = $1 ORDER BY seq",
        claim_id,
    )
    return [dict(r) for r in rows]


CLAIMS = timeline.ReadModel("claims", "claim_events", "claim_id", context="claim")


async def record_event(pool: asyncpg.Pool, *, claim_id: str, **entry: Any) -> None:
    """Append one timeline entry and move the claim's read model with it."""
    await timeline.record(pool, CLAIMS, claim_id, **entry)
