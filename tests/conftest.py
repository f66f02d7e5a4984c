"""Shared fixtures: a small optimization set up in a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.hunters import StagnationHunter
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from tests.helpers.tasks import rastrigin


@pytest.fixture
def make_manager(tmp_path: Path):
    """Build a small seeded Rastrigin optimization in ``tmp_path/run``; keywords override."""

    def build(**overrides: Any) -> GloMPOManager:
        control = overrides.pop("control", {})
        kwargs: dict[str, Any] = {
            "task": rastrigin,
            "bounds": [(-5.12, 5.12)] * 4,
            "opt_selector": CycleSelector(
                (CMAOptimizer, {"popsize": 6}), (RandomOptimizer, {"max_evals": 150})
            ),
            "working_dir": tmp_path / "run",
            "executor": "serial",
            "max_jobs": 3,
            "seed": 7,
            "hunter": StagnationHunter(patience=80),
            "convergence_checker": MaxFuncCalls(600),
        }
        if control is not None:
            control.setdefault("checkpointing_dir", tmp_path / "run" / "checkpoints")
            control.setdefault("naming_format", "chk_%(count)")
            kwargs["checkpoint_control"] = CheckpointingControl(**control)
        kwargs.update(overrides)
        return GloMPOManager.new_manager(**kwargs)

    return build
