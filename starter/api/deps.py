"""What a handler needs, as typed dependencies: it names them in its signature (`pool:
PoolDep`) and FastAPI hands them over. The process builds each once at start (`starter.app`);
this is the one module that reads them from the app's state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from temporalio.client import Client

from adapters.payments.paypal import PayPalGateway
from adapters.storage import EvidenceStore
from domain.policy import Policy
from runtime.codec import EncryptionCodec
from runtime.settings import Settings
from runtime.tokens import TokenKeys
from starter.oidc import OidcOperators
from starter.relay.relay import Relay
from store.sealing import Sealer


def pool(request: Request) -> asyncpg.Pool:
    """The process's PostgreSQL pool."""
    return request.app.state.pool


def temporal(request: Request) -> Client:
    """The process's Temporal client."""
    return request.app.state.temporal


def settings(request: Request) -> Settings:
    return request.app.state.settings


def body_limit(request: Request, default: int) -> int:
    """The most bytes a request body may have: the setting, once the process has started."""
    settings = getattr(request.app.state, "settings", None)
    return int(getattr(settings, "api_max_body_bytes", default))


def presets(request: Request) -> Mapping[str, Policy]:
    """The merchants' policy presets, by merchant."""
    return request.app.state.presets


def evidence(request: Request) -> EvidenceStore:
    """Where evidence files are kept (sealed)."""
    return request.app.state.evidence


def sealer(request: Request) -> Sealer:
    """Seals and opens what is kept encrypted at rest (card codes, what customers typed)."""
    return request.app.state.sealer


def token_keys(request: Request) -> TokenKeys:
    """The keys customers' order and subscription tokens are signed with."""
    return request.app.state.token_keys


def codec(request: Request) -> EncryptionCodec:
    """The Temporal payload codec, for the codec server."""
    return request.app.state.codec


def oidc(request: Request) -> OidcOperators | None:
    """The merchant's OpenID Connect sign-in for operators, where it is configured."""
    return request.app.state.oidc


def paypal(request: Request) -> PayPalGateway | None:
    """PayPal, where it takes payments (it verifies PayPal's webhooks)."""
    return request.app.state.paypal


def relay(request: Request) -> Relay | None:
    """The relay running in this process, where it does."""
    return request.app.state.relay


PoolDep = Annotated[asyncpg.Pool, Depends(pool)]
TemporalDep = Annotated[Client, Depends(temporal)]
SettingsDep = Annotated[Settings, Depends(settings)]
PresetsDep = Annotated[Mapping[str, Policy], Depends(presets)]
EvidenceDep = Annotated[EvidenceStore, Depends(evidence)]
SealerDep = Annotated[Sealer, Depends(sealer)]
TokenKeysDep = Annotated[TokenKeys, Depends(token_keys)]
CodecDep = Annotated[EncryptionCodec, Depends(codec)]
OidcDep = Annotated[OidcOperators | None, Depends(oidc)]
PayPalDep = Annotated[PayPalGateway | None, Depends(paypal)]
RelayDep = Annotated[Relay | None, Depends(relay)]
