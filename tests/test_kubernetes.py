"""deploy/kubernetes, checked offline: every manifest is valid against the Kubernetes API's
own schemas (strict: an unknown field fails), the kustomization applies all of them, every
variable, ConfigMap, Secret, command, port and probe they name exists in orderflow, the
settings they give a process are taken in production once the Secrets hold real values (and
refused, naming the variable, while they hold the empty placeholders), the search-attribute
job registers the workflows' attributes, and the Temporal chart's values run the release the
tests run, on PostgreSQL, with mutual TLS."""

from __future__ import annotations

import copy
import functools
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import ValidationError

from runtime.settings import Settings
from starter.app import create_app
from tests.conftest import SCRIPTS
from tests.paths import ROOT
from tests.unit.test_production_settings import REAL_PROVIDERS, own_value
from workflows.names import SEARCH_ATTRIBUTES

FOLDER = ROOT / "deploy" / "kubernetes"
NOT_MANIFESTS = {"kustomization.yaml", "temporal-values.yaml"}
KUBERNETES = "1.31.0"


@functools.cache
def manifests() -> tuple[tuple[Path, dict[str, Any]], ...]:
    """Every document of every manifest, read once."""
    return tuple(
        (path, doc)
        for path in sorted(FOLDER.glob("*.yaml"))
        if path.name not in NOT_MANIFESTS
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    )


def named(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == kind}


def containers() -> list[dict[str, Any]]:
    found = []
    for kind in ("Deployment", "Job"):
        for doc in named(kind).values():
            found += doc["spec"]["template"]["spec"]["containers"]
    return found


def variable(name: str) -> str:
    return f"ORDERFLOW_{name.upper()}"


SETTINGS = {variable(name) for name in Settings.model_fields}


