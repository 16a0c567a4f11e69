"""The shared operator key is for development only: in production only an operator's own
credential opens the operator endpoints."""

from __future__ import annotations

from types import SimpleNamespace

from fastapi import Request

from starter.auth import SHARED_KEY, acting, operator_name

KEY = "a-long-shared-operator-key"


def request(environment: str, bearer: str, named: str | None = None) -> Request:
    settings = SimpleNamespace(
        environment=environment, operator_api_key=SimpleNamespace(get_secret_value=lambda: KEY)
    )
    app = SimpleNamespace(state=SimpleNamespace(settings=settings))
    scope = {
        "type": "http",
        "app": app,
        "headers": [(b"authorization", f"Bearer {bearer}".encode())],
        "state": {"operator": named} if named else {},
    }
    return Request(scope)


def test_the_shared_key_works_in_development_and_test_only() -> None:
    assert operator_name(request("development", KEY)) == SHARED_KEY
    assert operator_name(request("test", KEY)) == SHARED_KEY
    assert operator_name(request("production", KEY)) is None
    assert operator_name(request("development", "guess")) is None


def test_a_named_credential_decides_who_acted_whatever_the_body_says() -> None:
    named = request("production", "op_x_y", named="amira")
    assert operator_name(named) == "amira"
    assert acting(named, "someone else") == "amira"
    assert acting(request("development", KEY), "Léa") == "Léa"
    assert acting(request("development", KEY), "") == SHARED_KEY
