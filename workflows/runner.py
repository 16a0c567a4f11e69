"""The workflow runner orderflow's workers use.

By default workflow code runs in the SDK's sandbox, which re-imports the workflow modules for
every workflow run and stops non-deterministic calls (clock, randomness, I/O) at the call. The
test suite always runs the workflows in the sandbox and replays recorded histories; a worker
may run them without it (`ORDERFLOW_WORKFLOW_SANDBOX=false`) for about a third less worker CPU
per order, trading the guard at run time for the guard in the tests.

The sandbox imports a workflow's module afresh for every run: without bytecode on disk
(`PYTHONDONTWRITEBYTECODE`, as container images often set, or a read-only install) that means
compiling its source every time. `precompile` writes that bytecode once, where it may.

`holidays` is deterministic data that loads each country's calendar lazily, on first use:
passed through, it loads once per process instead of once per workflow run. OpenTelemetry is
passed through so the tracing interceptor's spans reach the process's exporter.
"""

import compileall
import sys
from pathlib import Path

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions


def workflow_runner(sandboxed: bool = True) -> WorkflowRunner:
    if not sandboxed:
        return UnsandboxedWorkflowRunner()
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            "holidays", "opentelemetry"
        )
    )


def precompile(*workflows: type) -> None:
    """Write the bytecode of the packages the given workflow classes live in, with every
    context package beside them (best effort: a folder that cannot be written is left as it
    is)."""
    for root in {cls.__module__.split(".")[0] for cls in workflows}:
        source = getattr(sys.modules.get(root), "__file__", None)
        if source:
            compileall.compile_dir(Path(source).parent, quiet=2)
