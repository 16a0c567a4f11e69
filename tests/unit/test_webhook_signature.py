"""The Standard Webhooks check on the raw body (ARCHITECTURE: webhook signatures)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.webhooks import signed_headers
from starter.problems import Problem
from starter.provider_events import verify

SECRET = "whsec_c2FuZGJveC1jYXJyaWVyLXNlY3JldA=="
OTHER = "whsec_b3RoZXItc2VjcmV0LW9mLTMyLWJ5dGVzLXh4eHg="
BODY = json.dumps(
    {"type": "tracking.updated", "data": {"reference": "o1", "status": "delivered"}},
    separators=(",", ":"),
).encode()


def test_a_correctly_signed_body_passes() -> None:
    verify(BODY, signed_headers(SECRET, "evt_1", BODY), [SECRET])


def test_a_tampered_body_is_refused() -> None:
    headers = signed_headers(SECRET, "evt_1", BODY)
    with pytest.raises(Problem) as refused:
        verify(BODY.replace(b"delivered", b"lost"), headers, [SECRET])
    assert refused.value.status == 401


def test_a_reserialised_json_body_is_refused() -> None:
    headers = signed_headers(SECRET, "evt_1", BODY)
    pretty = json.dumps(json.loads(BODY), indent=2).encode()
    with pytest.raises(Problem):
        verify(pretty, headers, [SECRET])


def test_a_wrong_secret_is_refused() -> None:
    with pytest.raises(Problem):
        verify(BODY, signed_headers(OTHER, "evt_1", BODY), [SECRET])


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_a_timestamp_six_minutes_away_is_refused(skew: timedelta) -> None:
    headers = signed_headers(SECRET, "evt_1", BODY, at=datetime.now(UTC) + skew)
    with pytest.raises(Problem):
        verify(BODY, headers, [SECRET])


def test_a_changed_event_id_is_refused() -> None:
    headers = signed_headers(SECRET, "evt_1", BODY)
    headers["webhook-id"] = "evt_2"
    with pytest.raises(Problem):
        verify(BODY, headers, [SECRET])


@pytest.mark.parametrize("signature", ["", "garbage", "v1,not-base64!", "v2,AAAA"])
def test_malformed_signatures_are_refused_not_crashed(signature: str) -> None:
    headers = signed_headers(SECRET, "evt_1", BODY)
    headers["webhook-signature"] = signature
    with pytest.raises(Problem):
        verify(BODY, headers, [SECRET])


def test_during_a_rotation_either_secret_is_accepted() -> None:
    verify(BODY, signed_headers(OTHER, "evt_1", BODY), [SECRET, OTHER])
    headers = signed_headers(SECRET, "evt_1", BODY)
    both = f"{headers['webhook-signature']} {signed_headers(OTHER, 'evt_1', BODY)['webhook-signature']}"
    verify(BODY, {**headers, "webhook-signature": both}, [OTHER])
