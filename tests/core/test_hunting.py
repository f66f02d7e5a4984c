"""Hunts in the manager: when they happen, what the hunters see, what is kept, and resuming.

This file is also the script the fresh processes of the resume test run
(``python test_hunting.py run|resume ...``).
"""

from __future__ import annotations

import json
import pickle
import shutil
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from glompo_scope_chkpt.core.history import PointWindow
from glompo_scope_chkpt.engine.hunting import Hunting
from glompo_scope_chkpt.errors import InvalidSettingError
from glompo_scope_chkpt.hunters import (
    BestUnmoving,
    LastPointsInvalid,
    MinFuncCalls,
    ParameterDistance,
    StagnationHunter,
    StepSize,
    TimeAnnealing,
    ValueAnnealing,
)

BOUNDS = [(-5.12, 5.12)] * 4


# ------------------------------------------------------------------------------ PointWindow
def test_a_point_window_keeps_the_newest_points_oldest_first():
    window = PointWindow(3, 2)
    for i in range(5):
        window.append(np.array([i, -i]), float(i))
    assert len(window) == 3 and window.capacity == 3
    assert window.x.tolist() == [[2, -2], [3, -3], [4, -4]]
    assert window.fx.tolist() == [2.0, 3.0, 4.0]
    assert window.resized(2).x.tolist() == [[3, -3], [4, -4]]
    assert window.resized(6).fx.tolist() == [2.0, 3.0, 4.0]


def test_a_point_window_pickles_its_points_in_order():
    window = PointWindow(4, 1)
    for i in range(6):
        window.append(np.array([float(i)]), -float(i))
    again = pickle.loads(pickle.dumps(window))
    assert again.capacity == 4 and again.x.ravel().tolist() == [2.0, 3.0, 4.0, 5.0]
    again.append(np.array([6.0]), -6.0)
    assert again.fx.tolist() == [-3.0, -4.0, -5.0, -6.0]


# ----------------------------------------------------------------------- in a serial manager
def _rows_of(log: Path, opt_id: int) -> np.ndarray:
    with h5py.File(log, "r") as f:
        rows = f[f"optimizer_{opt_id}"]["iter_history"][()]
    return np.array([row["x"] for row in rows])


def test_each_running_optimizer_keeps_only_the_last_points_the_hunters_need(make_manager):
    hunter = StepSize(BOUNDS, 6, 1e-9) | (LastPointsInvalid(2) & MinFuncCalls(10**6))
    manager = make_manager(hunter=hunter, hunt_frequency=20, summary_files=3)
    manager.start_manager()
    records = manager.state.optimizers.values()
    log = manager.settings.working_dir / "glompo_log.h5"
    for record in records:
        assert record.recent is not None
        if record.running:
            assert record.recent.capacity == 6
            expected = _rows_of(log, record.opt_id)[-6:]
        else:
            assert record.recent.capacity == 1
            expected = _rows_of(log, record.opt_id)[-1:]
        assert np.array_equal(record.recent.x, expected), record.opt_id
    assert any(rec.running for rec in records) and any(not rec.running for rec in records)


def test_no_point_is_kept_when_no_hunter_reads_points(make_manager):
    manager = make_manager(hunter=StagnationHunter(40), hunt_frequency=20)
    manager.start_manager()
    assert all(rec.recent is None for rec in manager.state.optimizers.values())


def _best_before(traces: dict, call_id: int) -> int:
    """The optimizer holding the lowest value among evaluations up to ``call_id``."""
    lows = {}
    for opt_id, trace in traces.items():
        seen = trace.fx[trace.call_ids <= call_id]
        if len(seen):
            lows[opt_id] = seen.min()
    return min(lows, key=lows.__getitem__)


def test_hunts_come_every_hunt_frequency_evaluations_led_by_the_best_optimizer(make_manager):
    manager = make_manager(hunter=MinFuncCalls(1), hunt_frequency=40)  # kills all but the best
    manager.start_manager()
    state = manager.state
    kills = [m for m in state.history.markers if m.kind == "killed"]
    assert len(kills) >= 5
    for marker in kills:
        assert marker.call_id % 40 == 0
        hunter = _best_before(state.history.traces, marker.call_id)
        assert hunter != marker.opt_id
        record = state.optimizers[marker.opt_id]
        assert record.end_reason.startswith(f"hunted by optimizer {hunter}: it did ")


