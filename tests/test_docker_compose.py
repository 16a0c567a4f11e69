"""docker-compose.yml cannot run here (no Docker engine), so its consistency is checked:
it parses, every service it names exists, every ORDERFLOW_ variable is a setting, every
orderflow service's environment makes valid settings, and every command and port fits."""

from __future__ import annotations

import re
import subprocess
import tomllib
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from runtime.settings import Settings
from tests.paths import ROOT

COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
ORDERFLOW = {name: s for name, s in SERVICES.items() if "build" in s}
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def resolved(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, filled as an operator would."""

    def fill(match: re.Match[str]) -> str:
        default = re.match(r"\$\{\w+:-([^}]*)\}", match.group(0))
        return default.group(1) if default else f"value-of-{match.group(1).lower()}"

    return VARIABLE.sub(fill, value)


def test_the_stack_has_every_process_of_the_architecture() -> None:
    assert {
        "postgresql",
        "temporal",
        "temporal-ui",
        "temporal-search-attributes",
        "mailpit",
        "worker",
        "api",
        "sandbox",
    } <= set(SERVICES)


def test_every_dependency_is_a_service() -> None:
    for name, service in SERVICES.items():
        depends = service.get("depends_on", {})
        for dependency in depends if isinstance(depends, (list, dict)) else []:
            assert dependency in SERVICES, f"{name} depends on unknown service {dependency}"


def test_the_search_attributes_registered_are_orderflows() -> None:
    from workflows.names import SEARCH_ATTRIBUTES

    script = " ".join(SERVICES["temporal-search-attributes"]["command"])
    for key in SEARCH_ATTRIBUTES:
        assert key.name in script


@pytest.mark.parametrize("name", sorted(ORDERFLOW))
def test_orderflow_services_make_valid_settings(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {k: resolved(str(v)) for k, v in SERVICES[name]["environment"].items()}
    fields = {f"ORDERFLOW_{f.upper()}" for f in Settings.model_fields}
    unknown = {k for k in environment if k.startswith("ORDERFLOW_")} - fields
    assert not unknown, f"{name} sets variables no setting reads: {unknown}"
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    for url in (
        settings.database_url,
        settings.payment_provider_url,
        settings.carrier_provider_url,
        settings.sandbox_webhook_url,
        f"//{settings.temporal_address}",
    ):
        assert urlparse(url).hostname in SERVICES, f"{name}: {url} names no service"
    assert settings.smtp_host in SERVICES


@pytest.mark.parametrize("name", sorted(ORDERFLOW))
def test_orderflow_commands_and_ports_exist(name: str) -> None:
    service = SERVICES[name]
    command = service["command"]
    target = command[2] if command[1] == "-m" else command[1]
    assert (ROOT / target).exists() or (ROOT / target / "__main__.py").exists(), command
    environment = service["environment"]
    for setting in ("ORDERFLOW_API_PORT", "ORDERFLOW_SANDBOX_PORT"):
        if setting in environment:
            published = [str(p).split(":")[-1] for p in service.get("ports", [])]
            assert str(environment[setting]) in published


def test_the_dockerfile_copies_only_what_exists() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (\S+)", dockerfile, flags=re.M):
        for part in source.split():
            assert (ROOT / part).exists(), f"Dockerfile copies missing {part}"
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    copied = set(re.findall(r"^COPY (\w+) ", dockerfile, flags=re.M))
    # the test suite, the benchmarks and the chaos run work from a checkout, never the image
    assert packages - {"tests", "bench", "chaos"} <= copied, (
        f"packages not in the image: {packages - copied}"
    )


def test_compose_secrets_are_required_not_defaulted() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in (
        "ORDERFLOW_STOREFRONT_API_KEY",
        "ORDERFLOW_OPERATOR_API_KEY",
        "ORDERFLOW_ORDER_TOKEN_SECRET",
        "ORDERFLOW_CARD_CODE_KEYS",
    ):
        assert re.search(rf"\$\{{{secret}:\?", text), f"{secret} must be required in compose"


def release_of(part: str) -> str:
    """The Temporal server or UI release the tests run (the `temporal` CLI embeds both)."""
    from tests.conftest import SCRIPTS

    said = subprocess.run(
        [str(SCRIPTS / "temporal"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(rf"{part} ([0-9.]+)", said)
    assert found, said
    return found.group(1)


def test_temporal_is_its_server_image_on_a_schema_the_admin_tools_set_up() -> None:
    images = {name: str(s.get("image", "")) for name, s in SERVICES.items()}
    assert not any("auto-setup" in image for image in images.values())
    server = release_of("Server")
    assert images["temporal"] == f"temporalio/server:{server}"
    assert (
        images["temporal-schema"]
        == images["temporal-search-attributes"]
        == (f"temporalio/admin-tools:{server}")
    )
    schema = " ".join(SERVICES["temporal-schema"]["command"])
    assert "setup-schema" in schema and "update-schema" in schema
    assert SERVICES["temporal"]["depends_on"]["temporal-schema"] == {
        "condition": "service_completed_successfully"
    }


def test_the_web_ui_is_the_tested_release_and_decodes_through_the_codec() -> None:
    ui = SERVICES["temporal-ui"]
    assert ui["image"] == f"temporalio/ui:{release_of('UI')}"
    endpoint = resolved(ui["environment"]["TEMPORAL_CODEC_ENDPOINT"])
    assert endpoint.endswith("/codec/ui/value-of-orderflow_codec_ui_key")


def test_registering_search_attributes_fails_when_registration_fails() -> None:
    job = SERVICES["temporal-search-attributes"]
    assert job["entrypoint"][-1] == "-ec"  # sh -e: the first failing command fails the job
    assert "|| true" not in " ".join(job["command"])


def test_every_service_restarts_and_orderflow_reports_its_health() -> None:
    for name, service in SERVICES.items():
        assert service.get("restart") in ("unless-stopped", "on-failure"), name
    for name in ("worker", "api", "postgresql", "temporal"):
        assert "healthcheck" in SERVICES[name], name


def test_nothing_without_authentication_is_published_beyond_this_host() -> None:
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            if name != "api":  # the API authenticates every caller
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"
    assert "ports" not in SERVICES["temporal"]


def test_the_image_installs_exactly_the_locked_dependencies() -> None:
    from packaging.requirements import Requirement

    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            pinned, _, digest = line.partition(" --hash=sha256:")
            name, _, version = pinned.partition("==")
            assert re.fullmatch(r"[0-9a-f]{64}", digest), line
            pins[name] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dependency in project["dependencies"]:
        required = Requirement(dependency)
        if required.marker is not None and not required.marker.evaluate({"sys_platform": "linux"}):
            continue
        name = required.name.lower().replace("_", "-")
        assert name in pins, f"requirements.lock misses {name}: run make lock"
        assert required.specifier.contains(pins[name]), f"{name}=={pins[name]}: run make lock"
