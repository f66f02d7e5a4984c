"""``share_best_solutions``: the run's best point reaches the optimizers that take one."""

from __future__ import annotations

import warnings

import numpy as np

from glompo_scope_chkpt import GloMPOManager
from glompo_scope_chkpt.errors import IgnoredSettingWarning
from glompo_scope_chkpt.log.writer import read_log
from glompo_scope_chkpt.opt_selectors import CycleSelector, NOptimizersSpawnStop
from glompo_scope_chkpt.optimizers import CMAOptimizer

NUDGED = CycleSelector(
    (CMAOptimizer, {"popsize": 6, "force_injects": True, "injection_frequency": 1})
)


def rows(manager: GloMPOManager) -> list[tuple[int, int, np.ndarray]]:
    """``(call_id, opt_id, x)`` of every evaluation, by ``call_id``."""
    log = read_log(manager.working_dir / "glompo_log.h5")
    found = [
        (int(call), opt_id, x)
        for opt_id, group in log["optimizers"].items()
        for call, x in zip(group["call_id"], group["x"], strict=True)
    ]
    return sorted(found, key=lambda row: row[0])


def borrowed(evaluations: list[tuple[int, int, np.ndarray]]) -> int:
    """How many evaluations repeat a point another optimizer evaluated before."""
    count = 0
    for i, (_, opt_id, x) in enumerate(evaluations):
        earlier = (y for _, other, y in evaluations[:i] if other != opt_id)
        count += any(np.allclose(x, y, rtol=0, atol=1e-9) for y in earlier)
    return count


def test_each_new_best_point_reaches_the_running_optimizers(make_manager):
    three = CycleSelector(*NUDGED.specs, allow_spawn=NOptimizersSpawnStop(3))
    shared = make_manager(
        opt_selector=three, share_best_solutions=True, summary_files=3, hunter=None
    )
    shared.start_manager()
    assert shared.o_counter == 3  # all started at once, before any best point existed
    assert borrowed(rows(shared)) >= 1


def test_an_optimizer_starting_later_gets_the_best_point(make_manager):
    short = CycleSelector((CMAOptimizer, {**NUDGED.specs[0][1], "cma_options": {"maxfevals": 60}}))
    shared = make_manager(
        opt_selector=short,
        share_best_solutions=True,
        summary_files=3,
        max_optimizers=1,  # one at a time: no other is running when a best point is found
    )
    shared.start_manager()
    assert shared.o_counter >= 3
    assert borrowed(rows(shared)) >= 1


def test_without_sharing_no_optimizer_evaluates_anothers_point(make_manager, tmp_path):
    alone = make_manager(opt_selector=NUDGED, summary_files=3)
    alone.start_manager()
    assert borrowed(rows(alone)) == 0


def test_a_run_sharing_its_best_resumes_exactly(make_manager, tmp_path):
    reference = make_manager(
        opt_selector=NUDGED,
        share_best_solutions=True,
        summary_files=3,
        control={"checkpoint_iter_frequency": 250},
    )
    expected = reference.start_manager()
    everything = [(c, o, x.tobytes()) for c, o, x in rows(reference)]
    for checkpoint, start in (("chk_000", 250), ("chk_001", 500)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a new log in a new working dir
            resumed = GloMPOManager.load_manager(
                reference.settings.checkpoint_control.checkpointing_dir / f"{checkpoint}.tar.gz",
                working_dir=tmp_path / checkpoint,
                summary_files=3,
            )
            again = resumed.start_manager()
        assert (again.x.tobytes(), again.fx, again.origin) == (
            expected.x.tobytes(),
            expected.fx,
            expected.origin,
        )
        resumed_rows = [(c, o, x.tobytes()) for c, o, x in rows(resumed)]
        assert resumed_rows == [row for row in everything if row[0] > start]


def test_sharing_with_optimizers_that_take_points_says_nothing(make_manager):
    with warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredSettingWarning)
        make_manager(opt_selector=NUDGED, share_best_solutions=True)
