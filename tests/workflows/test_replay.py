"""Recorded histories must replay on the current code: a change that would break running
orders fails here. After a change guarded by `workflow.patched`, record the new shape beside
the old files (ORDERFLOW_RECORD_HISTORIES=1 writes the histories not yet recorded)."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from runtime.settings import Settings
from runtime.temporal import data_converter
from tests.paths import HISTORIES
from worker import WORKFLOWS
from workflows.runner import workflow_runner

# The settings' development keys: what every test client and worker encrypts with.
CONVERTER = data_converter(Settings(_env_file=None))  # type: ignore[call-arg]

RECORDED = sorted(
    [
        *HISTORIES.glob("order_*.json"),
        *HISTORIES.glob("return_*.json"),
        *HISTORIES.glob("claim_*.json"),
        *HISTORIES.glob("subscription_*.json"),
    ]
)


def test_there_are_recorded_histories() -> None:
    assert RECORDED, "tests/histories holds no recorded order history"


def test_encrypted_histories_are_among_them() -> None:
    """Histories written since payloads are encrypted replay too, with the kept keys."""
    encrypted = [p for p in RECORDED if '"YmluYXJ5L2VuY3J5cHRlZA=="' in p.read_text()]
    assert any(p.stem == "order_happy_path_encrypted" for p in encrypted), encrypted


@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandbox", "no-sandbox"])
@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
async def test_recorded_history_replays(path, sandboxed: bool) -> None:  # type: ignore[no-untyped-def]
    # Both runners a worker may use (ORDERFLOW_WORKFLOW_SANDBOX) replay the same histories.
    history = WorkflowHistory.from_json(path.stem.replace("_", "-", 1), path.read_text())
    replayer = Replayer(
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(sandboxed),
        data_converter=CONVERTER,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
