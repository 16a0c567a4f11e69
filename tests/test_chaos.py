"""`make chaos` checks what it says: its audit finds double money when there is some (totals,
and ledger rows one by one), its held merchant holds, and a small run on a stack of its own
(worker killed, Temporal restarted, SMTP down, provider faults armed, webhooks doubled and
shuffled, a capture and a label refused for good, a cancellation beside an operator's refund)
ends with every order in the state its path fixed before the run, no double money, no refund
refused, no ledger row pending, no authorisation left open, no failed workflow, no
non-determinism and no webhook left unrelayed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from chaos.audit import reconcile
from chaos.paths import PATHS, mix
from chaos.run import ChaosConfig, run_chaos
from chaos.stack import CHAOS_HOLD, CHAOS_SHOP, chaos_presets, held_zone
from domain.decisions.fulfilment import dispatch_slot
from domain.policy import load_policy


def payment(pid: str, order: str, status: str = "captured", refunded: int = 0) -> dict:
    return {"id": pid, "reference": order, "amount": 2490, "status": status, "refunded": refunded}


def ledger_row(order: str, movement: str, ref: str, status: str, amount: str = "24.90") -> dict:
    return {
        "order_id": order,
        "movement": movement,
        "amount": Decimal(amount),
        "currency": "EUR",
        "provider_ref": ref,
        "status": status,
    }


def test_reconciliation_passes_money_that_moved_once() -> None:
    provider = [payment("pay_1", "o1"), payment("pay_2", "o2", "refunded", 2490)]
    ledger = [
        ledger_row("o1", "capture", "pay_1", "captured"),
        ledger_row("o2", "capture", "pay_2", "captured"),
        ledger_row("o2", "refund", "re_1", "succeeded"),
    ]
    result = reconcile(provider, ledger, {"o2": 2490})
    assert result["mismatches"] == [] and result["captures"] == 2 and result["refunds"] == 1


def test_reconciliation_finds_double_captures_and_refunds_both_ways() -> None:
    provider = [
        payment("pay_1", "o1"),
        payment("pay_1b", "o1"),  # the same order captured twice
        payment("pay_2", "o2", "refunded", 2490),  # refunded at the provider only
        payment("pay_3", "o3"),
    ]
    ledger = [
        ledger_row("o1", "capture", "pay_1", "captured"),
        ledger_row("o2", "capture", "pay_2", "captured"),
        ledger_row("o3", "capture", "pay_3", "captured"),
        ledger_row("o3", "refund", "re_3", "succeeded"),  # on the ledger only
        ledger_row("o4", "capture", "pay_4", "captured"),  # unknown to the provider
    ]
    result = reconcile(provider, ledger, {"o1": 1000})
    assert result["double_captures"] == 1 and result["double_refunds"] == 2
    found = "\n".join(result["mismatches"])
    assert "o1: 2 captured payments" in found
    assert "capture pay_1b is not on the ledger" in found
    assert "ledger capture pay_4 unknown to the provider" in found
    assert "o1: refunds promised 1000, refunded 0" in found


def test_reconciliation_takes_ledger_rows_one_by_one() -> None:
    """A ledger row written twice for one capture, a refund the provider made that no row
    holds, a row for a refund never made, and a row whose amount differs, all show, though
    each order's totals would agree."""
    provider = [payment("pay_1", "o1"), payment("pay_2", "o2", refunded=1000)]
    ledger = [
        ledger_row("o1", "capture", "pay_1", "captured"),
        ledger_row("o1", "capture", "pay_1", "captured"),  # the same capture twice
        ledger_row("o2", "capture", "pay_2", "captured"),
        ledger_row("o2", "refund", "re_2", "succeeded", "6.00"),  # made as 4.00
        ledger_row("o2", "refund", "re_x", "succeeded", "4.00"),  # never made
    ]
    refunds = [
        {"id": "re_2", "amount": 400, "reference": "o2"},
        {"id": "re_3", "amount": 600, "reference": "o2"},  # on no row
    ]
    found = "\n".join(reconcile(provider, ledger, {}, refunds)["mismatches"])
    assert "capture pay_1 on 2 ledger rows" in found
    assert "o2: refund re_2 differs from its row" in found
    assert "o2: ledger refund re_x not made" in found
    assert "o2: refund re_3 is not on the ledger" in found
    clean = reconcile(provider[:1], ledger[:1], {}, [])
    assert clean["mismatches"] == []


