"""docker-compose.yml cannot run here (no Docker engine), so its consistency is checked:
it parses, every service it names exists, every ORDERFLOW_ variable is a setting, every
orderflow service's environment makes valid settings, and every command and port fits."""

from __future__ import annotations

import base64
import re
import secrets
import subprocess
import tomllib
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from runtime.settings import Settings, read_env_file
from tests.paths import ROOT

COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
ORDERFLOW = {name: s for name, s in SERVICES.items() if "build" in s}
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def operator_value(name: str) -> str:
    """What an operator's .env gives a variable compose requires: secrets of their own."""
    if name.endswith("_KEYS"):
        return "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    if name.endswith("WEBHOOK_SECRET"):
        return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    if name.endswith("_URL") or name == "OIDC_ISSUER":
        return "https://provider.example/" + name.lower()
    if name == "ORDERFLOW_PUBLIC_HOST":
        return "shop.example"
    if name == "ORDERFLOW_SMTP_HOST":
        return "smtp.example"
    return secrets.token_urlsafe(32)


# A production operator's .env: real providers and their keys, beside the required secrets.
PRODUCTION_ENV = {
    "ORDERFLOW_STRIPE_API_KEY": "sk_live_" + secrets.token_urlsafe(24),
    "ORDERFLOW_STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(24),
    "ORDERFLOW_PAYPAL_CLIENT_ID": "AYSq3RDGsmBLJE-otTkBtM",
    "ORDERFLOW_PAYPAL_CLIENT_SECRET": secrets.token_urlsafe(24),
    "ORDERFLOW_PAYPAL_WEBHOOK_ID": "1JE4291016473214C",
    "ORDERFLOW_EASYPOST_API_KEY": "EZAK" + secrets.token_hex(16),
    "ORDERFLOW_EASYPOST_WEBHOOK_SECRET": secrets.token_urlsafe(24),
}
DEVELOPMENT_ENV = read_env_file(ROOT / "compose.development.env")


