from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from domain.decisions.quote import quote_order
from domain.decisions.returns import returns_close_at
from domain.orders import OrderLine
from domain.policy import Policy, PolicyError, load_policy, load_presets

DEMO = Path(__file__).resolve().parents[2] / "policies" / "demo.toml"


def test_every_preset_loads_and_is_versioned_by_its_content() -> None:
    presets = load_presets()
    assert "demo" in presets
    for name, policy in presets.items():
        assert policy.merchant == name
        assert policy.version.startswith("sha256:")


def test_a_changed_preset_gets_a_new_version(tmp_path: Path) -> None:
    changed = tmp_path / "demo.toml"
    changed.write_text(DEMO.read_text().replace('length = "PT60S"', 'length = "PT90S"'))
    assert load_policy(changed).version != load_policy(DEMO).version
    assert load_policy(changed).returns.windows[0].length == timedelta(seconds=90)  # type: ignore[union-attr]


def test_a_broken_preset_names_its_file_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "demo.toml"
    broken.write_text(
        DEMO.read_text().replace('timezone = "Europe/Riga"', 'timezone = "Mars/Olympus"')
    )
    with pytest.raises(PolicyError, match=r"demo\.toml: timezone: .*unknown time zone"):
        load_policy(broken)


def test_a_preset_with_an_unknown_field_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "demo.toml"
    broken.write_text(DEMO.read_text().replace("[returns]", "[returns]\nrefund_everything = true"))
    with pytest.raises(PolicyError, match=r"demo\.toml: returns\.refund_everything"):
        load_policy(broken)


def test_a_rule_must_name_its_clauses(tmp_path: Path) -> None:
    broken = tmp_path / "demo.toml"
    broken.write_text(
        DEMO.read_text().replace('clauses = ["KWO-RET-1", "KWO-RET-2"]', "clauses = []")
    )
    with pytest.raises(PolicyError, match=r"returns\.windows\.0\.clauses"):
        load_policy(broken)


def test_a_preset_offering_invoices_must_give_their_terms(tmp_path: Path) -> None:
    """IMA-PAY-3: an invoice needs its expiry; a preset without one is refused at load, while
    an order pinned to such a policy still decodes."""
    text = DEMO.read_text()
    start = text.index("[payment.invoice]")
    end = text.index("[payment.coupons]")
    broken = tmp_path / "demo.toml"
    broken.write_text(text[:start] + text[end:])
    with pytest.raises(PolicyError, match=r"demo\.toml: payment\.invoice: required"):
        load_policy(broken)
    pinned = load_policy(DEMO).model_dump(mode="json")
    del pinned["payment"]["invoice"]
    assert Policy.model_validate(pinned).payment.invoice is None


def test_imalent_free_shipping_makes_the_total_the_items_price() -> None:
    """IMA-SHP-1: shipping is free on all products (the demo preset follows imalent)."""
    policy = load_policy(DEMO)
    lines = [OrderLine(sku="A", name="Lamp", quantity=3, unit_price=Decimal("19.99"))]
    quote = quote_order(policy, lines)
    assert quote.shipping.amount == 0
    assert quote.total.amount == Decimal("59.97")
    assert "IMA-SHP-1" in quote.clauses


def test_return_window_counts_from_delivery() -> None:
    policy = load_policy(DEMO)
    delivered = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    deadline = returns_close_at(policy, delivered - timedelta(days=3), delivered)
    assert deadline is not None
    assert deadline.at == delivered + timedelta(seconds=60)
    assert deadline.clauses == ("KWO-RET-1", "KWO-RET-2")


def test_a_sixth_merchant_is_a_new_file_not_new_code(tmp_path: Path) -> None:
    from domain.decisions.changes import OrderFacts, cancellation
    from domain.money import Money

    source = (DEMO.parent / "kwoking.toml").read_text()
    (tmp_path / "lumen.toml").write_text(
        source.replace('merchant = "kwoking"', 'merchant = "lumen"').replace(
            'refund_percent = "100"', 'refund_percent = "80"', 2
        )
    )
    lumen = load_presets(tmp_path)["lumen"]
    paid = datetime(2026, 3, 2, 10, tzinfo=UTC)
    facts = OrderFacts(
        lines=[OrderLine(sku="A", name="A", quantity=1, unit_price=Decimal("100.00"))],
        shipping_paid=Money(amount=Decimal("10.00"), currency="EUR"),
        paid_at=paid,
    )
    assert str(cancellation(lumen, facts, paid + timedelta(hours=1)).refund) == "90.00 EUR"
