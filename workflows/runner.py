"""The workflow sandbox orderflow's workers run in.

`holidays` is deterministic data that loads each country's calendar lazily, on first use:
passed through, it loads once per process instead of once per workflow run.
"""

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("holidays")
    )