def resolved(value: str, env: dict[str, str] | None = None) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, filled as an operator would: from
    their .env, else the default, else (a required variable) a value of their own."""
    given = env or {}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in given:
            return given[name]
        default = re.match(r"\$\{\w+:-([^}]*)\}", match.group(0))
        if default:
            return default.group(1)
        return operator_value(name)

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
        "certs",
        "database-roles",
        "proxy",
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


PROFILES = {"production": PRODUCTION_ENV, "development": DEVELOPMENT_ENV}


def in_profile(name: str, profile: str) -> bool:
    return profile in SERVICES[name].get("profiles", [profile])


@pytest.mark.parametrize(
    ("name", "profile"),
    [(n, p) for n in sorted(ORDERFLOW) for p in PROFILES if in_profile(n, p)],
)
def test_orderflow_services_make_valid_settings(
    name: str, profile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = PROFILES[profile]
    environment = {k: resolved(str(v), env) for k, v in SERVICES[name]["environment"].items()}
    fields = {f"ORDERFLOW_{f.upper()}" for f in Settings.model_fields}
    unknown = {k for k in environment if k.startswith("ORDERFLOW_")} - fields
    assert not unknown, f"{name} sets variables no setting reads: {unknown}"
    for key in [k for k in __import__("os").environ if k.startswith("ORDERFLOW_")]:
        monkeypatch.delenv(key)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment == profile
    urls = [settings.database_url, f"//{settings.temporal_address}"]
    if profile == "development":
        urls += [settings.payment_provider_url, settings.carrier_provider_url]
        assert settings.smtp_host in SERVICES
    for url in urls:
        assert urlparse(url).hostname in SERVICES, f"{name}: {url} names no service"
    assert settings.temporal_tls and settings.temporal_tls_ca_path


@pytest.mark.parametrize("name", sorted(ORDERFLOW))
def test_orderflow_commands_and_ports_exist(name: str) -> None:
    service = SERVICES[name]
    command = service["command"]
    target = command[2] if command[1] == "-m" else command[1]
    assert (ROOT / target).exists() or (ROOT / target / "__main__.py").exists(), command
    environment = service["environment"]
    for setting in ("ORDERFLOW_API_PORT", "ORDERFLOW_SANDBOX_PORT"):
        if setting in environment:
            reached = [str(p).split(":")[-1] for p in service.get("ports", [])]
            reached += [str(p) for p in service.get("expose", [])]
            assert str(environment[setting]) in reached


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
    """Behind a login; the codec is reached with the operator's token, never a path key."""
    ui = SERVICES["temporal-ui"]
    assert ui["image"] == f"temporalio/ui:{release_of('UI')}"
    environment = ui["environment"]
    assert resolved(environment["TEMPORAL_CODEC_ENDPOINT"]) == "https://shop.example/codec"
    assert environment["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"
    assert environment["TEMPORAL_AUTH_ENABLED"] == "true"
    assert "ORDERFLOW_CODEC_UI_KEY" not in str(environment)


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
            if name != "proxy":  # TLS in front of the API, which authenticates every caller
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"
    for name in ("temporal", "api", "worker", "postgresql"):
        assert "ports" not in SERVICES[name], f"{name} is published"
    assert set(SERVICES["proxy"]["ports"]) == {"443:443", "80:80"}
    assert "api:8000" in SERVICES["proxy"]["command"]


def test_the_engine_takes_only_clients_with_the_stacks_certificates() -> None:
    """mTLS: the frontend requires a client certificate; each caller has its own."""
    server = SERVICES["temporal"]["environment"]
    assert server["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true"
    assert server["TEMPORAL_TLS_CLIENT1_CA_CERT"] == "/certs/ca.pem"
    assert SERVICES["temporal"]["depends_on"]["certs"] == {
        "condition": "service_completed_successfully"
    }
    made = " ".join(SERVICES["certs"]["command"])
    for name in ("worker", "api"):
        environment = SERVICES[name]["environment"]
        assert environment["ORDERFLOW_TEMPORAL_TLS_CERT_PATH"] == f"/certs/{name}.pem"
        assert environment["ORDERFLOW_TEMPORAL_TLS_KEY_PATH"] == f"/certs/{name}.key"
    for name in ("temporal", "worker", "api", "ui", "admin"):
        assert name in made
    assert SERVICES["temporal-ui"]["environment"]["TEMPORAL_TLS_CERT"] == "/certs/ui.pem"
    admin = SERVICES["temporal-search-attributes"]["environment"]
    assert admin["TEMPORAL_TLS_CLIENT_CERT_PATH"] == "/certs/admin.pem"


def test_temporal_and_orderflow_have_database_roles_of_their_own() -> None:
    orderflow = resolved(SERVICES["api"]["environment"]["ORDERFLOW_DATABASE_URL"])
    assert urlparse(orderflow).username == "orderflow"
    assert SERVICES["temporal"]["environment"]["POSTGRES_USER"] == "temporal"
    assert SERVICES["temporal-schema"]["environment"]["SQL_USER"] == "temporal"
    roles = " ".join(SERVICES["database-roles"]["command"])
    assert "OWNER $$owner" in roles and "REVOKE ALL ON DATABASE" in roles


def test_sandboxes_and_the_mail_sink_are_in_the_development_profile_only() -> None:
    for name in ("sandbox", "mailpit"):
        assert SERVICES[name]["profiles"] == ["development"], name
    for name, service in SERVICES.items():
        if name not in ("sandbox", "mailpit"):
            assert "profiles" not in service, f"{name} runs in a profile only"
    assert DEVELOPMENT_ENV["ORDERFLOW_ENVIRONMENT"] == "development"
    api = SERVICES["api"]["environment"]
    assert resolved(api["ORDERFLOW_ENVIRONMENT"]) == "production"


def test_metrics_stay_inside_the_network() -> None:
    assert SERVICES["api"]["environment"]["ORDERFLOW_API_METRICS_ADDRESS"] == "0.0.0.0:9465"
    assert "9465" in SERVICES["api"]["expose"] and "ports" not in SERVICES["api"]


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
