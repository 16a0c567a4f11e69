"""The API's own description: an OpenAPI document that says who may call what, what each
answer holds and what each refusal is; problem `type` URIs that open a page; and `/docs`
rendered from packaged assets on a machine without internet."""

from __future__ import annotations

import asyncio
import re
import subprocess
from typing import Any

import httpx
import pytest

from starter.problems import KINDS, PROBLEM_JSON
from tests.integration.harness import OPERATOR, STOREFRONT, System, order_body
from tests.integration.test_page import CHROMIUM, SHOTS


async def document(system: System) -> dict[str, Any]:
    answer = await system.api.get("/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    ]


async def test_every_operation_names_its_callers_its_answer_and_its_problems(
    system: System,
) -> None:
    spec = await document(system)
    schemes = spec["components"]["securitySchemes"]
    assert {"storefront", "operator", "customer", "standard_webhooks"} <= set(schemes)
    assert all(schemes[name]["scheme"] == "bearer" for name in ("storefront", "operator"))
    for method, path, op in operations(spec):
        where = f"{method} {path}"
        answers = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert answers, where
        for answer in answers.values():
            content = answer["content"]
            schema = next(iter(content.values()))["schema"]
            assert schema and schema != {"type": "object", "additionalProperties": True}, where
        for code, refusal in op["responses"].items():
            if code >= "400" and not (path == "/readyz" and code == "503"):
                assert list(refusal["content"]) == [PROBLEM_JSON], where
                assert "/problems/" in refusal["description"], where
        if path.startswith("/v1/ops/"):
            assert op["security"] == [{"operator": []}], where
            assert "401" in op["responses"], where
        if "{" in path:
            assert "404" in op["responses"], where
    placing = spec["paths"]["/v1/orders"]["post"]
    assert placing["security"] == [{"storefront": []}]
    reading = spec["paths"]["/v1/orders/{order_id}"]["get"]
    assert reading["security"] == [{"customer": []}, {"operator": []}]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


async def test_the_webhook_bodies_are_documented(system: System) -> None:
    spec = await document(system)
    receive = spec["paths"]["/v1/webhooks/{kind}/{provider}"]["post"]
    events = receive["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    names = {event["$ref"].rsplit("/", 1)[-1] for event in events}
    assert names == {"PaymentEvent", "TrackingEvent", "CardEvent"}
    schemas = spec["components"]["schemas"]
    assert "payment.captured" in schemas["PaymentEvent"]["properties"]["type"]["enum"]
    assert "delivered" in str(schemas["TrackingData"]["properties"]["status"])
    assert receive["security"] == [{"standard_webhooks": []}]
    headers = {p["name"] for p in receive["parameters"] if p["in"] == "header"}
    assert {"webhook-id", "webhook-timestamp"} <= headers


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status"),
    [
        ("GET", "/v1/ops/orders", {}, None, 401),
        ("GET", "/v1/orders/nothing-here", OPERATOR, None, 404),
        ("POST", "/v1/orders", STOREFRONT, order_body(merchant="nobody"), 422),
        ("POST", "/v1/webhooks/payments/sandbox", {}, {"type": "payment.captured"}, 401),
        ("GET", "/v1/ops/orders?cursor=not-a-cursor", OPERATOR, None, 400),
    ],
)
async def test_a_problems_type_opens_a_page_describing_it(
    system: System,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any,
    status: int,
) -> None:
    refused = await system.api.request(method, path, headers=headers, json=body)
    assert refused.status_code == status, refused.text
    problem = refused.json()
    assert problem["type"].startswith(system.settings.public_base_url + "/problems/")
    async with httpx.AsyncClient(timeout=10) as browser:
        page = await browser.get(problem["type"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    kind = problem["type"].rsplit("/", 1)[-1]
    title, kind_status, _ = KINDS[kind]
    assert f"<h1>{title.replace(chr(39), '&#x27;')}</h1>" in page.text
    assert kind_status == status
    unknown = await system.api.get("/problems/no-such-kind")
    assert unknown.status_code == 404


async def test_docs_are_served_from_packaged_assets(system: System) -> None:
    docs = await system.api.get("/docs")
    assert docs.status_code == 200
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", docs.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        asset = await system.api.get(source)
        assert asset.status_code == 200 and len(asset.content) > 1000, source
    redoc = await system.api.get("/redoc")
    assert redoc.status_code == 200 and "/static/docs/" in redoc.text


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: apt-get install chromium")
async def test_docs_render_every_operation_in_a_browser(system: System) -> None:
    assert CHROMIUM is not None
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = f"{system.settings.public_base_url}/docs"
    common = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=15000",
        "--window-size=1200,1600",
    ]
    shot = SHOTS / "api-docs.png"
    taken = await asyncio.to_thread(
        subprocess.run, [*common, f"--screenshot={shot}", url], capture_output=True, timeout=90
    )
    assert taken.returncode == 0 and shot.stat().st_size > 10_000
    dom = await asyncio.to_thread(
        subprocess.run, [*common, "--dump-dom", url], capture_output=True, text=True, timeout=90
    )
    spec = await document(system)
    rendered = set(re.findall(r'id="operations-(?!tag-)[^"]*?-([A-Za-z0-9_]+)"', dom.stdout))
    assert rendered == {op["operationId"] for _, _, op in operations(spec)}
