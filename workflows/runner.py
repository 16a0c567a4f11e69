"""The workflow runner orderflow's workers use.

By default workflow code runs in the SDK's sandbox, which re-imports the workflow modules for
every workflow run and stops non-deterministic calls (clock, randomness, I/O) at the call. The
test suite always runs the workflows in the sandbox and replays recorded histories; a worker
may run them without it (`ORDERFLOW_WORKFLOW_SANDBOX=false`) for about a third less worker CPU
per order, trading the guard at run time for the guard in the tests.

`holidays` is deterministic data that loads each country's calendar lazily, on first use:
passed through, it loads once per process instead of once per workflow run.
"""

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions


def workflow_runner(sandboxed: bool = True) -> WorkflowRunner:
    if not sandboxed:
        return UnsandboxedWorkflowRunner()
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("holidays")
    )
