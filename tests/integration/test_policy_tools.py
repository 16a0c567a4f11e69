"""The merchant's tools over the running system: `orderflow policy check` names the field of
each problem in a broken preset; `orderflow policy what-if` tries a shorter return window and
a new restocking fee on the open orders of a shop, from the read model, and reports exactly
the orders whose decisions would change and the money (KWO-RET-1, PAR-RET-8)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cli.main import app
from domain.policy import PRESETS_DIR
from tests.integration.harness import OPERATOR_KEY, STOREFRONT, System, order_body
from tests.integration.test_cli import orderflow
from tests.integration.test_order_changes_http import reaches
from tests.integration.test_returns_http import delivered_order

SHARED = Path(__file__).resolve().parents[3] / "shared" / "POLICIES.md"


def checked(tmp_path: Path, name: str, text: str, *more: str) -> Any:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return CliRunner().invoke(app, ["policy", "check", str(path), *more])


def test_policy_check_names_the_field_of_each_problem(tmp_path: Path) -> None:
    kwoking = (PRESETS_DIR / "kwoking.toml").read_text()
    good = checked(tmp_path, "kwoking", kwoking)
    assert good.exit_code == 0 and good.output.startswith("ok: kwoking"), good.output
    broken = checked(tmp_path, "kwoking", kwoking.replace("[cancellation]", "[cancellation"))
    assert broken.exit_code == 1 and "error: (file):" in broken.output
    typed = checked(
        tmp_path, "kwoking", kwoking.replace('refund_percent = "100"', 'refund_percent = "150"', 1)
    )
    assert typed.exit_code == 1 and "cancellation.bands.0.refund_percent" in typed.output
    renamed = checked(tmp_path, "sixth", kwoking)
    assert (
        renamed.exit_code == 1
        and "error: merchant: must equal the file name 'sixth'" in renamed.output
    )
    invented = kwoking.replace('until_clauses = ["KWO-CAN-3"]', 'until_clauses = ["KWO-CAN-9"]')
    warned = checked(tmp_path, "kwoking", invented)
    assert (
        warned.exit_code == 0
        and "warning: clauses:" in warned.output
        and "KWO-CAN-9" in warned.output
    )
    if SHARED.exists():  # against the clause digest, an unknown ID is an error
        strict = checked(tmp_path, "kwoking", invented, "--clauses", str(SHARED))
        assert strict.exit_code == 1 and "error: clauses:" in strict.output
    both = kwoking.replace(
        'within_after_payment = "PT24H"', 'setting = true\nwithin_after_payment = "PT24H"'
    )
    mixed = checked(tmp_path, "kwoking", both)
    assert mixed.exit_code == 1 and "CancelRule: a merchant setting cites no clause" in mixed.output
    calendar = checked(
        tmp_path, "kwoking", kwoking.replace('holidays_country = "FR"', 'holidays_country = "XX"')
    )
    assert calendar.exit_code == 1 and "calendar.holidays_country" in calendar.output


async def test_what_if_a_shorter_return_window_and_a_restocking_fee(
    system: System, tmp_path: Path
) -> None:
    since = datetime.now(UTC)
    delivered = [(await delivered_order(system))[0] for _ in range(2)]
    placed = await system.api.post(
        "/v1/orders",
        headers=STOREFRONT,
        json=order_body(merchant="returnshop", payment={"method": "paypal"}),
    )
    waiting = placed.json()["order_id"]  # the buyer has not approved: nothing decided yet
    mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}
    await reaches(system, waiting, mine, "awaiting_paypal_approval")

    current = (Path(system.settings.policies_dir) / "returnshop.toml").read_text()
    shorter = current.replace('length = "P30D"', 'length = "P10D"') + (
        '\n[returns.restocking]\npercent = "10"\nclauses = ["PAR-RET-8"]\n'
    )
    new = tmp_path / "returnshop.toml"
    new.write_text(shorter)
    answer = await orderflow(
        system,
        "--json",
        "policy",
        "what-if",
        str(new),
        "--against",
        "returnshop",
        "--since",
        since.isoformat(),
        key=OPERATOR_KEY,
    )
    assert answer.exit_code == 0, answer.output
    report = {d["decision"]: d for d in json.loads(answer.output)["decisions"]}
    assert json.loads(answer.output)["orders"] >= 3
    window = report["return window closes"]
    assert window["orders"] == window["changed"] == 2
    assert sorted(e["order_id"] for e in window["examples"]) == sorted(delivered)
    for example in window["examples"]:  # ten days after delivery instead of thirty
        gap = datetime.fromisoformat(example["before"]) - datetime.fromisoformat(example["after"])
        assert gap.days == 20
    refund = report["change-of-mind return refund"]
    assert refund["changed"] == 2 and refund["money"] == {"EUR": "-7.96"}  # 10% of 2 × 39.80
    assert report["cancellation refund"]["changed"] == 0
    table = await orderflow(
        system, "policy", "what-if", str(new), "--against", "returnshop", key=OPERATOR_KEY
    )
    assert table.exit_code == 0 and "return window closes" in table.output
    await asyncio.sleep(0)
