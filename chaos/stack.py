"""The chaos run's own stack (like the benchmarks': every process real, on free ports, in a
folder of its own) and the ways it is broken: the worker killed, Temporal and PostgreSQL
restarted, the SMTP server down for a while, the payment provider's faults armed."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from runtime.devstack import PORTS, ROOT, Stack, wait_port
from runtime.postgres import free_port
from runtime.settings import Settings

CHAOS_SHOP = "chaosshop"  # the demo merchant with windows of seconds: every order ends
CHAOS_HOLD = "chaoshold"  # the same, its parcels held until a dispatch cut-off minutes away
FAULT_OPERATIONS = ("authorize", "capture", "refund", "void")
FAULT_MODES = ("error", "timeout_after_success")


def held_zone(now: datetime) -> str:
    """A fixed-offset time zone where it is about noon now, so that a cut-off minutes away
    falls on the same local day whenever the run starts."""
    offset = 12 - now.astimezone(UTC).hour
    offset = max(-12, min(14, offset))
    # POSIX sign convention: Etc/GMT-3 is three hours ahead of UTC
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def chaos_presets(target: Path, cutoff_at: datetime, retry_seconds: float = 60.0) -> Path:
    """The shipped presets, plus `chaosshop` (the demo's rules with a return window and a
    payment retry window of seconds) and `chaoshold` (the same, its orders dispatched at a
    cut-off `cutoff_at`, so that cancellations and address edits meet an order still held)."""
    target.mkdir(parents=True, exist_ok=True)
    for preset in (ROOT / "policies").glob("*.toml"):
        shutil.copy(preset, target / preset.name)
    shop = (ROOT / "policies" / "demo.toml").read_text()
    for setting, value in (
        ('length = "PT60S"', 'length = "PT5S"'),
        ("max_attempts = 3\n", f'max_attempts = 3\nretry_within = "PT{retry_seconds:g}S"\n'),
        ('window_after_payment = "PT2M"', 'window_after_payment = "PT30M"'),
        # The invoice's lifetime runs from when the workflow asks for it; a worker restarted
        # under a backlog can take over a minute to send it, so two minutes is too short for
        # a customer who pays on sight.
        ('expires_after = "PT2M"', 'expires_after = "PT10M"'),
    ):
        if setting not in shop:
            raise ValueError(f"the demo preset no longer has {setting.strip()!r}")
        shop = shop.replace(setting, value)
    (target / f"{CHAOS_SHOP}.toml").write_text(
        shop.replace('merchant = "demo"', f'merchant = "{CHAOS_SHOP}"')
    )
    zone = held_zone(datetime.now(UTC))
    local = cutoff_at.astimezone(ZoneInfo(zone))
    hold = (
        shop.replace('merchant = "demo"', f'merchant = "{CHAOS_HOLD}"')
        .replace('timezone = "Europe/Riga"', f'timezone = "{zone}"')
        .replace("[shipping.fulfilment]\non_demand = true\n", "")
    )
    hold += (
        "\n[shipping.dispatch]\nsame_business_day = true\n"
        f'cutoff = {local:%H:%M:%S}\nclauses = ["IMA-SHP-2"]\n'
    )
    (target / f"{CHAOS_HOLD}.toml").write_text(hold)
    return target


class ChaosStack:
    """A stack of its own, with webhook chaos on at the sandbox."""

    def __init__(
        self,
        folder: Path,
        cutoff_at: datetime,
        *,
        seed: int,
        tracking_step: float = 0.5,
        retry_seconds: float = 60.0,
    ) -> None:
        self.folder = folder
        self.ports = {name: free_port() for name in PORTS}
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        overrides = {
            "ORDERFLOW_POLICIES_DIR": str(
                chaos_presets(folder / "policies", cutoff_at, retry_seconds)
            ),
            "ORDERFLOW_SANDBOX_TRACKING_STEP_SECONDS": str(tracking_step),
            "ORDERFLOW_SANDBOX_WEBHOOK_CHAOS": "true",
            "ORDERFLOW_RELAY_POLL_SECONDS": "0.5",
            "ORDERFLOW_LOG_LEVEL": "WARNING",
            # every simulated customer comes from 127.0.0.1: one address, not one customer
            "ORDERFLOW_RATE_LIMIT_PER_ADDRESS": "1000000/minute",
            "ORDERFLOW_RATE_LIMIT_PER_TOKEN": "1000000/minute",
        }
        self.stack = Stack(folder, self.ports, overrides)
        env = self.stack.env  # the stack's keys, generated into its folder
        self.settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            environment="development",
            payload_codec_keys=env["ORDERFLOW_PAYLOAD_CODEC_KEYS"],
        )
        self.storefront = {"Authorization": f"Bearer {env['ORDERFLOW_STOREFRONT_API_KEY']}"}
        self.operator = {"Authorization": f"Bearer {env['ORDERFLOW_OPERATOR_API_KEY']}"}
        self.sandbox_db = Path(env["ORDERFLOW_SANDBOX_STATE_PATH"])
        self.api_url = env["ORDERFLOW_PUBLIC_BASE_URL"]
        self.sandbox_url = f"http://127.0.0.1:{self.ports['sandbox']}"
        self.temporal_address = env["ORDERFLOW_TEMPORAL_ADDRESS"]
        self.worker_kills = 0
        self.rng = random.Random(seed)

    def start(self) -> None:
        self.stack.start()

    def stop(self) -> None:
        self.stack.stop()

    @property
    def dsn(self) -> str:
        return self.stack.postgres.dsn()

    def _index(self, name: str) -> int:
        return next(i for i, (n, _) in enumerate(self.stack.processes) if n == name)

    def _kill(self, name: str) -> subprocess.Popen[bytes]:
        """SIGKILL to the process and everything it started: no clean shutdown."""
        _, process = self.stack.processes[self._index(name)]
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(30)
        return process

    def _relaunch(self, name: str) -> subprocess.Popen[bytes]:
        process = self.stack.launch(name, self.stack.commands[name])
        self.stack.processes[self._index(name)] = (name, process)
        return process

    def kill_worker(self, down_seconds: float = 1.0) -> None:
        """`kill -9` of the worker, started again after `down_seconds` (as `make run` does)."""
        self._kill("worker")
        self.worker_kills += 1
        time.sleep(down_seconds)
        self._relaunch("worker")

    def restart_temporal(self, down_seconds: float) -> float:
        """`kill -9` of the Temporal server, started again on the same database after
        `down_seconds`; the seconds until it listens again."""
        killed = time.monotonic()
        self._kill("temporal")
        time.sleep(down_seconds)
        process = self._relaunch("temporal")
        wait_port("temporal", self.ports["temporal"], process, 120, self.folder / "logs")
        return time.monotonic() - killed

    def restart_postgres(self, down_seconds: float) -> float:
        """`kill -9` of PostgreSQL and its backends, started again on the same data (crash
        recovery) after `down_seconds`; the seconds until it takes connections again."""
        killed = time.monotonic()
        postgres = self.stack.postgres
        assert postgres.process is not None
        try:
            os.killpg(postgres.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        postgres.process.wait(30)
        time.sleep(down_seconds)
        postgres.start(self.folder / "logs" / "postgres.log")
        return time.monotonic() - killed

    def smtp_outage(self, seconds: float) -> None:
        """The SMTP server refuses every connection for `seconds`, then is back."""
        self._control("POST", "/mail/v1/sandbox/outage", json={"seconds": seconds})

    def _control(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A call to the sandbox's controls."""
        key = self.settings.payment_provider_api_key.get_secret_value()
        answer = httpx.request(
            method,
            f"{self.sandbox_url}{path}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
            **kwargs,
        )
        answer.raise_for_status()
        return dict(answer.json())

    def _faults(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """A call to the payment sandbox's fault controls."""
        return self._control(method, "/payments/v1/sandbox/faults", **kwargs)

    def faults_fired(self) -> dict[str, int]:
        """The provider faults that fired, by operation and mode, as the sandbox counted them."""
        return dict(self._faults("GET")["fired"])

    def arm_fault(self) -> None:
        """One provider fault on a random money operation: a 500, or the work done and the
        answer late (past the adapter's 10 s timeout)."""
        fault = {
            "operation": self.rng.choice(FAULT_OPERATIONS),
            "mode": self.rng.choice(FAULT_MODES),
            "times": self.rng.randint(1, 2),
            "delay_seconds": 12.0,
        }
        self._faults("POST", json=fault)

    def disarm_faults(self) -> None:
        self._faults("DELETE")

    def log_text(self, name: str) -> str:
        path = self.folder / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""
