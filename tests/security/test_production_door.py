"""Nobody outside moves an order through a door production does not use: no sandbox webhook
source in production (its secret is published with the code), no process that forgot its
environment running on the published defaults, no weak secret of the deployment's own."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from runtime.production import STRONG_BITS, entropy_bits
from runtime.settings import DEV_PAYLOAD_CODEC_KEYS, Settings
from sandbox.webhooks import signed_headers
from starter.provider_events import reader_for
from store.keyring import Keyring
from tests.integration.harness import System
from tests.integration.test_api_contract import assert_problem
from tests.paths import ROOT
from tests.security.conftest import production_settings

# The sandbox's signing secrets as the code publishes them: what an attacker would sign with.
PUBLISHED = {
    kind: Settings.model_fields[f"{name}_webhook_secret"].default.get_secret_value()
    for kind, name in (("payments", "payment"), ("carriers", "carrier"), ("cards", "card"))
}


def forged(kind: str, body: dict[str, Any]) -> tuple[bytes, dict[str, str], str]:
    raw = json.dumps(body).encode()
    event_id = f"evt_forged_{uuid.uuid4().hex}"
    return raw, signed_headers(PUBLISHED[kind], event_id, raw), event_id


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("payments", {"type": "payment.reversed", "data": {"id": "pay_1", "reference": "o-1"}}),
        ("payments", {"type": "payment.failed", "data": {"id": "pay_1", "reference": "o-1"}}),
        (
            "carriers",
            {
                "type": "tracking.updated",
                "data": {"tracking_number": "SB1", "reference": "o-1", "status": "delivered"},
            },
        ),
        ("cards", {"type": "card.redeemed", "data": {"id": "card_1", "reference": "o-1"}}),
    ],
)
async def test_a_sandbox_webhook_signed_with_the_published_secret_is_404_in_production(
    production_system: System, pool: Any, kind: str, body: dict[str, Any]
) -> None:
    """API2/API8: production has no sandbox source; what such a request says is kept nowhere."""
    raw, headers, event_id = forged(kind, body)
    response = await production_system.api.post(
        f"/v1/webhooks/{kind}/sandbox", content=raw, headers=headers
    )
    assert_problem(response, 404)
    rows = await pool.fetchval("SELECT count(*) FROM webhook_inbox WHERE event_id = $1", event_id)
    assert rows == 0


def test_a_sandbox_source_is_taken_only_where_the_sandbox_is_that_kinds_provider() -> None:
    """A real provider configured for a kind closes the sandbox's door for it."""
    development = Settings(_env_file=None, environment="development")  # type: ignore[call-arg]
    assert reader_for("payments", "sandbox", development) is not None
    assert reader_for("carriers", "sandbox", development) is not None
    real = {k: v for k, v in production_settings().items() if k != "environment"}
    moved = Settings(_env_file=None, environment="development", **real)  # type: ignore[call-arg]
    assert reader_for("payments", "sandbox", moved) is None
    assert reader_for("carriers", "sandbox", moved) is None
    assert reader_for("payments", "stripe", moved) is not None
    production = Settings(_env_file=None, **production_settings())  # type: ignore[call-arg]
    for kind in ("payments", "carriers", "cards"):
        assert reader_for(kind, "sandbox", production) is None


def test_production_refuses_a_sandbox_provider_naming_the_setting() -> None:
    settings = production_settings() | {"payment_gateway": "sandbox"}
    with pytest.raises(ValidationError, match="ORDERFLOW_PAYMENT_GATEWAY=stripe"):
        Settings(_env_file=None, **settings)  # type: ignore[call-arg]


@pytest.mark.parametrize("weak", ["x", "change-me-please-change-me", "a" * 64, "sf_" + "ab" * 20])
def test_production_refuses_a_weak_storefront_key(weak: str) -> None:
    """API2: a one-character (or guessable) storefront key is refused at start."""
    with pytest.raises(ValidationError, match="ORDERFLOW_STOREFRONT_API_KEY"):
        Settings(_env_file=None, **production_settings() | {"storefront_api_key": weak})  # type: ignore[call-arg]


def test_production_refuses_a_key_file_holding_the_development_key(tmp_path: Any) -> None:
    held = tmp_path / "payload.keys"
    fresh = production_settings()["payload_codec_keys"].get_secret_value()
    held.write_text(f"{fresh}\n{DEV_PAYLOAD_CODEC_KEYS}\n")
    assert len(Keyring.from_file(held).ids) == 2
    with pytest.raises(ValidationError, match="development key"):
        Settings(_env_file=None, **production_settings(), payload_codec_keys_file=held)  # type: ignore[call-arg]


def test_a_process_with_no_environment_refuses_the_published_defaults() -> None:
    """API8: ORDERFLOW_ENVIRONMENT unset is production, never development."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERFLOW_")}
    ended = subprocess.run(
        [sys.executable, "worker.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert ended.returncode == 2
    assert "ORDERFLOW_ENVIRONMENT is not set" in ended.stderr
    assert "ORDERFLOW_ORDER_TOKEN_SECRET" in ended.stderr
    assert "Traceback" not in ended.stderr


def test_a_random_secret_of_32_bytes_is_never_refused_as_weak() -> None:
    """The estimate reads the encodings random secrets come in (hex, base64): a secret drawn
    at random is accepted however its characters happened to fall."""
    for _ in range(2000):
        for drawn in (secrets.token_urlsafe(32), secrets.token_hex(32)):
            assert entropy_bits(drawn) >= STRONG_BITS, drawn
    for weak in ("x", "change-me", "a" * 64, "ab" * 40, secrets.token_urlsafe(24)):
        assert entropy_bits(weak) < STRONG_BITS, weak