def test_hunters_see_read_only_views(make_manager):
    manager = make_manager(hunter=StepSize(BOUNDS, 3), convergence_checker=None)
    manager.start_manager()
    hunting = Hunting(manager.settings, manager.state)
    view = hunting.view(manager.state.optimizers[1])
    assert view.opt_id == 1 and len(view.fx) == len(view.call_ids) > 0
    for array in (view.fx, view.call_ids, view.recent_x, view.recent_fx):
        with pytest.raises(ValueError, match="read-only"):
            array[...] = 0


@pytest.mark.parametrize(
    ("value", "kind"), [(0, ValueError), (-5, ValueError), ("100", TypeError), (2.5, TypeError)]
)
def test_hunt_frequency_must_be_a_positive_integer(make_manager, value, kind):
    with pytest.raises(kind, match=r"hunt_frequency needs an integer >= 1") as caught:
        make_manager(hunt_frequency=value)
    assert isinstance(caught.value, InvalidSettingError)


def test_hunt_frequency_defaults_to_glompos_and_may_change_on_resume(make_manager):
    settings = make_manager().settings
    assert settings.hunt_frequency == 100
    assert settings.with_overrides({"hunt_frequency": 7}).hunt_frequency == 7


# ------------------------------------------------------------------------- resuming exactly
BUDGET, EVERY = 450, 100


def _hunters() -> Any:
    """Hunters that read trajectories, points (8 of each optimizer) and the manager's generator."""
    return (
        (BestUnmoving(25, 0.01) & TimeAnnealing(1.5))
        | (StepSize(BOUNDS, 8, 0.3) & ValueAnnealing(0.3))
        | ParameterDistance(BOUNDS, 0.05, test_all=True)
    )


def main(argv: list[str]) -> None:
    """``run FOLDER`` or ``resume CHECKPOINT WORKING_DIR``; print the run's figures as JSON."""
    import warnings

    from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls
    from glompo_scope_chkpt.opt_selectors import CycleSelector
    from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
    from tests.helpers.tasks import rastrigin

    mode, first, *rest = argv
    if mode == "run":
        folder = Path(first)
        manager = GloMPOManager.new_manager(
            rastrigin,
            BOUNDS,
            CycleSelector((CMAOptimizer, {"popsize": 6}), (RandomOptimizer, {"max_evals": 120})),
            working_dir=folder / "reference",
            executor="serial",
            max_jobs=3,
            seed=3,
            hunter=_hunters(),
            hunt_frequency=15,
            convergence_checker=MaxFuncCalls(BUDGET),
            checkpoint_control=CheckpointingControl(
                checkpoint_iter_frequency=EVERY,
                checkpointing_dir=folder / "checkpoints",
                naming_format="chk_%(count)",
            ),
            summary_files=3,
        )
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the log's rolled-back rows are expected
            manager = GloMPOManager.load_manager(first, working_dir=rest[0])
    result = manager.start_manager()
    reasons = {i: rec.end_reason for i, rec in manager.state.optimizers.items()}
    print(json.dumps({"fx": result.fx, "f_counter": manager.state.f_counter, "ends": reasons}))


@pytest.mark.slow
def test_a_run_with_hunters_resumed_in_a_fresh_process_replays_the_run(tmp_path: Path):
    from tests.core.test_exact_resume import LOG_NAME, _saved_state
    from tests.helpers.fresh import first_difference, in_fresh_process, log_row_bytes

    reference = in_fresh_process(__file__, ["run", str(tmp_path)], hash_seed=1)
    assert reference["f_counter"] == BUDGET
    reasons = " ".join(reference["ends"].values())
    assert "age test" in reasons or "value test" in reasons  # the generator was drawn from
    assert "hunted by optimizer" in reasons
    checkpoints = sorted((tmp_path / "checkpoints").glob("chk_*.tar.gz"))
    assert len(checkpoints) == BUDGET // EVERY
    reference_rows = log_row_bytes(tmp_path / "reference" / LOG_NAME)

    for number, checkpoint in enumerate(checkpoints[1:3], start=2):
        state = _saved_state(checkpoint, tmp_path / "extract")
        running = [rec for rec in state.optimizers.values() if rec.running]
        assert running and all(len(rec.recent) == 8 for rec in running if rec.n_evals >= 8)
        work = tmp_path / checkpoint.name.split(".")[0]
        work.mkdir()
        shutil.copy(tmp_path / "reference" / LOG_NAME, work / LOG_NAME)
        resumed = in_fresh_process(__file__, ["resume", str(checkpoint), str(work)], number)
        first = first_difference(log_row_bytes(work / LOG_NAME), reference_rows)
        assert first is None, f"resumed from {checkpoint.name}: rows differ from call {first} on"
        assert resumed == reference, f"resumed from {checkpoint.name}"


if __name__ == "__main__":
    main(sys.argv[1:])
