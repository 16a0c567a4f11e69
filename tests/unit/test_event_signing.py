"""Events out are signed as Standard Webhooks, one signature per valid secret, and the sample
consumer in docs/ takes what verifies under either secret and nothing else."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta

import pytest

from domain.events import CATALOGUE, event_type
from starter.events.deliver import signed
from store.endpoints import new_secret
from tests.paths import ROOT


def consumer(monkeypatch: pytest.MonkeyPatch, secrets: str):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ORDERFLOW_EVENTS_SECRET", secrets)
    spec = importlib.util.spec_from_file_location(
        "event_consumer", ROOT / "docs" / "examples" / "event_consumer.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_delivery_signed_under_two_secrets_verifies_with_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, new, stranger = new_secret(), new_secret(), new_secret()
    body = json.dumps({"id": "evt_1", "type": "order.paid", "data": {"order_id": "o1"}})
    headers = signed([new, old], "evt_1", datetime.now(UTC), body)
    assert len(headers["webhook-signature"].split()) == 2
    for secret in (old, new):
        assert consumer(monkeypatch, secret).verified(body.encode(), headers)["id"] == "evt_1"
    assert consumer(monkeypatch, stranger).verified(body.encode(), headers) is None
    tampered = body.replace("o1", "o2").encode()
    assert consumer(monkeypatch, new).verified(tampered, headers) is None
    stale = signed([new], "evt_1", datetime.now(UTC) - timedelta(minutes=10), body)
    assert consumer(monkeypatch, new).verified(body.encode(), stale) is None


def test_every_event_a_timeline_entry_becomes_is_in_the_catalogue() -> None:
    kinds = {
        ("order", "paid", None),
        ("order", "tracking_delivered", "delivered"),
        ("return", "return_refunded", None),
        ("claim", "claim_refused", None),
        ("subscription", "renewed", None),
    }
    for context, kind, status in kinds:
        assert event_type(context, kind, status) in CATALOGUE
    assert event_type("order", "dispatch_scheduled", None) is None  # told to no one
