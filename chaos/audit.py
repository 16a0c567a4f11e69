"""What a chaos run left behind, checked from the records of each party: the orders' read
model and timeline, the money ledger against the payment provider's own records both ways and
row by row, authorisations left open, Temporal's histories (and their replay on the current
code) and failed workflows, the webhook inbox and the provider's outbox and deliveries."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.worker import Replayer

from chaos.paths import PAID_OR_LATER, Driven
from domain.money import Money
from workflows.names import order_workflow_id
from workflows.runner import workflow_runner

NON_DETERMINISM = re.compile(r"nondetermini", re.IGNORECASE)
CAPTURED = ("captured", "refunded", "reversed")
OPEN = ("authorized", "requires_action")  # money held for the order, or waiting to be held


def reached(order: Driven, row: dict[str, Any] | None) -> bool:
    """Whether the order's read model shows the state its path and answers call for."""
    if row is None or order.expect is None:
        return False
    if order.expect == "paid":
        state_ok = row["status"] in PAID_OR_LATER
    else:
        state_ok = row["status"] == order.expect
    return state_ok and (order.expect_line1 is None or row["line1"] == order.expect_line1)


async def rows(conn: asyncpg.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    found = await conn.fetch(
        "SELECT order_id, status, shipping_address->>'line1' AS line1 FROM orders"
        " WHERE order_id = ANY($1)",
        ids,
    )
    return {r["order_id"]: dict(r) for r in found}


async def settle(dsn: str, client: Client, orders: list[Driven], seconds: float) -> float:
    """Wait (at most `seconds`) until every order shows its expected state, the workflows of
    paths that end have closed, and the relay has nothing pending; the seconds it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    placed = [o for o in orders if o.order_id]
    ids = [o.order_id for o in placed]
    closing = {o.order_id for o in placed if o.path.ends}
    conn = await asyncpg.connect(dsn)
    try:
        while loop.time() - started < seconds:
            now = await rows(conn, ids)
            pending = await conn.fetchval(
                "SELECT count(*) FROM webhook_inbox WHERE relay_state = 'pending'"
            )
            if not pending and all(reached(o, now.get(o.order_id or "")) for o in placed):
                for order_id in list(closing):
                    handle = client.get_workflow_handle(order_workflow_id(str(order_id)))
                    if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                        closing.discard(order_id)
                if not closing:
                    break
            await asyncio.sleep(1)
    finally:
        await conn.close()
    return round(loop.time() - started, 1)


async def states(
    conn: asyncpg.Connection, client: Client, orders: list[Driven]
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Orders in their expected state (read model, and a workflow that completed when the path
    ends), and the others with their last events."""
    now = await rows(conn, [o.order_id for o in orders if o.order_id])
    counts: dict[str, int] = defaultdict(int)
    stuck = []
    for order in orders:
        row = now.get(order.order_id or "")
        ok = reached(order, row) and order.error is None
        closed = None
        if order.order_id and order.path.ends:
            described = await client.get_workflow_handle(
                order_workflow_id(order.order_id)
            ).describe()
            closed = described.status
            ok = ok and closed == WorkflowExecutionStatus.COMPLETED
        counts[f"{order.path.name} -> {order.expect or 'not placed'}"] += 1
        if ok:
            continue
        events = await conn.fetch(
            "SELECT at, kind, status, summary FROM order_events WHERE order_id = $1"
            " ORDER BY seq DESC LIMIT 3",
            order.order_id,
        )
        stuck.append(
            {
                "order_id": order.order_id,
                "path": order.path.name,
                "expected": order.expect,
                "status": row["status"] if row else None,
                "workflow": closed.name if closed else None,
                "error": order.error,
                "notes": order.notes,
                "last_events": [
                    f"{e['at']:%H:%M:%S} {e['kind']}: {e['summary']}" for e in reversed(events)
                ],
            }
        )
    return dict(counts), stuck


def _minor(amount: Decimal | str, currency: str) -> int:
    return Money(amount=Decimal(amount), currency=currency).minor_units


async def money(conn: asyncpg.Connection, sandbox_db: Path, orders: list[Driven]) -> dict[str, Any]:
    """The run's money, from the provider's records and the ledger (`reconcile`)."""
    ids = [o.order_id for o in orders if o.order_id]
    with sqlite3.connect(sandbox_db) as db:
        db.row_factory = sqlite3.Row
        provider = [
            dict(r)
            for r in db.execute("SELECT id, reference, amount, status, refunded FROM payments")
            if r["reference"] in ids
        ]
        refunds = [
            dict(r)
            for r in db.execute(
                "SELECT r.id, r.amount, p.reference FROM refunds r"
                " JOIN payments p ON p.id = r.payment_id"
            )
            if r["reference"] in ids
        ]
    ledger = await conn.fetch(
        "SELECT order_id, movement, amount, currency, provider_ref, status FROM ledger"
        " WHERE order_id = ANY($1)",
        ids,
    )
    promised = {
        o.order_id: sum(_minor(r, o.path.currency) for r in o.refunds)
        for o in orders
        if o.order_id and o.refunds
    }
    ended = {o.order_id for o in orders if o.order_id and o.path.ends}
    return reconcile(provider, [dict(r) for r in ledger], promised, refunds, ended)


def reconcile(
    provider: list[dict[str, Any]],
    ledger: list[dict[str, Any]],
    promised: dict[str, int],
    refunds_at_provider: list[dict[str, Any]] | None = None,
    ended: set[str] | None = None,
) -> dict[str, Any]:
    """The ledger against the provider's records, both ways: every capture the provider made
    is on the ledger once and the other way round, no order captured twice, what each order
    had refunded the same on both sides and never beyond its capture, every refund the
    provider made on one ledger row of its amount and every ledger refund made at the
    provider, and every order refunded what its refunds' answers promised (amounts in minor
    units; `provider` rows as the sandbox keeps them, `reference` the order ID). It counts the
    refunds the provider refused and lists the ledger rows still pending and the payments
    left open (authorised or waiting for the customer) at the provider by orders that ended
    (`ended`; all of them when not given): an order still running may hold an authorisation."""
    captured_at_provider: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for payment in provider:
        if payment["status"] in CAPTURED:
            captured_at_provider[payment["reference"]].append(payment)
    captures = {r["provider_ref"]: r for r in ledger if r["status"] == "captured"}
    refunds = [r for r in ledger if r["movement"] == "refund" and r["status"] == "succeeded"]
    problems: list[str] = _duplicated_rows(ledger)
    if refunds_at_provider is not None:
        problems += _refunds_one_by_one(refunds, refunds_at_provider)
    double_captures = [o for o, p in captured_at_provider.items() if len(p) > 1]
    for order_id in double_captures:
        problems.append(f"{order_id}: {len(captured_at_provider[order_id])} captured payments")
    for order_id, payments in captured_at_provider.items():
        for payment in payments:
            if payment["id"] not in captures:
                problems.append(f"{order_id}: capture {payment['id']} is not on the ledger")
    at_provider = {p["id"] for ps in captured_at_provider.values() for p in ps}
    for ref, row in captures.items():
        if ref not in at_provider:
            problems.append(f"{row['order_id']}: ledger capture {ref} unknown to the provider")
    refunded_ledger: dict[str, int] = defaultdict(int)
    for row in refunds:
        refunded_ledger[row["order_id"]] += _minor(row["amount"], row["currency"])
    double_refunds = []
    for order_id in sorted({*captured_at_provider, *refunded_ledger}):
        at = sum(p["refunded"] for p in captured_at_provider.get(order_id, []))
        captured = sum(p["amount"] for p in captured_at_provider.get(order_id, []))
        if at != refunded_ledger[order_id] or at > captured:
            double_refunds.append(order_id)
            problems.append(
                f"{order_id}: refunded {at} at the provider, {refunded_ledger[order_id]} on the"
                f" ledger, of {captured} captured"
            )
    for order_id, cents in promised.items():
        if refunded_ledger[order_id] != cents:
            problems.append(
                f"{order_id}: refunds promised {cents}, refunded {refunded_ledger[order_id]}"
            )
    refused = [r for r in ledger if r["movement"] == "refund" and r["status"] == "failed"]
    pending = [
        f"{r['order_id']}: {r['movement']} pending" for r in ledger if r["status"] == "pending"
    ]
    return {
        "captures": sum(len(p) for p in captured_at_provider.values()),
        "refunds": len(refunds),
        "double_captures": len(double_captures),
        "double_refunds": len(double_refunds),
        "refunds_refused": len(refused),
        "pending": pending,
        "open_at_provider": [
            f"{p['reference']}: {p['id']} {p['status']}"
            for p in provider
            if p["status"] in OPEN and (ended is None or p["reference"] in ended)
        ],
        "mismatches": problems,
    }


def _duplicated_rows(ledger: list[dict[str, Any]]) -> list[str]:
    """Two settled ledger rows for one movement at the provider (the same reference)."""
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for row in ledger:
        if row["provider_ref"] and row["status"] in ("captured", "succeeded"):
            seen[(row["movement"], row["provider_ref"])] += 1
    return [
        f"{movement} {ref} on {count} ledger rows"
        for (movement, ref), count in sorted(seen.items())
        if count > 1
    ]


def _refunds_one_by_one(
    ledger_refunds: list[dict[str, Any]], at_provider: list[dict[str, Any]]
) -> list[str]:
    """Each refund the provider made against its ledger row: same order, same amount."""
    problems = []
    made = {r["id"]: r for r in at_provider}
    for row in ledger_refunds:
        refund = made.get(row["provider_ref"])
        if refund is None:
            problems.append(f"{row['order_id']}: ledger refund {row['provider_ref']} not made")
        elif (refund["reference"], refund["amount"]) != (
            row["order_id"],
            _minor(row["amount"], row["currency"]),
        ):
            problems.append(f"{row['order_id']}: refund {refund['id']} differs from its row")
    on_ledger = {r["provider_ref"] for r in ledger_refunds}
    problems += [
        f"{r['reference']}: refund {r['id']} is not on the ledger"
        for r in at_provider
        if r["id"] not in on_ledger
    ]
    return problems


async def determinism(
    client: Client, orders: list[Driven], workflows: list[type], converter: Any, logs: str
) -> dict[str, Any]:
    """Workflow tasks that failed as non-deterministic, in the histories or the worker's log;
    and each history replayed on the current code."""
    replayer = Replayer(
        workflows=workflows, workflow_runner=workflow_runner(), data_converter=converter
    )
    failed_tasks, replay_failures = [], []
    for order in orders:
        if not order.order_id:
            continue
        workflow_id = order_workflow_id(order.order_id)
        history: WorkflowHistory = await client.get_workflow_handle(workflow_id).fetch_history()
        for event in history.events:
            if event.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                continue
            cause = event.workflow_task_failed_event_attributes.cause
            text = event.workflow_task_failed_event_attributes.failure.message
            if (
                cause == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
                or NON_DETERMINISM.search(text)
            ):
                failed_tasks.append(f"{workflow_id}: {text[:200]}")
        replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        if replayed.replay_failure is not None:
            replay_failures.append(f"{workflow_id}: {replayed.replay_failure}")
    in_logs = [line[:300] for line in logs.splitlines() if NON_DETERMINISM.search(line)]
    return {
        "failed_tasks": failed_tasks,
        "replay_failures": replay_failures,
        "in_worker_log": in_logs[:20],
        "errors": len(failed_tasks) + len(replay_failures) + len(in_logs),
    }


async def failed_workflows(client: Client) -> list[str]:
    """Every workflow of the run (orders and their children) that closed as failed."""
    return [
        f"{w.workflow_type} {w.id}"
        async for w in client.list_workflows('ExecutionStatus = "Failed"')
    ]


def sent_twice_and_reordered(db: sqlite3.Connection) -> tuple[int, int]:
    """From the provider's deliveries: how many were repeats of one delivered before, and
    how many events reached the API first after an event enqueued later had."""
    rows = db.execute(
        "SELECT d.event_id, o.created FROM deliveries d JOIN outbox o ON o.id = d.event_id"
        " ORDER BY d.seq"
    ).fetchall()
    seen: set[str] = set()
    repeats = reordered = 0
    latest = 0.0
    for event_id, created in rows:
        if event_id in seen:
            repeats += 1
            continue
        seen.add(event_id)
        if created < latest:
            reordered += 1
        latest = max(latest, created)
    return repeats, reordered


async def webhooks(conn: asyncpg.Connection, sandbox_db: Path) -> dict[str, Any]:
    """Webhooks the provider never delivered, those delivered but never relayed to their
    workflow (pending, or parked with a reason), and how many were sent twice and out of
    order, as the provider's deliveries show."""
    left = await conn.fetch(
        "SELECT provider, event_type, order_id, relay_state, attempts, last_error"
        " FROM webhook_inbox WHERE relay_state IN ('pending', 'unmatched')"
    )
    with sqlite3.connect(sandbox_db) as db:
        undelivered = db.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
        (not_delivered,) = undelivered.fetchone()
        (sent,) = db.execute("SELECT count(*) FROM outbox").fetchone()
        repeats, reordered = sent_twice_and_reordered(db)
    received = await conn.fetchval("SELECT count(*) FROM webhook_inbox")
    return {
        "sent_by_provider": sent,
        "received": received,
        "not_delivered": not_delivered,
        "not_relayed": [dict(r) for r in left][:50],
        "not_relayed_count": len(left),
        "sent_twice": repeats,
        "sent_out_of_order": reordered,
    }
