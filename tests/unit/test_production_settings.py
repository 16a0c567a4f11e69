"""In production every secret published with the code is refused at start, naming the
variable to set; development and tests keep working on the defaults."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys

import pytest
from pydantic import SecretStr, ValidationError

from runtime.production import SANDBOX_PAYMENTS, published_secrets
from runtime.settings import Environment, Settings
from tests.paths import ROOT

SECRETS = sorted(
    name for name, field in Settings.model_fields.items() if isinstance(field.default, SecretStr)
)


def own_value(name: str) -> str:
    if name == "card_code_keys":
        return "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    if name.endswith("webhook_secret"):
        return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    return secrets.token_urlsafe(32)


# Production takes payments and parcels' news from real providers only.
REAL_PROVIDERS = {
    "payment_gateway": "stripe",
    "stripe_api_key": "sk_live_" + secrets.token_urlsafe(24),
    "stripe_webhook_secret": "whsec_" + secrets.token_urlsafe(24),
    "wallet_gateway": "paypal",
    "paypal_client_id": "AYSq3RDGsmBLJE-otTkBtM",
    "paypal_client_secret": secrets.token_urlsafe(24),
    "paypal_webhook_id": "1JE4291016473214C",
    "tracking_service": "easypost",
    "easypost_api_key": "EZAK" + secrets.token_hex(16),
    "easypost_webhook_secret": secrets.token_urlsafe(24),
}


def production(**overrides: str) -> dict[str, str]:
    values = {name: own_value(name) for name in SECRETS}
    return {"environment": "production", **values, **REAL_PROVIDERS, **overrides}


def test_every_published_secret_is_checked() -> None:
    assert {
        "storefront_api_key",
        "operator_api_key",
        "order_token_secret",
        "card_code_keys",
        "payment_webhook_secret",
        "carrier_webhook_secret",
        "card_webhook_secret",
        "payment_provider_api_key",
        "carrier_provider_api_key",
        "card_issuer_api_key",
    } <= set(SECRETS)


def test_production_starts_with_secrets_of_its_own() -> None:
    settings = Settings(_env_file=None, **production())  # type: ignore[call-arg]
    assert settings.environment is Environment.PRODUCTION
    assert published_secrets(settings) == []


@pytest.mark.parametrize("name", sorted(set(SECRETS) - set(SANDBOX_PAYMENTS)))
def test_production_refuses_each_published_default(name: str) -> None:
    default = Settings.model_fields[name].default.get_secret_value()
    with pytest.raises(ValidationError, match=f"ORDERFLOW_{name.upper()}"):
        Settings(_env_file=None, **production(**{name: default}))  # type: ignore[call-arg]


def test_a_published_key_kept_beside_a_new_one_is_refused_too() -> None:
    default = Settings.model_fields["carrier_webhook_secret"].default.get_secret_value()
    both = f"{own_value('carrier_webhook_secret')} {default}"
    with pytest.raises(ValidationError, match="ORDERFLOW_CARRIER_WEBHOOK_SECRET"):
        Settings(_env_file=None, **production(carrier_webhook_secret=both))  # type: ignore[call-arg]


def test_environment_is_one_of_three() -> None:
    with pytest.raises(ValidationError, match="environment"):
        Settings(_env_file=None, environment="prod")  # type: ignore[call-arg]
    development = Settings(_env_file=None, environment="development")  # type: ignore[call-arg]
    assert development.environment is Environment.DEVELOPMENT


def test_a_process_started_on_a_published_secret_stops_naming_the_variable() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ORDERFLOW_")},
        **{f"ORDERFLOW_{k.upper()}": v for k, v in production().items()},
        "ORDERFLOW_CARRIER_WEBHOOK_SECRET": Settings.model_fields[
            "carrier_webhook_secret"
        ].default.get_secret_value(),
    }
    ended = subprocess.run(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ended.returncode == 2
    assert "ORDERFLOW_CARRIER_WEBHOOK_SECRET" in ended.stderr
    assert "Traceback" not in ended.stderr


def test_real_providers_need_their_keys_and_not_the_sandboxs() -> None:
    with pytest.raises(ValidationError, match="ORDERFLOW_STRIPE_API_KEY"):
        Settings(_env_file=None, environment="test", payment_gateway="stripe")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="ORDERFLOW_PAYPAL_WEBHOOK_ID"):
        Settings(_env_file=None, environment="test", wallet_gateway="paypal", paypal_client_id="id")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="ORDERFLOW_EASYPOST_WEBHOOK_SECRET"):
        Settings(_env_file=None, environment="test", tracking_service="easypost")  # type: ignore[call-arg]
    sandbox_defaults = {
        name: Settings.model_fields[name].default.get_secret_value()
        for name in ("payment_provider_api_key", "payment_webhook_secret")
    }
    settings = Settings(_env_file=None, **production(**sandbox_defaults))  # type: ignore[call-arg]
    # the sandbox's published payment secrets are not used, so not refused
    assert published_secrets(settings) == []
