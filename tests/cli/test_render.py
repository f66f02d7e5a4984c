"""``render`` marks the starts and ends the log records past the checkpoint, as the live run did.

A run killed after its last checkpoint leaves evaluations only in the HDF5 log; the optimizers
that started and ended there must carry the same markers as in the same run left uninterrupted
(read from its final checkpoint's history), or the redrawn movie differs from the live one.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from glompo_scope_chkpt.core.history import History
from tests.helpers.fresh import in_fresh_process, killed_in_fresh_process

pytestmark = pytest.mark.slow

SCRIPT = __file__
BUDGET, KILL_AT, CHECKPOINT_EVERY = 700, 690, 300
ENDS = ("killed", "converged", "crashed", "paused")


class KilledAt:
    """A sphere that gives the log a second to be written at call ``at - 5``, then at call
    ``at`` SIGKILLs its own process (0: never)."""

    def __init__(self, at: int) -> None:
        self.at, self.calls = at, 0

    def __call__(self, x: np.ndarray) -> float:
        self.calls += 1
        if self.calls == self.at - 5:
            time.sleep(1.2)  # the loop writes the log at least once a second
        if self.calls == self.at:
            os.kill(os.getpid(), signal.SIGKILL)
        return float(np.sum(np.asarray(x) ** 2))


def _run(work: Path, at: int) -> dict:
    from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls
    from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer
    from glompo_scope_chkpt.selectors import CycleSelector

    manager = GloMPOManager.new_manager(
        task=KilledAt(at),
        bounds=[(-5.0, 5.0)] * 3,
        opt_selector=CycleSelector(
            (CMAOptimizer, {"popsize": 6}), (RandomOptimizer, {"max_evals": 60})
        ),
        working_dir=work,
        executor="serial",
        max_jobs=1,
        max_optimizers=3,
        seed=5,
        convergence_checker=MaxFuncCalls(BUDGET),
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=CHECKPOINT_EVERY, checkpointing_dir=work / "checkpoints"
        ),
        summary_files=3,
    )
    result = manager.start_manager()
    return {"f_counter": result.stats["f_counter"]}


def _optimizer_markers(history: History, after: int, until: int) -> list[tuple]:
    return sorted(
        (m.kind, m.call_id, m.opt_id, m.fx, m.label)
        for m in history.markers
        if m.opt_id is not None and after < m.call_id <= until
    )


def test_render_marks_what_the_log_records_past_the_checkpoint(tmp_path: Path) -> None:
    from glompo_scope_chkpt.cli.render import _history

    in_fresh_process(SCRIPT, [str(tmp_path / "whole"), "0"], 1)
    killed_in_fresh_process(SCRIPT, [str(tmp_path / "killed"), str(KILL_AT)], 2)
    whole, _, _, _ = _history(tmp_path / "whole", None)
    killed, _, archive, rows = _history(tmp_path / "killed", None)
    checkpoint = 2 * CHECKPOINT_EVERY
    assert archive.name.startswith("glompo_checkpoint") and rows > 0
    logged = max(t.last_call for t in killed.traces.values())
    assert KILL_AT - 10 <= logged < KILL_AT
    expected = _optimizer_markers(whole, checkpoint, logged)
    assert {kind for kind, *_ in expected} >= {"started", "converged"}  # the test has something
    assert _optimizer_markers(killed, checkpoint, logged) == expected
    for opt_id, trace in killed.traces.items():  # and the points, as the whole run's
        kept = whole.traces[opt_id]
        np.testing.assert_array_equal(trace.call_ids, kept.call_ids[: len(trace)])
        np.testing.assert_array_equal(trace.fx, kept.fx[: len(trace)])


if __name__ == "__main__":
    print(__import__("json").dumps(_run(Path(sys.argv[1]), int(sys.argv[2]))), flush=True)


def test_failed_evaluations_in_the_log_are_neither_points_nor_marker_values() -> None:
    from glompo_scope_chkpt.cli.render import _log_markers, _log_points
    from glompo_scope_chkpt.core.state import RunState

    def group(start: int, end: int, reason: str, rows: list[tuple[int, float]]) -> dict:
        calls, fx = (np.array(column) for column in zip(*rows, strict=True))
        attrs = {"type": "RandomOptimizer", "start_call": start, "end_call": end}
        return {"attrs": {**attrs, "end_reason": reason}, "call_id": calls, "fx": fx}

    groups = {  # optimizer 1 crashed at its failed evaluation 13; 2 ended where it started
        1: group(10, 13, "crashed: evaluation 13 failed", [(11, 4.0), (12, 3.0), (13, np.nan)]),
        2: group(13, 13, "crashed: ask() raised", [(13, np.nan)]),
        3: group(13, -1, "", [(14, 2.0)]),
    }
    points = _log_points(groups, 10)
    assert {k: (list(c), list(f)) for k, (c, f) in points.items()} == {
        1: ([11, 12], [4.0, 3.0]),
        3: ([14], [2.0]),
    }
    markers = _log_markers(groups, RunState(key="k", rng=np.random.default_rng(0)))
    assert [(m.kind, m.call_id, m.opt_id, m.fx) for m in markers] == [
        ("started", 10, 1, None),
        ("crashed", 13, 1, 3.0),  # its last value, as the live run marked it
        ("started", 13, 2, None),
        ("crashed", 13, 2, None),  # ended where it started, before the next one started
        ("started", 13, 3, None),
    ]
