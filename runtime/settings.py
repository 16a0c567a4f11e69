"""One settings class for every process, read from `ORDERFLOW_*` variables at process start."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from runtime.production import (  # noqa: F401 (the settings' defaults, as the code publishes them)
    DEV_CARD_CODE_KEYS,
    DEV_PAYLOAD_CODEC_KEYS,
    DEV_SECRET,
    refusal,
)
from store.keyring import Keyring

# The keys `make run` generates for a checkout on first start (`runtime/devstack.py`).
LOCAL_ENV = Path(__file__).resolve().parent.parent / ".data" / "local.env"


def read_env_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines of an env file; nothing when it does not exist."""
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERFLOW_", env_file=".env", extra="ignore")

    environment: Environment = Field(
        Environment.PRODUCTION,
        description="development, test or production: production refuses every published "
        "default secret and key, weak secrets and the sandbox providers; unset means "
        "production, so a process that forgets it fails closed (`make run` sets development)",
    )
    log_level: str = "INFO"
    log_json: bool | None = Field(None, description="JSON logs; default: when not on a terminal")
    otlp_endpoint: str | None = Field(
        None, description="OTLP/HTTP collector (`http://host:4318`); tracing is off without it"
    )
    worker_metrics_address: str | None = Field(
        "127.0.0.1:9464", description="where the worker serves Prometheus metrics; empty: none"
    )
    api_metrics_address: str | None = Field(
        "127.0.0.1:9465",
        description="where the API serves Prometheus metrics, apart from its public port; "
        "empty: none",
    )
    metrics_refresh_seconds: float = Field(
        15.0, gt=0, description="how often the worker re-reads its business gauges"
    )

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "orders"
    temporal_ui_url: str = Field(
        "http://127.0.0.1:8233", description="the Temporal Web UI, for links operators follow"
    )
    temporal_api_key: SecretStr | None = None
    temporal_tls: bool = False
    temporal_tls_cert_path: Path | None = None
    temporal_tls_key_path: Path | None = None
    temporal_tls_ca_path: Path | None = None
    payload_codec_keys: SecretStr = Field(
        SecretStr(DEV_PAYLOAD_CODEC_KEYS),
        description="keys that encrypt every payload sent to Temporal (AES-256-GCM): "
        "space-separated `<key id>:<base64 of 32 bytes>`, the first encrypts, every one "
        "decrypts (rotation)",
    )
    payload_codec_keys_file: Path | None = Field(
        None, description="a file holding the payload keys instead (one per line, first encrypts)"
    )
    payload_refuse_plaintext: bool | None = Field(
        None,
        description="refuse every payload from Temporal that is not encrypted (a signal or "
        "update someone sent past the API); default: in production. Off only to finish "
        "workflows begun before payloads were encrypted",
    )
    payload_compression: bool = Field(
        True,
        description="compress payloads of 256 bytes or more before they are encrypted (an "
        "order's history about a fifth smaller); compressed payloads open whatever this says. "
        "When upgrading from 0.2.x with old and new workers side by side (0.2.x cannot open "
        "them), keep it off until the last old worker is gone",
    )
    codec_ui_key: SecretStr = Field(
        SecretStr(DEV_SECRET),
        description="the Web UI's path key to the codec server (`/codec/ui/<key>`), taken "
        "only from the Web UI's own origin",
    )
    codec_oidc_issuer: str | None = Field(
        None,
        description="the operators' OpenID Connect issuer: the codec server takes its access "
        "tokens (the Web UI's login, passed with TEMPORAL_CODEC_PASS_ACCESS_TOKEN)",
    )
    codec_oidc_audience: str | None = Field(
        None, description="the audience those access tokens must name"
    )
    codec_oidc_jwks_url: str | None = Field(
        None, description="where the issuer publishes its signing keys (JWKS)"
    )
    codec_oidc_group: str | None = Field(
        None, description="a group the operator must be in (the token's `groups` claim)"
    )
    codec_max_body_bytes: int = Field(
        4 * 1024 * 1024, gt=0, description="the largest codec request taken (413 above it)"
    )
    workflow_sandbox: bool = Field(
        False,
        description=(
            "run workflow code in the SDK's sandbox, which stops a non-deterministic call where "
            "it is made; the tests always do, and a worker without it spends about 40% less "
            "CPU per order and a fifth of the memory per cached order (docs/performance.md)"
        ),
    )

    worker_workflow_task_slots: int = Field(
        10,
        ge=2,
        description=(
            "workflow tasks one worker process works at once; the tasks beyond wait at the "
            "server, where their timeout has not started (docs/performance.md)"
        ),
    )

    worker_cached_workflows: int = Field(
        1000,
        ge=0,
        description=(
            "workflow runs one worker process keeps in memory between their tasks (the SDK's "
            "default); each costs about 0.2 MB (0.8 MB with the sandbox), and one evicted "
            "replays its history on its next task (docs/performance.md)"
        ),
    )

    database_url: str = "postgresql://orderflow@127.0.0.1:5433/orderflow"
    database_pool_size: int = 10

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "orders@orderflow.local"
    # Where overdue tasks are escalated: the operators' shared mailbox.
    operators_email: str = "operators@orderflow.local"

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="the proxies whose X-Forwarded-For and X-Forwarded-Proto the API believes "
        "(comma-separated addresses, `*` for any): the client address rate limits count by",
    )
    public_base_url: str = "http://127.0.0.1:8000"
    storefront_api_key: SecretStr = SecretStr(DEV_SECRET)
    operator_api_key: SecretStr = SecretStr(DEV_SECRET)
    order_token_secret: SecretStr = Field(
        SecretStr(DEV_SECRET),
        description="keys of customers' tokens: space-separated `<key id>:<secret>`, the first "
        "signs, every one kept verifies (rotation keeps links sent before working)",
    )
    customer_token_lifetime_days: int = Field(
        400,
        gt=0,
        description="how long the storefront's token of an order or subscription opens it",
    )
    link_token_lifetime_days: int = Field(
        30, gt=0, description="how long the link in an e-mail or on a page opens the order"
    )
    return_link_lifetime_hours: int = Field(
        72, gt=0, description="how long a payment provider's way back to the order page is open"
    )
    webhook_max_body_bytes: int = 256 * 1024
    api_max_body_bytes: int = Field(
        1024 * 1024, gt=0, description="the largest JSON request body taken (413 above it)"
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="where rate-limit counters are kept: this process (`memory://`) or a store "
        "API replicas share (`redis://host:6379`, `memcached://host:11211`)",
    )
    rate_limit_per_address: str = Field(
        "600/minute",
        description="requests from one client address without a shop's key (customers, anyone)",
    )
    rate_limit_per_token: str = Field(
        "120/minute", description="requests with one customer's token"
    )
    rate_limit_per_key: str = Field(
        "20000/minute", description="requests with one storefront or operator key"
    )
    rate_limit_unauthorized: str = Field(
        "30/minute",
        description="failed authentications from one client address; past it, every request "
        "from there is refused until the window moves on",
    )
    evidence_max_files_per_order: int = Field(
        30, gt=0, description="evidence files one order or subscription may hold"
    )
    evidence_max_bytes_per_order: int = Field(
        100 * 1024 * 1024, gt=0, description="bytes of evidence one order or subscription may hold"
    )
    claims_max_open: int = Field(
        5, gt=0, description="claims of one order or subscription open at once"
    )
    payment_retries_max: int = Field(
        10, gt=0, description="payment retries one order may ask for, whatever its policy allows"
    )
    relay_enabled: bool = True
    relay_poll_seconds: float = 1.0
    events_retry_for_seconds: int = Field(
        3 * 24 * 3600,
        gt=0,
        description="how long an event is retried to an endpoint that does not take it before "
        "it is parked (with the ones after it for the same order) and the endpoint is failing; "
        "kept on each endpoint when it is made",
    )
    events_secret_overlap_seconds: int = Field(
        24 * 3600,
        ge=0,
        description="how long an endpoint's secret before a rotation still signs beside the "
        "new one",
    )
    events_timeout_seconds: float = Field(
        10.0, gt=0, description="how long an endpoint has to answer one delivery"
    )
    events_max_backoff_seconds: float = Field(
        3600.0, gt=0, description="the longest wait between two tries of one delivery"
    )

    payment_provider_url: str = "http://127.0.0.1:8100/payments"
    update_timeout_seconds: float = Field(
        15.0,
        gt=0,
        description="how long the API waits for an order to answer a customer's or operator's "
        "act before it answers 503 (the act may still take effect)",
    )
    provider_timeout_seconds: float = Field(
        10.0, gt=0, description="how long an adapter waits for a provider's answer"
    )
    payment_provider_api_key: SecretStr = SecretStr("sk_sandbox")
    payment_webhook_secret: SecretStr = SecretStr("whsec_c2FuZGJveC1wYXltZW50cy1zZWNyZXQ=")
    payment_gateway: Literal["sandbox", "stripe"] = Field(
        "sandbox", description="who takes card payments: the sandbox, or Stripe (live or test keys)"
    )
    stripe_api_key: SecretStr | None = Field(
        None, description="Stripe secret key (`sk_live_…`, `sk_test_…` or a restricted `rk_…`)"
    )
    stripe_webhook_secret: SecretStr | None = Field(
        None,
        description="signing secret of the Stripe webhook endpoint (`whsec_…`); several, "
        "space-separated, during a rotation",
    )
    stripe_api_base: str | None = Field(
        None, description="another address for Stripe's API (a stripe-mock server in tests)"
    )
    wallet_gateway: Literal["sandbox", "paypal"] = Field(
        "sandbox", description="who takes PayPal payments: the sandbox, or PayPal (live or sandbox)"
    )
    paypal_client_id: str | None = Field(None, description="PayPal REST app's client ID")
    paypal_client_secret: SecretStr | None = Field(
        None, description="PayPal REST app's secret (OAuth client credentials)"
    )
    paypal_webhook_id: str | None = Field(
        None,
        description="ID PayPal gave the webhook endpoint; its events are verified against it",
    )
    paypal_api_base: str = Field(
        "https://api-m.paypal.com",
        description="PayPal's API: `https://api-m.sandbox.paypal.com` for PayPal's sandbox",
    )
    tracking_service: Literal["carrier", "easypost"] = Field(
        "carrier",
        description="who tells where parcels are: the carrier that sold the label, or EasyPost "
        "trackers registered for each label",
    )
    easypost_api_key: SecretStr | None = Field(None, description="EasyPost API key")
    easypost_webhook_secret: SecretStr | None = Field(
        None,
        description="EasyPost webhook secret (HMAC); several, space-separated, during a rotation",
    )
    easypost_api_base: str = Field("https://api.easypost.com", description="EasyPost's API")
    carrier_provider_url: str = "http://127.0.0.1:8100/carriers"
    carrier_provider_api_key: SecretStr = SecretStr("ck_sandbox")
    carrier_webhook_secret: SecretStr = SecretStr("whsec_c2FuZGJveC1jYXJyaWVyLXNlY3JldA==")

    card_issuer_url: str = "http://127.0.0.1:8100/cards"
    card_issuer_api_key: SecretStr = SecretStr("gk_sandbox")
    card_webhook_secret: SecretStr = SecretStr("whsec_c2FuZGJveC1jYXJkcy1zZWNyZXQtMDE=")
    card_code_keys: SecretStr = Field(
        SecretStr(DEV_CARD_CODE_KEYS),
        description="keys that seal secrets at rest (digital card codes, customers' payment tokens; "
        "AES-256-GCM): space-separated "
        "`<key id>:<base64 of 32 bytes>`, the first seals, every one opens (rotation)",
    )

    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8100
    sandbox_webhook_url: str = "http://127.0.0.1:8000/v1/webhooks"
    sandbox_state_path: Path = Path(".data/sandbox.sqlite3")
    sandbox_public_url: str | None = Field(
        None,
        description="where customers' browsers reach the sandbox gateway's pages "
        "(3-D Secure, PayPal, invoices); the payment provider URL when unset",
    )
    sandbox_tracking_step_seconds: float = 5.0
    sandbox_smtp_sink: bool = Field(True, description="run the SMTP sink beside the sandbox")
    sandbox_webhook_chaos: bool = Field(
        False,
        description="deliver every sandbox webhook twice, with random delays, so events "
        "arrive duplicated and out of order as real providers' sometimes do",
    )

    evidence_store_url: str = Field(
        "file:.data/evidence",
        description="where customers' photos, videos and receipts are kept: `file:<directory>` "
        "or `s3://<bucket>[/<prefix>]` (any S3-compatible store)",
    )
    evidence_max_bytes: int = Field(
        25 * 1024 * 1024, gt=0, description="the largest evidence file taken (413 above it)"
    )
    evidence_s3_endpoint_url: str | None = Field(
        None, description="the S3-compatible endpoint (MinIO, Ceph, R2); AWS when unset"
    )
    evidence_s3_region: str | None = None
    evidence_s3_access_key_id: str | None = None
    evidence_s3_secret_access_key: SecretStr | None = None

    policies_dir: Path | None = None

    @property
    def refuses_plaintext(self) -> bool:
        if self.payload_refuse_plaintext is not None:
            return self.payload_refuse_plaintext
        return self.environment is Environment.PRODUCTION

    @property
    def sandbox_mail_url(self) -> str:
        """The SMTP sink's mailbox page, beside the sandbox gateway."""
        base = self.sandbox_public_url or f"http://{self.sandbox_host}:{self.sandbox_port}"
        return f"{base.rstrip('/')}/mail"

    def payload_keyring(self) -> Keyring:
        """The payload keys, from their file when one is named."""
        if self.payload_codec_keys_file is not None:
            return Keyring.from_file(self.payload_codec_keys_file, "payload key")
        return Keyring(self.payload_codec_keys.get_secret_value(), "payload key")

    @model_validator(mode="after")
    def _codec_oidc(self) -> Settings:
        oidc = (self.codec_oidc_issuer, self.codec_oidc_audience, self.codec_oidc_jwks_url)
        if any(oidc) and not all(oidc):
            raise ValueError(
                "the codec's OpenID Connect login needs ORDERFLOW_CODEC_OIDC_ISSUER, "
                "ORDERFLOW_CODEC_OIDC_AUDIENCE and ORDERFLOW_CODEC_OIDC_JWKS_URL"
            )
        return self

    @model_validator(mode="after")
    def _rate_limits(self) -> Settings:
        from limits import parse

        for name in (
            "rate_limit_per_address",
            "rate_limit_per_token",
            "rate_limit_per_key",
            "rate_limit_unauthorized",
        ):
            try:
                parse(getattr(self, name))
            except ValueError as err:
                raise ValueError(
                    f"ORDERFLOW_{name.upper()} must read like `120/minute`: {err}"
                ) from err
        return self

    @model_validator(mode="after")
    def _provider_keys(self) -> Settings:
        for (setting, provider), needed in PROVIDER_KEYS.items():
            if getattr(self, setting) == provider and not all(getattr(self, n) for n in needed):
                names = ", ".join(f"ORDERFLOW_{n.upper()}" for n in needed)
                raise ValueError(f"ORDERFLOW_{setting.upper()}={provider} needs {names}")
        return self

    @model_validator(mode="after")
    def _no_published_secrets_in_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            refused = refusal(self)
            if refused and "environment" not in self.model_fields_set:
                refused = f"ORDERFLOW_ENVIRONMENT is not set, so this runs as production; {refused}"
            if refused:
                raise ValueError(refused)
        return self


# (setting, provider) -> what that provider cannot work without
PROVIDER_KEYS = {
    ("payment_gateway", "stripe"): ("stripe_api_key", "stripe_webhook_secret"),
    ("wallet_gateway", "paypal"): ("paypal_client_id", "paypal_client_secret", "paypal_webhook_id"),
    ("tracking_service", "easypost"): ("easypost_api_key", "easypost_webhook_secret"),
}


def load_settings() -> Settings:
    """The settings of a process that is starting; a process that cannot run on them stops
    here, with the variables to set and nothing else."""
    try:
        return Settings()
    except ValidationError as err:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in err.errors()
        )
        print(f"orderflow cannot start: {reasons}", file=sys.stderr)
        raise SystemExit(2) from err
