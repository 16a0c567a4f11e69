"""`make run`: the whole system on this machine, on embedded defaults.

Starts the Temporal dev server (state in `.data/temporal.db`), PostgreSQL (`.data/postgres`),
the sandbox providers with the SMTP sink, the worker and the API, then keeps them up: a process
that dies is started again (`runtime.supervise`). Ctrl-C stops them all; running it again
carries on where it was, orders in flight included.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

from runtime.postgres import LocalPostgres
from runtime.settings import read_env_file
from runtime.supervise import RestartPolicy
from store.keyring import new_key_line

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
SEARCH_ATTRIBUTES = (
    "OrderStatus",
    "Merchant",
    "PaymentMethod",
    "Carrier",
    "ReturnStatus",
    "SubscriptionStatus",
    "OrderReference",
)
PORTS = {
    "temporal": 7233,
    "temporal_ui": 8233,
    "postgres": 5433,
    "smtp": 1025,
    "sandbox": 8100,
    "api": 8000,
    "worker_metrics": 9464,
    "api_metrics": 9465,
}


def temporal_cli() -> str:
    path = Path(sysconfig.get_path("scripts")) / "temporal"
    if not path.exists():
        raise SystemExit("the Temporal CLI is missing: install the project (make install)")
    return str(path)


def local_secrets(data: Path = DATA) -> dict[str, str]:
    """Keys generated on first run and kept, so that order tokens stay valid and encrypted
    payloads stay readable across runs; a key a newer version needs is added beside them."""
    path = data / "local.env"
    kept = read_env_file(path)
    fresh = {
        "ORDERFLOW_STOREFRONT_API_KEY": lambda: f"sf_{secrets.token_urlsafe(32)}",
        "ORDERFLOW_OPERATOR_API_KEY": lambda: f"op_{secrets.token_urlsafe(32)}",
        "ORDERFLOW_ORDER_TOKEN_SECRET": lambda: secrets.token_urlsafe(32),
        "ORDERFLOW_PAYLOAD_CODEC_KEYS": lambda: new_key_line("local1"),
        "ORDERFLOW_CODEC_UI_KEY": lambda: secrets.token_urlsafe(32),
    }
    missing = {name: make() for name, make in fresh.items() if name not in kept}
    if missing:
        with path.open("a") as env:
            env.writelines(f"{name}={value}\n" for name, value in missing.items())
        path.chmod(0o600)
    return read_env_file(path)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_port(
    name: str,
    port: int,
    process: subprocess.Popen[bytes],
    timeout: float = 60,
    logs: Path = DATA / "logs",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode}; see {logs / name}.log")
        if port_open(port):
            return
        time.sleep(0.2)
    raise SystemExit(f"{name} did not open port {port} within {timeout:.0f}s")


class Stack:
    """The processes of a local orderflow. `make run` uses the fixed ports and `.data/`; the
    benchmarks start another one in a folder and on ports of their own."""

    def __init__(
        self,
        data: Path = DATA,
        ports: dict[str, int] | None = None,
        overrides: dict[str, str] | None = None,
    ) -> None:
        self.data = data
        self.ports = ports or PORTS
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.commands: dict[str, list[str]] = {}
        self.own_env: dict[str, dict[str, str]] = {}
        self.postgres = LocalPostgres(data / "postgres", self.ports["postgres"])
        (data / "logs").mkdir(parents=True, exist_ok=True)
        api, sandbox = self.ports["api"], self.ports["sandbox"]
        self.env = {
            **os.environ,
            "ORDERFLOW_ENVIRONMENT": "development",
            **local_secrets(data),
            "ORDERFLOW_DATABASE_URL": self.postgres.dsn(),
            "ORDERFLOW_SANDBOX_STATE_PATH": str(data / "sandbox.sqlite3"),
            "ORDERFLOW_TEMPORAL_ADDRESS": f"127.0.0.1:{self.ports['temporal']}",
            "ORDERFLOW_API_PORT": str(api),
            "ORDERFLOW_PUBLIC_BASE_URL": f"http://127.0.0.1:{api}",
            "ORDERFLOW_TEMPORAL_UI_URL": f"http://127.0.0.1:{self.ports['temporal_ui']}",
            "ORDERFLOW_SANDBOX_PORT": str(sandbox),
            "ORDERFLOW_SMTP_PORT": str(self.ports["smtp"]),
            "ORDERFLOW_WORKER_METRICS_ADDRESS": f"127.0.0.1:{self.ports['worker_metrics']}",
            "ORDERFLOW_API_METRICS_ADDRESS": f"127.0.0.1:{self.ports['api_metrics']}",
            "ORDERFLOW_PAYMENT_PROVIDER_URL": f"http://127.0.0.1:{sandbox}/payments",
            "ORDERFLOW_CARRIER_PROVIDER_URL": f"http://127.0.0.1:{sandbox}/carriers",
            "ORDERFLOW_CARD_ISSUER_URL": f"http://127.0.0.1:{sandbox}/cards",
            "ORDERFLOW_SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{api}/v1/webhooks",
            "PYTHONUNBUFFERED": "1",
            **(overrides or {}),
        }

    def launch(
        self,
        name: str,
        args: list[str],
        *,
        to_log: bool = True,
        env: dict[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start one process, its output appended to its log; `env` adds to the stack's (and
        stays with the process's name, for a restart)."""
        self.commands[name] = args
        if env is not None:
            self.own_env[name] = env
        environ = {**self.env, **self.own_env.get(name, {})}
        if not to_log:
            return subprocess.Popen(args, cwd=ROOT, env=environ, start_new_session=True)
        with open(self.data / "logs" / f"{name}.log", "ab") as log:
            return subprocess.Popen(
                args,
                cwd=ROOT,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def spawn(
        self,
        name: str,
        args: list[str],
        port: int | None,
        *,
        to_log: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        process = self.launch(name, args, to_log=to_log, env=env)
        self.processes.append((name, process))
        if port is not None:
            wait_port(name, port, process, logs=self.data / "logs")

    def start(self) -> None:
        busy = [f"{n} ({p})" for n, p in self.ports.items() if port_open(p)]
        if busy:
            raise SystemExit(
                f"ports already in use: {', '.join(busy)}; is orderflow running already?"
            )
        print("starting PostgreSQL ...", flush=True)
        self.postgres.start(self.data / "logs" / "postgres.log")
        print("starting the Temporal dev server ...", flush=True)
        self.spawn(
            "temporal",
            [
                temporal_cli(),
                "server",
                "start-dev",
                "--db-filename",
                str(self.data / "temporal.db"),
                "--sqlite-pragma",
                "journal_mode=wal",
                "--sqlite-pragma",
                "synchronous=normal",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.ports["temporal"]),
                "--ui-port",
                str(self.ports["temporal_ui"]),
                "--log-level",
                "warn",
                "--ui-codec-endpoint",
                f"http://127.0.0.1:{self.ports['api']}/codec/ui/{self.env['ORDERFLOW_CODEC_UI_KEY']}",
                *[
                    a
                    for name in SEARCH_ATTRIBUTES
                    for a in ("--search-attribute", f"{name}=Keyword")
                ],
            ],
            self.ports["temporal"],
        )
        print("starting the sandbox providers and the SMTP sink ...", flush=True)
        self.spawn("sandbox", [sys.executable, "-m", "sandbox"], self.ports["sandbox"])
        print("starting the worker and the API ...", flush=True)
        self.spawn("worker", [sys.executable, str(ROOT / "worker.py")], None)
        self.spawn("api", [sys.executable, "-m", "starter"], self.ports["api"])

    def banner(self) -> str:
        keys = local_secrets()
        return f"""
orderflow is running (Ctrl-C stops everything; state is kept in .data/)

  API             http://127.0.0.1:{PORTS["api"]}        docs: http://127.0.0.1:{PORTS["api"]}/docs
  Temporal UI     http://127.0.0.1:{PORTS["temporal_ui"]}        gRPC: 127.0.0.1:{PORTS["temporal"]}
  Mail sent       http://127.0.0.1:{PORTS["sandbox"]}/mail   (SMTP sink on 127.0.0.1:{PORTS["smtp"]})
  Sandbox APIs    http://127.0.0.1:{PORTS["sandbox"]}/docs
  PostgreSQL      {self.postgres.dsn()}
  Worker metrics  http://127.0.0.1:{PORTS["worker_metrics"]}/metrics
  API metrics     http://127.0.0.1:{PORTS["api_metrics"]}/metrics
  Logs            .data/logs/

  storefront key  {keys["ORDERFLOW_STOREFRONT_API_KEY"]}
  operator key    {keys["ORDERFLOW_OPERATOR_API_KEY"]}

  Place a few demo orders:  make demo
"""

    def watch(self, policy: RestartPolicy | None = None, tick: float = 0.5) -> int:
        """Keep every process up (`runtime.supervise`); 1 once one is crash-looping."""
        policy = policy or RestartPolicy()
        restart_at: dict[str, float] = {}
        while True:
            now = time.monotonic()
            for index, (name, process) in enumerate(self.processes):
                log = self.data / "logs" / f"{name}.log"
                if name in restart_at:
                    if now >= restart_at[name]:
                        del restart_at[name]
                        self.processes[index] = (name, self.launch(name, self.commands[name]))
                        print(f"{name} restarted", flush=True)
                    continue
                if process.poll() is None:
                    continue
                delay = policy.died(name, now)
                if delay is None:
                    print(
                        f"{name} stopped {policy.describe()} (last exit code "
                        f"{process.returncode}); stopping everything. See {log}",
                        file=sys.stderr,
                        flush=True,
                    )
                    return 1
                print(
                    f"{name} stopped with exit code {process.returncode}; starting it again "
                    f"in {delay:.0f} s (see {log})",
                    file=sys.stderr,
                    flush=True,
                )
                restart_at[name] = now + delay
            time.sleep(tick)

    def stop(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut this short
                signal.signal(sig, signal.SIG_IGN)
        for name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGINT if name == "temporal" else signal.SIGTERM)
        for _, process in reversed(self.processes):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.postgres.stop()


def main() -> int:
    DATA.mkdir(exist_ok=True)
    stack = Stack()

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    # Set both explicitly: a shell that starts this in the background ignores SIGINT.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        stack.start()
        print(stack.banner(), flush=True)
        return stack.watch()
    except KeyboardInterrupt:
        return 0
    finally:
        print("\nstopping ...", flush=True)
        stack.stop()
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