@pytest.mark.parametrize(
    "doc", [doc for _, doc in manifests()], ids=[f"{p.name}:{d['kind']}" for p, d in manifests()]
)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_the_validation_is_strict_enough_to_fail() -> None:
    worker = copy.deepcopy(named("Deployment")["orderflow-worker"])
    worker["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}  # a typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(worker, KUBERNETES, strict=True)


def test_the_kustomization_applies_every_manifest() -> None:
    kustomization = yaml.safe_load((FOLDER / "kustomization.yaml").read_text())
    present = {p.name for p in FOLDER.glob("*.yaml")} - NOT_MANIFESTS
    assert set(kustomization["resources"]) == present
    assert kustomization["namespace"] == named("Namespace").popitem()[0]


def test_every_variable_they_set_is_a_setting_and_every_reference_exists() -> None:
    config = named("ConfigMap")["orderflow-config"]["data"]
    secrets = named("Secret")
    values = set(config) | set(secrets["orderflow-secrets"]["stringData"])
    assert values <= SETTINGS, values - SETTINGS
    assert not set(config) & set(secrets["orderflow-secrets"]["stringData"])
    for container in containers():
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef") or source["secretRef"]
            assert ref["name"] in named("ConfigMap") | secrets, ref
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("configMapKeyRef")
            if ref:
                assert ref["key"] in named(ref.get("kind", "ConfigMap"))[ref["name"]]["data"]
    for kind in ("Deployment", "Job"):
        for doc in named(kind).values():
            for volume in doc["spec"]["template"]["spec"].get("volumes", []):
                if "secret" in volume:
                    assert volume["secret"]["secretName"] in secrets
                    tls = secrets[volume["secret"]["secretName"]]["stringData"]
                    mounted = "/certs/"
                    for path in ("TEMPORAL_TLS_CA_PATH", "TEMPORAL_TLS_CERT_PATH"):
                        assert config[f"ORDERFLOW_{path}"].removeprefix(mounted) in tls


def test_the_settings_they_give_are_taken_in_production_once_the_secrets_are_filled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("ORDERFLOW_"):
            monkeypatch.delenv(name)
    for name, value in named("ConfigMap")["orderflow-config"]["data"].items():
        monkeypatch.setenv(name, value)
    placeholders = named("Secret")["orderflow-secrets"]["stringData"]
    assert set(placeholders.values()) == {""}  # nothing real is kept in the repository
    for name in placeholders:
        monkeypatch.setenv(name, "")
    with pytest.raises(ValidationError, match="ORDERFLOW_"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    for name in placeholders:
        setting = name.removeprefix("ORDERFLOW_").lower()
        real = REAL_PROVIDERS.get(setting)
        if setting == "database_url":
            real = "postgresql://orderflow:a-long-password@postgresql:5432/orderflow"
        monkeypatch.setenv(name, real or own_value(setting))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment.value == "production" and settings.temporal_tls


def test_commands_ports_and_probes_are_the_processes_own() -> None:
    config = named("ConfigMap")["orderflow-config"]["data"]
    by_name = {c["name"]: c for c in containers()}
    assert by_name["worker"]["command"] == ["python", "worker.py"] and (ROOT / "worker.py").exists()
    assert by_name["api"]["command"] == ["python", "-m", "starter"]
    assert (ROOT / "starter" / "__main__.py").exists()
    from cli.main import app

    assert by_name["migrate"]["command"] == ["orderflow", "migrate"]
    assert "migrate" in {c.name for c in app.registered_commands}
    ports = {
        c["name"]: {p["name"]: p["containerPort"] for p in c["ports"]}
        for c in containers()
        if "ports" in c
    }
    assert ports["api"]["http"] == int(config["ORDERFLOW_API_PORT"])
    assert ports["api"]["metrics"] == int(config["ORDERFLOW_API_METRICS_ADDRESS"].split(":")[1])
    assert ports["worker"]["metrics"] == int(
        config["ORDERFLOW_WORKER_METRICS_ADDRESS"].split(":")[1]
    )
    app = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    api = by_name["api"]
    assert api["readinessProbe"]["httpGet"]["path"] == app.url_path_for("readyz")
    assert api["livenessProbe"]["httpGet"]["path"] == app.url_path_for("healthz")
    service = named("Service")["orderflow-api"]
    assert (
        service["spec"]["selector"]
        == named("Deployment")["orderflow-api"]["spec"]["selector"]["matchLabels"]
    )


def test_the_search_attribute_job_registers_the_workflows_attributes() -> None:
    job = named("Job")["orderflow-search-attributes"]
    env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["SEARCH_ATTRIBUTES"]["value"].split() == [key.name for key in SEARCH_ATTRIBUTES]


def test_the_worker_autoscaler_reads_the_workflow_task_slots() -> None:
    hpa = named("HorizontalPodAutoscaler")["orderflow-worker"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "orderflow-worker"
    slots = next(m["pods"] for m in hpa["spec"]["metrics"] if m["type"] == "Pods")
    assert slots["metric"]["name"] == "temporal_worker_task_slots_used"
    per_pod = int(
        named("ConfigMap")["orderflow-config"]["data"]["ORDERFLOW_WORKER_WORKFLOW_TASK_SLOTS"]
    )
    assert 0 < int(slots["target"]["averageValue"]) < per_pod


def test_the_temporal_chart_values_run_the_tested_release_on_postgresql_with_mtls() -> None:
    values = yaml.safe_load((FOLDER / "temporal-values.yaml").read_text())
    version = subprocess.run(
        [str(SCRIPTS / "temporal"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    server, ui = re.search(r"Server ([\d.]+), UI ([\d.]+)", version).groups()  # type: ignore[union-attr]
    assert values["server"]["image"]["tag"] == server and values["web"]["image"]["tag"] == ui
    stores = values["server"]["config"]["persistence"]["datastores"]
    assert {s["sql"]["pluginName"] for s in stores.values()} == {"postgres12"}
    assert all(s["sql"]["existingSecret"] and "password" not in s["sql"] for s in stores.values())
    assert values["server"]["tls"]["frontend"]["requireClientAuth"] is True
    config = named("ConfigMap")["orderflow-config"]["data"]
    created = [n["name"] for n in values["server"]["config"]["namespaces"]["namespace"]]
    assert config["ORDERFLOW_TEMPORAL_NAMESPACE"] in created
    assert config["ORDERFLOW_TEMPORAL_ADDRESS"].startswith("temporal-frontend.temporal.svc")


# Measured by `make bench` (docs/performance.md, "Orders at rest"): a worker's RSS at start and
# per cached workflow run, without the sandbox and with it (ORDERFLOW_WORKFLOW_SANDBOX).
WORKER_START_MB = {False: 140, True: 210}
PER_CACHED_RUN_MB = {False: 0.2, True: 0.85}


def test_the_worker_memory_limit_holds_its_workflow_cache() -> None:
    """A worker whose cache outgrows its memory limit is killed by the kernel, with every
    order it held to replay: the limit holds the start-up memory and the cache the settings
    give, as measured."""
    config = named("ConfigMap")["orderflow-config"]["data"]
    cached = int(config["ORDERFLOW_WORKER_CACHED_WORKFLOWS"])
    default = str(Settings.model_fields["workflow_sandbox"].default).lower()
    sandboxed = config.get("ORDERFLOW_WORKFLOW_SANDBOX", default) == "true"
    worker = named("Deployment")["orderflow-worker"]["spec"]["template"]["spec"]["containers"][0]
    limit = worker["resources"]["limits"]["memory"]
    limit_mb = int(limit.removesuffix("Gi")) * 1024 if limit.endswith("Gi") else int(limit[:-2])
    assert limit_mb >= WORKER_START_MB[sandboxed] + cached * PER_CACHED_RUN_MB[sandboxed]
