"""Operators signed in through the merchant's OpenID Connect provider: the Web UI's login
passes its access token to the codec server (`TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`), which
takes it as an operator's credential when the issuer signed it for orderflow's audience."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
import structlog

log = structlog.get_logger("orderflow.api.oidc")
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


class OidcOperators:
    def __init__(self, settings: Any) -> None:
        self.issuer = settings.codec_oidc_issuer
        self.audience = settings.codec_oidc_audience
        self.group = settings.codec_oidc_group
        # PyJWKClient caches the issuer's keys and fetches them again for a key ID it has not
        # seen (a rotation at the issuer).
        self.keys = jwt.PyJWKClient(settings.codec_oidc_jwks_url, cache_keys=True, timeout=5)

    async def who(self, token: str) -> str | None:
        """The operator an access token names (its e-mail, else its subject), or None when
        the issuer did not sign it for this audience, it has expired, or lacks the group."""
        if token.count(".") != 2:
            return None
        try:
            key = await asyncio.to_thread(self.keys.get_signing_key_from_jwt, token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except (jwt.PyJWTError, jwt.PyJWKClientError) as err:
            log.info("operator token refused", reason=type(err).__name__)
            return None
        if self.group and self.group not in (claims.get("groups") or []):
            log.info("operator token refused", reason="not in the operators' group")
            return None
        return str(claims.get("email") or claims["sub"])
