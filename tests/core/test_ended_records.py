"""Ended optimizers' records: packed in a checkpoint, restored exactly, small in a crash storm."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np

from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
from glompo_scope_chkpt.convergence import MaxFuncCalls
from glompo_scope_chkpt.core.history import PointWindow
from glompo_scope_chkpt.core.state import OptimizerRecord, RunState
from glompo_scope_chkpt.opt_selectors import CycleSelector
from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
from tests.helpers.tasks import FailsAt

BOUNDS = [(-5.0, 5.0)] * 3


def _window(capacity: int, points: list[tuple[list[float], float]]) -> PointWindow:
    window = PointWindow(capacity, 3)
    for x, fx in points:
        window.append(np.array(x), fx)
    return window


def _state() -> RunState:
    state = RunState(key="k", rng=np.random.default_rng(0))
    running = RandomOptimizer(BOUNDS, [0.0] * 3, seed=1, max_evals=5)
    records = [
        OptimizerRecord(1, "CMAOptimizer", None, 0, 7, 1.5, np.array([0.1, 0.2, 0.3]), 4,
                        "converged", "sigma small", 9, {"sigma0": "1.0"},
                        _window(1, [([1.0, 2.0, 3.0], 14.0)])),
        OptimizerRecord(2, "RandomOptimizer", running, 3, 2, 2.5, np.array([1.0, 0.0, 0.0]), 1,
                        recent=_window(4, [([0.0, 0.0, 1.0], 1.0), ([0.0, 1.0, 0.0], 1.0)])),
        OptimizerRecord(3, "RandomOptimizer", None, 5, 1, np.inf, None, 0, "crashed",
                        "evaluation 6 failed: RuntimeError: boom\nsecond line", 6,
                        {"max_evals": "20"}, _window(1, [])),
        OptimizerRecord(4, "RandomOptimizer", None, 8, 0, np.inf, None, 0, "killed", "", None),
    ]  # fmt: skip
    state.optimizers = {record.opt_id: record for record in records}
    return state


def test_ended_records_come_back_field_for_field_in_order() -> None:
    state = _state()
    restored = pickle.loads(pickle.dumps(state))
    assert list(restored.optimizers) == [1, 2, 3, 4]
    for before, after in zip(state.optimizers.values(), restored.optimizers.values(), strict=True):
        assert after.optimizer is None or isinstance(after.optimizer, RandomOptimizer)
        for field in ("opt_id", "opt_type", "start_call", "n_evals", "best_fx", "status",
                      "evals_at_improvement", "end_reason", "end_call", "options"):  # fmt: skip
            assert getattr(after, field) == getattr(before, field), field
        if before.best_x is None:
            assert after.best_x is None
        else:
            np.testing.assert_array_equal(after.best_x, before.best_x)
        if before.recent is None:
            assert after.recent is None
        else:
            assert after.recent is not None and after.recent.capacity == before.recent.capacity
            np.testing.assert_array_equal(after.recent.x, before.recent.x)
            np.testing.assert_array_equal(after.recent.fx, before.recent.fx)


def test_a_crash_storm_keeps_the_checkpoint_small(tmp_path: Path) -> None:
    """About 3,000 crashed or converged optimizers: a few dozen bytes each (pickled whole, 170)."""
    manager = GloMPOManager.new_manager(
        task=FailsAt(0.0),  # half of all points fail, and crash their optimizer
        bounds=[(-5.0, 5.0)] * 5,
        opt_selector=CycleSelector((RandomOptimizer, {"max_evals": 2}), CMAOptimizer),
        working_dir=tmp_path / "run",
        max_optimizers=8,
        seed=0,
        convergence_checker=MaxFuncCalls(9_000),
        checkpoint_control=CheckpointingControl(
            checkpointing_dir=tmp_path / "chk", naming_format="storm"
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        manager.start_manager()
    ended = len(manager.state.optimizers) - manager.state.count("running")
    assert ended > 2_500
    checkpoint = manager.checkpoint()
    assert checkpoint.stat().st_size < 30_000 + 60 * ended
    loaded = GloMPOManager.load_manager(checkpoint)
    assert [(r.opt_id, r.status, r.end_call) for r in loaded.state.optimizers.values()] == [
        (r.opt_id, r.status, r.end_call) for r in manager.state.optimizers.values()
    ]
