"""The Web UI signs operators in through the merchant's OpenID Connect provider and passes
their access token to the codec server: a token the issuer signed for orderflow's audience,
unexpired, of the operators' group opens payloads; anything else is a 401. In production the
development path key to the codec does not exist (API2, API5)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from runtime.postgres import free_port
from tests.integration.harness import System, serve
from tests.integration.test_api_contract import assert_problem

ISSUER, AUDIENCE = "https://login.shop.example", "orderflow-codec"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(key: Any = KEY, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-1",
        "email": "ines@shop.example",
        "groups": ["operators"],
        "iat": now,
        "exp": now + 300,
        **changes,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
async def signed_in(
    system_with: Callable[..., AbstractAsyncContextManager[System]],
) -> AsyncIterator[System]:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
    issuer = FastAPI()
    issuer.get("/jwks")(lambda: {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
    port = free_port()
    async with serve(issuer, port):
        async with system_with(
            with_worker=False,
            codec_oidc_issuer=ISSUER,
            codec_oidc_audience=AUDIENCE,
            codec_oidc_jwks_url=f"http://127.0.0.1:{port}/jwks",
            codec_oidc_group="operators",
        ) as running:
            yield running


async def decode(system: System, bearer: str) -> Any:
    return await system.api.post(
        "/codec/decode", headers={"Authorization": f"Bearer {bearer}"}, json={"payloads": []}
    )


async def test_an_operator_signed_in_at_the_issuer_opens_payloads(signed_in: System) -> None:
    assert (await decode(signed_in, token())).status_code == 200


@pytest.mark.parametrize(
    "refused",
    [
        {"aud": "another-app"},
        {"iss": "https://elsewhere.example"},
        {"exp": int(time.time()) - 10},
        {"groups": ["customers"]},
        {"key": OTHER},
    ],
)
async def test_a_token_not_signed_for_orderflows_operators_is_401(
    signed_in: System, refused: dict[str, Any]
) -> None:
    changes = dict(refused)
    key = changes.pop("key", KEY)
    assert_problem(await decode(signed_in, token(key, **changes)), 401)


async def test_production_has_no_path_key_to_the_codec(production_system: System) -> None:
    key = production_system.settings.codec_ui_key.get_secret_value()
    answer = await production_system.api.post(
        f"/codec/ui/{key}/decode",
        headers={"Origin": production_system.settings.temporal_ui_url},
        json={"payloads": []},
    )
    assert_problem(answer, 404)
