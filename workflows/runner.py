"""The workflow runners orderflow's workers use.

The SDK's sandbox re-imports the workflow modules for every workflow run and stops
non-deterministic calls (clock, randomness, I/O) where they are made. The test suite runs
every workflow in it (`workflow_runner()`), replays every recorded history with and without
it, and checks the source of every module a workflow runs for what it would stop
(tests/test_determinism.py). A production worker runs without it by default
(`ORDERFLOW_WORKFLOW_SANDBOX`): the per-run imports were the largest part of its CPU per order
and of its memory per cached run (docs/performance.md, "The workflow sandbox").

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
