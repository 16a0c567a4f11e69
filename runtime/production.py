"""What production refuses to start on: secrets and keys published with the code, secrets of
the deployment's own too weak to withstand guessing, key files holding a development key,
and sandbox providers (whose webhooks production never takes)."""

from __future__ import annotations

import math
from typing import Any

from pydantic import SecretStr

# The values published with the code: the settings' development defaults, refused here.
DEV_SECRET = "change-me"
DEV_CARD_CODE_KEYS = "dev:ZGV2LW9ubHktY2FyZC1jb2RlLWtleS0zMi1ieXRlcyE="
DEV_PAYLOAD_CODEC_KEYS = "dev:ZGV2LW9ubHktdGVtcG9yYWwtcGF5bG9hZC1rZXkhISE="

SANDBOX_PAYMENTS = ("payment_provider_api_key", "payment_webhook_secret")
# (setting, what production must set it to): a sandbox's webhooks are not taken in production
REAL_PROVIDERS = {
    "payment_gateway": "stripe",
    "wallet_gateway": "paypal",
    "tracking_service": "easypost",
}
# Secrets that the deployment makes for itself (provider-issued keys are what they are).
OWN_SECRETS = ("storefront_api_key", "operator_api_key", "order_token_secret", "codec_ui_key")
STRONG_BITS = 256
DEV_KEY_LINES = {DEV_CARD_CODE_KEYS, DEV_PAYLOAD_CODEC_KEYS}


def sandbox_providers(settings: Any) -> list[str]:
    """`ORDERFLOW_<SETTING>=<real provider>` for each kind the sandbox still serves."""
    return [
        f"ORDERFLOW_{name.upper()}={real}"
        for name, real in REAL_PROVIDERS.items()
        if getattr(settings, name) != real
    ]


HEX = frozenset("0123456789abcdefABCDEF")
BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")


def entropy_bits(secret: str) -> float:
    """A secret's strength as a guess would find it, for the encodings random secrets are
    written in: 4 bits a character in hex, 6 in base64 (either alphabet), 6.5 otherwise (any
    printable character); a repetition of a few characters counts only those."""
    if not secret:
        return 0.0
    chars = set(secret)
    bits = 4.0 if chars <= HEX else 6.0 if chars <= BASE64 else math.log2(95)
    enough = min(2 ** (bits - 1), len(secret) // 2)  # half the alphabet, or of the length
    counted = len(secret) if len(chars) >= enough else len(chars)
    return counted * bits


def weak_secrets(settings: Any) -> list[str]:
    """The deployment's own secrets weaker than `STRONG_BITS`; among several kept for a
    rotation, any one."""
    weak = []
    for name in OWN_SECRETS:
        values = getattr(settings, name).get_secret_value().split()
        for value in values:
            _, _, key = value.rpartition(":") if name == "order_token_secret" else ("", "", value)
            if entropy_bits(key) < STRONG_BITS:
                weak.append(name)
                break
    return weak


def published_secrets(settings: Any) -> list[str]:
    """The secret settings still holding the value published with the code (the development
    and sandbox defaults), or empty; among several space-separated keys (a rotation), any one."""
    published = []
    for name, field in type(settings).model_fields.items():
        value = getattr(settings, name)
        if not isinstance(value, SecretStr):
            continue
        if name == "payload_codec_keys" and settings.payload_codec_keys_file is not None:
            continue  # the keys come from the file
        if name in SANDBOX_PAYMENTS and "sandbox" not in (
            settings.payment_gateway,
            settings.wallet_gateway,
        ):
            continue  # not used: other gateways take the payments
        default = field.default.get_secret_value() if isinstance(field.default, SecretStr) else ""
        given = value.get_secret_value().split()
        if field.default is None and not given:
            continue  # an optional secret left empty is not set
        if not given or (default and default in given) or DEV_SECRET in given:
            published.append(name)
    return published


def refusal(settings: Any) -> str | None:
    """Why production cannot start on these settings (each variable to set), or None."""
    published = published_secrets(settings)
    if published:
        return (
            "production needs secrets of its own, not the development and sandbox defaults "
            "everyone can read: set " + ", ".join(f"ORDERFLOW_{n.upper()}" for n in published)
        )
    sandboxes = sandbox_providers(settings)
    if sandboxes:
        return (
            "production takes no sandbox provider (their webhooks are not received in "
            "production): set " + ", ".join(sandboxes)
        )
    weak = weak_secrets(settings)
    if weak:
        return (
            f"production needs secrets of at least {STRONG_BITS // 8} bytes of entropy "
            "(`python -c 'import secrets; print(secrets.token_urlsafe(32))'`): set "
            + ", ".join(f"ORDERFLOW_{n.upper()}" for n in weak)
        )
    if settings.payload_codec_keys_file is not None:
        if set(settings.payload_keyring().key_lines) & DEV_KEY_LINES:
            return (
                f"the payload key file {settings.payload_codec_keys_file} holds a development "
                "key: make new keys and keep only those"
            )
    return None
