"""What a handler needs, as typed dependencies: it names them in its signature (`pool:
PoolDep`) and FastAPI hands them over. The process builds each once at start (`starter.app`);
this is the one module that reads them from the app's state.

The dependencies are coroutines: FastAPI runs a plain function dependency in a worker thread,
and a hop to a thread and back for each of a request's dependencies cost the webhook door
more than its database insert (docs/performance.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, TypeVar

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


T = TypeVar("T")


def _awaited(read: Callable[[Request], T]) -> Callable[[Request], Awaitable[T]]:
    """`read` as a dependency FastAPI awaits on the event loop."""

    async def dependency(request: Request) -> T:
        return read(request)

    dependency.__name__, dependency.__doc__ = read.__name__, read.__doc__
    return dependency


PoolDep = Annotated[asyncpg.Pool, Depends(_awaited(pool))]
TemporalDep = Annotated[Client, Depends(_awaited(temporal))]
SettingsDep = Annotated[Settings, Depends(_awaited(settings))]
PresetsDep = Annotated[Mapping[str, Policy], Depends(_awaited(presets))]
EvidenceDep = Annotated[EvidenceStore, Depends(_awaited(evidence))]
SealerDep = Annotated[Sealer, Depends(_awaited(sealer))]
TokenKeysDep = Annotated[TokenKeys, Depends(_awaited(token_keys))]
CodecDep = Annotated[EncryptionCodec, Depends(_awaited(codec))]
OidcDep = Annotated[OidcOperators | None, Depends(_awaited(oidc))]
PayPalDep = Annotated[PayPalGateway | None, Depends(_awaited(paypal))]
RelayDep = Annotated[Relay | None, Depends(_awaited(relay))]
