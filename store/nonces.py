"""One-time nonces: each is used once."""

from __future__ import annotations

import asyncpg


async def use(pool: asyncpg.Pool, nonce: str) -> bool:
    """Use `nonce`; False when it was used before."""
    used = await pool.fetchval(
        "INSERT INTO used_nonces (nonce) VALUES ($1) ON CONFLICT DO NOTHING RETURNING nonce",
        nonce,
    )
    return used is not None
