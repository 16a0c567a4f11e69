"""Payment tokens kept out of Temporal: the API seals each token a customer gives and hands the
workflow a reference; the payment activity opens it, for the owner it was given for only.

A token given before references existed travels as itself and is used as itself, so orders
already running carry on. "paypal" names a method, not a secret, and stays as it is.
"""

from __future__ import annotations

import hashlib
import secrets

import asyncpg

from store.sealing import Sealer

PREFIX = "pmref_"
NOT_SECRET = frozenset({"paypal"})


class UnknownCredential(LookupError):
    """A reference that names no kept token, or one given for another owner."""


def reference_for(token: str) -> str:
    """What a workflow will carry for `token`: a new reference, or the token itself when it
    is no secret."""
    return token if token in NOT_SECRET else f"{PREFIX}{secrets.token_hex(16)}"


def reference_for_request(owner: str, idempotency_key: str) -> str:
    """The reference a request repeated under the same Idempotency-Key keeps its token
    under: the same for every repeat, so a repeat seals nothing new."""
    digest = hashlib.sha256(f"{owner}\0{idempotency_key}".encode()).hexdigest()[:32]
    return f"{PREFIX}{digest}"


async def kept(conn: asyncpg.Connection | asyncpg.Pool, ref: str) -> bool:
    """Whether a token is kept under `ref` already."""
    return bool(await conn.fetchval("SELECT 1 FROM payment_credentials WHERE ref = $1", ref))


def _context(ref: str, owner: str) -> str:
    return f"payment-credential\0{ref}\0{owner}"


async def keep(
    conn: asyncpg.Connection | asyncpg.Pool,
    sealer: Sealer,
    owner: str,
    token: str,
    ref: str | None = None,
) -> str:
    """Seal `token` for `owner` (an order ID, or `subscription:<id>`) under `ref` (one of
    `reference_for`, or a new one); the reference the workflow carries instead. A reference
    kept already keeps its first token."""
    if token in NOT_SECRET:
        return token
    ref = ref or reference_for(token)
    key_id, sealed = sealer.seal(token, _context(ref, owner))
    await conn.execute(
        "INSERT INTO payment_credentials (ref, owner, key_id, sealed) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (ref) DO NOTHING",
        ref,
        owner,
        key_id,
        sealed,
    )
    return ref


async def resolve(pool: asyncpg.Pool, sealer: Sealer, token: str, owner: str) -> str:
    """The provider's token behind a reference, for `owner`; anything else as it is."""
    if not token.startswith(PREFIX):
        return token
    row = await pool.fetchrow(
        "SELECT key_id, sealed FROM payment_credentials WHERE ref = $1 AND owner = $2",
        token,
        owner,
    )
    if row is None:
        raise UnknownCredential(f"no payment credential {token} for {owner}")
    return sealer.open(row["key_id"], bytes(row["sealed"]), _context(token, owner))


async def count_of(pool: asyncpg.Pool, owner: str) -> int:
    """How many credentials were sealed for this order (or `subscription:<id>`)."""
    return int(
        await pool.fetchval("SELECT count(*) FROM payment_credentials WHERE owner = $1", owner)
    )
