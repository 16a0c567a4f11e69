"""The small doors: a malformed signature header, a reused Idempotency-Key, a ciphertext cut
short at the codec, gift-card codes compared in constant time, and what the public port
tells about the system's insides."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from pydantic import SecretStr

from domain.decisions.aftercare import card_code_matches
from runtime.log import configure_logging
from tests.domain.helpers import preset
from tests.integration.harness import OPERATOR, System
from tests.integration.test_api_contract import assert_problem
from tests.integration.test_order_changes_http import NEW_ADDRESS, place, reaches


@pytest.mark.parametrize(
    ("source", "header"),
    [
        ("carriers/sandbox", "webhook-signature"),
        ("payments/sandbox", "webhook-signature"),
    ],
)
async def test_a_signature_header_that_is_not_ascii_is_a_400(
    system: System, source: str, header: str
) -> None:
    body = json.dumps({"type": "tracking.updated", "data": {}}).encode()
    answer = await system.api.post(
        f"/v1/webhooks/{source}",
        content=body,
        headers={
            "webhook-id": b"evt_x",
            "webhook-timestamp": b"1",
            header: "v1,sig\u00e9".encode(),
        },
    )
    assert_problem(answer, 400, header)


async def test_an_idempotency_key_reused_with_another_body_is_a_422(system: System) -> None:
    """API6: the key names one request; the second body never gets the first one's outcome."""
    order_id, mine = await place(system, "holdshop")
    await reaches(system, order_id, mine, "paid")
    key = {"Idempotency-Key": "edit-1"}
    first = await system.api.patch(
        f"/v1/orders/{order_id}/shipping-address", headers=mine | key, json=NEW_ADDRESS
    )
    assert first.status_code == 200, first.text
    again = await system.api.patch(
        f"/v1/orders/{order_id}/shipping-address", headers=mine | key, json=NEW_ADDRESS
    )
    assert again.status_code == 200 and again.json() == first.json()
    other = NEW_ADDRESS | {"line1": "Tērbatas iela 9"}
    reused = await system.api.patch(
        f"/v1/orders/{order_id}/shipping-address", headers=mine | key, json=other
    )
    problem = assert_problem(reused, 422, "Idempotency-Key")
    assert problem["type"].endswith("idempotency-key-reused")
    view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
    assert view["shipping_address"]["line1"] == NEW_ADDRESS["line1"]


async def test_a_ciphertext_cut_short_is_a_400_and_the_ui_key_stays_out_of_the_log(
    system: System, capfd: pytest.CaptureFixture[str]
) -> None:
    ui_key = system.settings.codec_ui_key.get_secret_value()
    short = {
        "payloads": [
            {
                "metadata": {
                    "encoding": base64.b64encode(b"binary/encrypted").decode(),
                    "encryption-key-id": base64.b64encode(b"dev").decode(),
                },
                "data": base64.b64encode(b"abc").decode(),
            }
        ]
    }
    configure_logging("INFO", json=True)
    try:
        answer = await system.api.post("/codec/decode", headers=OPERATOR, json=short)
        from_ui = await system.api.post(
            f"/codec/ui/{ui_key}/decode",
            headers={"Origin": system.settings.temporal_ui_url},
            json=short,
        )
    finally:
        configure_logging("WARNING", json=True)
    assert_problem(answer, 400, "payloads")
    assert_problem(from_ui, 400, "payloads")
    logged = capfd.readouterr().err
    assert '"path": "/codec/ui/{key}/decode"' in logged  # the call is logged, its key masked
    assert ui_key not in logged


def test_gift_card_codes_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """CRD-DIG-5: exact, case included, and by hmac.compare_digest, never `==`."""
    compared: list[Any] = []
    real = hmac.compare_digest

    def counting(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    policy = preset("cardnet")
    assert card_code_matches(policy, "AbC-123", "AbC-123").allowed
    assert not card_code_matches(policy, "abc-123", "AbC-123").allowed
    assert len(compared) == 2


async def test_the_public_port_serves_no_metrics_and_no_insides(system: System) -> None:
    """API9: metrics on their own address; readiness says only ready or not to anyone."""
    assert (await system.api.get("/metrics")).status_code == 404
    ready = (await system.api.get("/readyz")).json()
    assert ready == {"status": "ready"}
    detailed = (await system.api.get("/readyz", headers=OPERATOR)).json()
    assert detailed["checks"] == {"postgresql": "ok", "temporal": "ok"}


async def test_an_easypost_signature_that_is_not_ascii_is_a_400(
    system_with: Callable[..., AbstractAsyncContextManager[System]],
) -> None:
    async with system_with(
        with_worker=False,
        tracking_service="easypost",
        easypost_api_key=SecretStr("EZTK" + "0" * 32),
        easypost_webhook_secret=SecretStr("easypost-webhook-secret"),
    ) as running:
        answer = await running.api.post(
            "/v1/webhooks/carriers/easypost",
            content=b'{"id": "evt_1", "description": "tracker.updated"}',
            headers={"x-hmac-signature": "hmac-sha256-hex=\u00e9".encode()},
        )
        assert_problem(answer, 400, "x-hmac-signature")
