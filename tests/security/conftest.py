"""The security suite runs against whole systems of its own, as the integration tests do."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from pydantic import SecretStr

from tests.integration.conftest import system, system_with  # noqa: F401
from tests.integration.harness import System

NOWHERE = "http://127.0.0.1:9"  # no provider is reached by these tests


def strong() -> str:
    return secrets.token_urlsafe(32)


def aes_key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def production_settings() -> dict[str, Any]:
    """What a production deployment sets: secrets of its own and real providers."""
    return dict(
        environment="production",
        storefront_api_key=SecretStr(strong()),
        operator_api_key=SecretStr(strong()),
        order_token_secret=SecretStr(f"t1:{strong()}"),
        codec_ui_key=SecretStr(strong()),
        card_code_keys=SecretStr(aes_key("k1")),
        payload_codec_keys=SecretStr(aes_key("p1")),
        payment_provider_api_key=SecretStr(strong()),
        payment_webhook_secret=SecretStr(
            "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        ),
        carrier_provider_api_key=SecretStr(strong()),
        carrier_webhook_secret=SecretStr(
            "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        ),
        card_issuer_api_key=SecretStr(strong()),
        card_webhook_secret=SecretStr(
            "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        ),
        payment_gateway="stripe",
        stripe_api_key=SecretStr("sk_test_" + strong()),
        stripe_webhook_secret=SecretStr("whsec_" + strong()),
        stripe_api_base=NOWHERE,
        wallet_gateway="paypal",
        paypal_client_id="client-id",
        paypal_client_secret=SecretStr(strong()),
        paypal_webhook_id="1JE4291016473214C",
        paypal_api_base=NOWHERE,
        tracking_service="easypost",
        easypost_api_key=SecretStr(strong()),
        easypost_webhook_secret=SecretStr(strong()),
        easypost_api_base=NOWHERE,
    )


@pytest.fixture
async def production_system(
    system_with: Callable[..., AbstractAsyncContextManager[System]],  # noqa: F811
) -> AsyncIterator[System]:
    """A production deployment's API (no worker: nothing here reaches an order's steps)."""
    async with system_with(with_worker=False, **production_settings()) as running:
        yield running