def test_reconciliation_counts_refused_refunds_and_rows_left_pending() -> None:
    provider = [payment("pay_1", "o1"), payment("pay_2", "o2")]
    ledger = [
        ledger_row("o1", "capture", "pay_1", "captured"),
        ledger_row("o1", "refund", "re_1", "failed"),  # the provider refused it
        ledger_row("o2", "capture", "pay_2", "captured"),
        ledger_row("o2", "refund", "re_2", "pending"),  # its answer never settled
    ]
    result = reconcile(provider, ledger, {})
    assert result["refunds_refused"] == 1
    assert result["pending"] == ["o2: refund pending"]
    clean = reconcile(provider, ledger[:1] + ledger[2:3], {})
    assert clean["refunds_refused"] == 0 and clean["pending"] == []


def test_the_held_merchant_dispatches_at_the_cut_off_whatever_the_hour(tmp_path: Path) -> None:
    for hour in (0, 5, 11, 12, 17, 23):
        now = datetime(2026, 11, 23, hour, 30, tzinfo=UTC)
        assert 11 <= now.astimezone(ZoneInfo(held_zone(now))).hour <= 13
    cutoff = datetime.now(UTC) + timedelta(minutes=3)
    folder = chaos_presets(tmp_path, cutoff)
    held = load_policy(folder / f"{CHAOS_HOLD}.toml")
    slot = dispatch_slot(held, datetime.now(UTC))
    assert abs((slot.at - cutoff).total_seconds()) < 1
    shop = load_policy(folder / f"{CHAOS_SHOP}.toml")
    assert dispatch_slot(shop, datetime.now(UTC)).clauses == ()  # at once


def test_every_path_is_taken_and_held_orders_come_first() -> None:
    chosen = mix(40, seed=3)
    assert len(chosen) == 40 and set(chosen) == set(PATHS)
    held = [p.merchant == CHAOS_HOLD for p in chosen]
    assert held == sorted(held, reverse=True)


async def test_a_small_chaos_run_ends_clean(tmp_path: Path) -> None:
    report = await run_chaos(
        ChaosConfig(
            orders=len(PATHS) + 3,
            rate=4.0,
            seed=7,
            kill_every=(3.0, 6.0),
            fault_every=2.0,
            restart_temporal_at=0.3,
            temporal_down_seconds=3.0,
            startup_seconds=25.0,
            hold_seconds=25.0,
            hold_margin_seconds=10.0,
            restart_postgres_at=0.6,
            smtp_down_at=0.2,
            smtp_down_seconds=15.0,
            tail_seconds=8.0,
            retry_seconds=60.0,
            settle_seconds=300.0,
            folder=tmp_path,
        )
    )
    print(
        json.dumps(
            {k: report[k] for k in ("stuck", "timing", "chaos", "webhooks")}, default=str, indent=1
        )
    )
    assert report["verdict"] == {
        "every_order_reached_its_state": True,
        "no_double_money": True,
        "no_refund_refused_by_the_provider": True,
        "no_ledger_row_left_pending": True,
        "no_authorisation_left_open": True,
        "no_failed_workflow": True,
        "no_non_determinism": True,
        "every_webhook_relayed": True,
    }, (
        json.dumps(report["stuck"], default=str, indent=1),
        report["money"],
        report["failed_workflows"],
        report["determinism"],
        report["webhooks"],
    )
    chaos = report["chaos"]
    assert chaos["worker_kills"] >= 1 and chaos["temporal_restarts"] == 1
    assert chaos["smtp_down_seconds"] == 15.0
    assert chaos["postgres_down_seconds"] is not None and chaos["postgres_down_seconds"] >= 5.0
    assert chaos["faults_armed"] >= 1
    assert chaos["webhooks_sent_twice"] > 0 and chaos["webhooks_sent_out_of_order"] > 0
    assert report["timing"]["temporal_recovery"]["first_progress_seconds"] is not None
    paths = report["orders"]["by_path"]
    assert paths.get("held, cancelled -> cancelled", 0) >= 1, paths
    assert paths.get("card capture refused -> payment_failed", 0) >= 1, paths
    assert paths.get("label refused, cancelled by an operator -> cancelled", 0) >= 1, paths
    assert paths.get("held, cancelled while an operator refunds -> cancelled", 0) >= 1, paths
    assert report["money"]["captures"] > 0 and report["money"]["refunds"] > 0
    assert report["webhooks"]["received"] >= report["webhooks"]["sent_by_provider"] > 0
