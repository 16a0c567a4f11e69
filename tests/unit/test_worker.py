"""The worker registers every activity the workflows may schedule."""

from __future__ import annotations

import inspect
from typing import Any

import activities as activity_package
from activities import build_activities


def test_every_activity_the_workflows_may_schedule_is_registered() -> None:
    """Every `@activity.defn` in activities/ is on the worker, by the name workflows use."""
    import pkgutil
    from importlib import import_module

    defined: set[str] = set()
    for module in pkgutil.iter_modules(activity_package.__path__):
        for _, cls in inspect.getmembers(
            import_module(f"activities.{module.name}"), inspect.isclass
        ):
            defined |= {
                name
                for name, member in inspect.getmembers(cls, inspect.isfunction)
                if hasattr(member, "__temporal_activity_definition")
            }
    stub: Any = object()
    registered = {
        fn.__name__
        for fn in build_activities(stub, stub, stub, stub, "", issuer=stub, sealer=stub).all()
    }  # type: ignore[attr-defined]
    assert {"confirm_payment", "void_shipping_label", "set_operator_task"} <= defined
    assert registered == defined


def test_precompiled_workflow_modules_are_not_compiled_again_per_run(
    tmp_path: Any, monkeypatch: Any
) -> None:
    """The sandbox imports a workflow's module for every run, and the context packages beside
    it; with their bytecode written once, that import compiles nothing, even where the
    environment forbids writing bytecode."""
    import builtins
    import importlib
    import shutil
    import sys

    from workflows.runner import precompile

    package = tmp_path / "shopflows"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "flow.py").write_text(
        "from shopflows.shared import steps\n\nclass Flow:\n    pass\n"
    )
    (package / "shared").mkdir()
    (package / "shared" / "__init__.py").write_text("")
    (package / "shared" / "steps.py").write_text("STEPS = ()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    flow = importlib.import_module("shopflows.flow")
    assert not (package / "__pycache__").exists()

    precompile(flow.Flow)

    compiled: list[str] = []
    real_compile = builtins.compile

    def counting(source: Any, filename: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(str(filename))
        return real_compile(source, filename, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", counting)
    del sys.modules["shopflows.flow"], sys.modules["shopflows.shared.steps"]
    importlib.import_module("shopflows.flow")  # as the sandbox does, once per workflow run
    assert not [name for name in compiled if name.endswith(("flow.py", "steps.py"))]
    assert (package / "__pycache__").exists()
    shutil.rmtree(package)
    for name in [m for m in sys.modules if m.split(".")[0] == "shopflows"]:
        del sys.modules[name]


async def test_the_worker_works_as_many_workflow_tasks_at_once_as_its_setting(
    dev_env: Any,
) -> None:
    """A worker takes at most `ORDERFLOW_WORKER_WORKFLOW_TASK_SLOTS` workflow tasks at once
    (10 unless set; fewer than 2 refused, the SDK needs one for its sticky queue), leaving
    the rest waiting at the server, not past their timeout inside the process."""
    import pydantic
    import pytest

    from runtime.settings import Settings
    from worker import build_worker

    stub: Any = object()
    activities = build_activities(stub, stub, stub, stub, "", issuer=stub, sealer=stub)
    default = Settings(_env_file=None)  # type: ignore[call-arg]
    built = build_worker(dev_env.client, activities, "slots-default")
    assert built.config()["max_concurrent_workflow_tasks"] == default.worker_workflow_task_slots
    assert default.worker_workflow_task_slots == 10
    set_to = Settings(_env_file=None, worker_workflow_task_slots=4)  # type: ignore[call-arg]
    built = build_worker(
        dev_env.client,
        activities,
        "slots-set",
        workflow_task_slots=set_to.worker_workflow_task_slots,
    )
    assert built.config()["max_concurrent_workflow_tasks"] == 4
    assert built.config()["max_cached_workflows"] == default.worker_cached_workflows == 1000
    cached = build_worker(dev_env.client, activities, "slots-cache", cached_workflows=500)
    assert cached.config()["max_cached_workflows"] == 500
    with pytest.raises(pydantic.ValidationError, match="worker_workflow_task_slots"):
        Settings(_env_file=None, worker_workflow_task_slots=1)  # type: ignore[call-arg]
