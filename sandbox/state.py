"""The sandbox's own state, in SQLite, so that a restart carries on where it was."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL, key TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
    created REAL NOT NULL, PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS payment_methods (
    id TEXT PRIMARY KEY, behaviour TEXT NOT NULL, last4 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payments (
    id TEXT PRIMARY KEY, reference TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
    method TEXT NOT NULL, status TEXT NOT NULL, decline_code TEXT, refunded INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS shipments (
    tracking_number TEXT PRIMARY KEY, label_id TEXT NOT NULL, service TEXT NOT NULL,
    reference TEXT NOT NULL, status TEXT NOT NULL, step INTEGER NOT NULL DEFAULT 0,
    next_at REAL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS cards (
    id TEXT PRIMARY KEY, code TEXT NOT NULL, card_type TEXT NOT NULL, amount INTEGER NOT NULL,
    currency TEXT NOT NULL, reference TEXT NOT NULL, issued_at REAL NOT NULL, redeemed_at REAL);
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL, delivered_at REAL, last_error TEXT);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_at) WHERE delivered_at IS NULL;
CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY, payment_id TEXT NOT NULL, amount INTEGER NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, delivered_at REAL NOT NULL);
"""

# Columns added after a table was first created: a state file from an older sandbox gains
# them on start.
_ADDED_COLUMNS = (
    ("shipments", "route", "TEXT NOT NULL DEFAULT 'deliver'"),
    ("payment_methods", "country", "TEXT"),
    ("payments", "kind", "TEXT NOT NULL DEFAULT 'card'"),
    ("payments", "challenge", "TEXT"),
    ("payments", "card_country", "TEXT"),
    ("payments", "expires_at", "REAL"),
    ("outbox", "created", "REAL NOT NULL DEFAULT 0"),
)

IDEMPOTENCY_RETENTION_SECONDS = 24 * 3600


class SandboxState:
    def __init__(self, path: Path, *, chaos: bool = False) -> None:
        self.chaos = chaos
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL survives a crash of the sandbox; only a power cut may lose the last
        # commits, which a stand-in for a provider can afford (no fsync per statement).
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        for table, column, definition in _ADDED_COLUMNS:
            present = {row["name"] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    def one(self, sql: str, *args: Any) -> dict[str, Any] | None:
        row = self.db.execute(sql, args).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute(sql, args).fetchall()]

    def run(self, sql: str, *args: Any) -> None:
        self.db.execute(sql, args)

    def remembered(self, scope: str, key: str | None) -> tuple[int, dict[str, Any]] | None:
        if not key:
            return None
        row = self.one(
            "SELECT status, body, created FROM idempotency WHERE scope = ? AND key = ?", scope, key
        )
        if row is None or time.time() - row["created"] > IDEMPOTENCY_RETENTION_SECONDS:
            return None
        return row["status"], json.loads(row["body"])

    def remember(self, scope: str, key: str | None, status: int, body: dict[str, Any]) -> None:
        if key:
            self.run(
                "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?)",
                scope,
                key,
                status,
                json.dumps(body),
                time.time(),
            )

    def enqueue_webhook(
        self, event_id: str, kind: str, body: dict[str, Any], delay: float = 0.0
    ) -> None:
        if self.chaos:
            delay += random.uniform(0.0, 0.3)
        self.run(
            "INSERT OR IGNORE INTO outbox (id, kind, body, next_at, created) VALUES (?, ?, ?, ?, ?)",
            event_id,
            kind,
            json.dumps(body),
            time.time() + delay,
            time.time(),
        )
