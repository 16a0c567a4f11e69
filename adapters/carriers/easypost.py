"""EasyPost trackers: where parcels are, whichever carrier sold their label.

A tracker is registered for each label; EasyPost then sends `tracker.updated` events to the
webhook, signed with an HMAC of the body (`X-Hmac-Signature: hmac-sha256-hex=…`, no
timestamp: a replay is caught by the inbox's event IDs). When a parcel is quiet the order
asks, and the tracker is read again.

Over httpx: EasyPost's own package is synchronous (`requests`), which would hold up the
worker's event loop. Its statuses are told in orderflow's tracking states here, so no
EasyPost name reaches a workflow.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from typing import Any

import httpx

from adapters.http import checked, sent
from domain.policy import Carrier
from domain.status import BackReason, TrackingStatus

LIVE_API = "https://api.easypost.com"
SIGNATURE_HEADER = "x-hmac-signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="

# EasyPost tracker status -> orderflow's tracking state; None: nothing known yet
STATUSES: dict[str, TrackingStatus | None] = {
    "unknown": None,
    "pre_transit": TrackingStatus.PRE_TRANSIT,
    "in_transit": TrackingStatus.IN_TRANSIT,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    # at a pickup point, waiting for the customer: the last step before delivery
    "available_for_pickup": TrackingStatus.OUT_FOR_DELIVERY,
    "delivered": TrackingStatus.DELIVERED,
    "return_to_sender": TrackingStatus.RETURN_TO_SENDER,
    "failure": TrackingStatus.EXCEPTION,
    "error": None,  # EasyPost could not read the carrier
    "cancelled": None,  # the tracker was stopped
}
# orderflow's carriers by EasyPost's carrier names; others are left to EasyPost to detect
CARRIERS = {Carrier.DHL: "DHLExpress", Carrier.FEDEX: "FedEx"}


def _code(response: httpx.Response) -> str | None:
    """EasyPost's error code (`TRACKER.TRACKING_CODE.INVALID`) of a refusal."""
    if response.status_code < 400:
        return None
    try:
        return str((response.json().get("error") or {}).get("code"))
    except (ValueError, AttributeError):
        return None


def status_of(tracker: dict[str, Any]) -> TrackingStatus | None:
    return STATUSES.get(str(tracker.get("status")))


def back_reason_of(tracker: dict[str, Any]) -> BackReason | None:
    """`customs` when a parcel coming back was held or refused at customs, as the tracker's
    status detail or the carrier's last message says; None when it does not say why."""
    if status_of(tracker) is not TrackingStatus.RETURN_TO_SENDER:
        return None
    details = tracker.get("tracking_details") or []
    last = details[-1] if details else {}
    said = " ".join(
        str(part)
        for part in (tracker.get("status_detail"), last.get("status_detail"), last.get("message"))
        if part
    )
    return BackReason.CUSTOMS if "customs" in said.lower() else None


class EasyPostTracking:
    name = "easypost"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = LIVE_API,
        timeout: float = 10.0,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), auth=(api_key, ""), timeout=timeout
        )

    async def _call(self, method: str, path: str, json: Any = None) -> dict[str, Any]:
        where = f"easypost: {method} {path}"
        response = await sent(self._http, method, path, where, json=json)
        body: dict[str, Any] = checked(response, where, _code(response)).json()
        return body

    async def register(self, tracking_number: str, carrier: Carrier) -> dict[str, Any]:
        """A tracker for the parcel (EasyPost answers the existing one for a code it tracks)."""
        tracker: dict[str, str] = {"tracking_code": tracking_number}
        if carrier in CARRIERS:
            tracker["carrier"] = CARRIERS[carrier]
        return await self._call("POST", "/v2/trackers", {"tracker": tracker})

    async def read(self, tracker_id: str) -> dict[str, Any]:
        return await self._call("GET", f"/v2/trackers/{tracker_id}")

    async def aclose(self) -> None:
        await self._http.aclose()


def signature(body: bytes, secret: str) -> str:
    """EasyPost's signature of a body: HMAC-SHA256 keyed with the NFKD form of the secret."""
    key = unicodedata.normalize("NFKD", secret).encode()
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def signed_by(body: bytes, header: str, secrets: list[str]) -> bool:
    """Whether any of the secrets (several during a rotation) signed this body."""
    given = header.encode("utf-8", "surrogateescape")  # any header, ASCII or not, compared
    return any(hmac.compare_digest(signature(body, secret).encode(), given) for secret in secrets)


def event_of(payload: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """A verified EasyPost event as (event ID, orderflow's tracking event); None for an
    event or a status orderflow does not use."""
    if payload.get("description") != "tracker.updated":
        return None
    tracker = payload.get("result") or {}
    status = status_of(tracker)
    if status is None:
        return None
    details = tracker.get("tracking_details") or []
    occurred = details[-1].get("datetime") if details else None
    data = {
        "tracking_number": tracker.get("tracking_code"),
        "status": status.value,
        "occurred_at": occurred or tracker.get("updated_at"),
    }
    reason = back_reason_of(tracker)
    if reason is not None:
        data["reason"] = reason
    return str(payload["id"]), {"type": "tracking.updated", "data": data}
