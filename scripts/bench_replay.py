"""Benchmark replay on resume: the time a SIGKILL costs, with and without replay.

Run ``python scripts/bench_replay.py`` (about 70 s) or ``--quick`` (about 20 s). One seeded,
serial optimization (4-D Rastrigin taking ``--seconds`` per evaluation, 200 ms; CMA-ES and
random search; HDF5 log on) checkpoints every 100 evaluations. It runs in a child process whose
task SIGKILLs that process at evaluation 190, 90 evaluations past the checkpoint at 100. The
killed run's folder is copied twice, and each copy is resumed from its checkpoint with
``MaxFuncCalls(190)``, so that it stops where the kill struck:

* ``replay``     ``load_manager`` as is: the rows the killed run logged are replayed;
* ``no replay``  ``load_manager(..., replay_evaluations=False)``: every one is evaluated again.

The killed run is loaded once, untimed, first (the imports of cma and scipy would otherwise
fall on the first side). For each side: wall seconds from ``load_manager`` until the run is
back at evaluation 190, task calls, evaluations replayed, and the floor (task calls times the
evaluation's time). Without
replay the floor is 90 evaluations; with replay only the rows written within the last second
before the kill are evaluated again (the loop writes its log rows at least every second).

Prints a table and ends with one JSON line of its figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from bench_common import emit, parser, table

EVERY, PAST = 100, 90
KILL_AT = EVERY + PAST


class SlowRastrigin:
    """Rastrigin after ``seconds`` of sleep, counting its calls; SIGKILLs its process at a call."""

    def __init__(self, seconds: float, kill_at: int | None = None) -> None:
        self.seconds, self.kill_at, self.calls = seconds, kill_at, 0

    def __call__(self, x: np.ndarray) -> float:
        self.calls += 1
        if self.calls == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(self.seconds)
        return float(10 * len(x) + np.sum(x**2 - 10 * np.cos(2 * np.pi * x)))


def killed_run(work: Path, seconds: float) -> None:
    """Start the optimization in ``work``; its task kills the process at evaluation 190."""
    from glompo_scope_chkpt import CheckpointingControl, GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls
    from glompo_scope_chkpt.opt_selectors import CycleSelector
    from glompo_scope_chkpt.optimizers import CMAOptimizer, RandomOptimizer

    GloMPOManager.new_manager(
        SlowRastrigin(seconds, kill_at=KILL_AT),
        [(-5.12, 5.12)] * 4,
        CycleSelector((CMAOptimizer, {"popsize": 6}), (RandomOptimizer, {"max_evals": 60})),
        working_dir=work,
        executor="serial",
        max_jobs=1,
        seed=3,
        convergence_checker=MaxFuncCalls(10 * KILL_AT),
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=EVERY, checkpointing_dir=work / "checkpoints"
        ),
        summary_files=3,
    ).start_manager()


def warm_up(work: Path) -> None:
    """Load the killed run once, untimed: the first side does not pay the imports (cma, scipy).

    Loading changes nothing on disk.
    """
    from glompo_scope_chkpt import GloMPOManager

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        GloMPOManager.load_manager(work / "checkpoints", task=SlowRastrigin(0.0))


def resume(work: Path, seconds: float, replay: bool) -> dict[str, Any]:
    """Resume the killed run in ``work`` up to evaluation 190; return its figures."""
    from glompo_scope_chkpt import GloMPOManager
    from glompo_scope_chkpt.convergence import MaxFuncCalls

    task = SlowRastrigin(seconds)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the log's rolled-back rows are expected
        manager = GloMPOManager.load_manager(
            work / "checkpoints",
            task=task,
            convergence_checker=MaxFuncCalls(KILL_AT),
            replay_evaluations=replay,
        )
        result = manager.start_manager()
    wall = time.perf_counter() - start
    assert result.stats["f_counter"] == KILL_AT, result.stats
    return {
        "seconds": wall,
        "task_calls": task.calls,
        "replayed": result.stats["evaluations_replayed"],
        "floor_seconds": task.calls * seconds,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table and JSON line."""
    cli = parser(__doc__.splitlines()[0], quick_help="50 ms evaluations instead of 200 ms")
    cli.add_argument("--seconds", type=float, default=None, help="seconds per evaluation (0.2)")
    cli.add_argument("--killed", default=None, help=argparse.SUPPRESS)  # the child's folder
    args = cli.parse_args(argv)
    seconds = args.seconds or (0.05 if args.quick else 0.2)
    if args.killed:
        killed_run(Path(args.killed), seconds)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_replay_") as tmp:
        killed = Path(tmp) / "killed"
        command = [sys.executable, __file__, "--seconds", str(seconds), "--killed", str(killed)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if done.returncode != -signal.SIGKILL:
            raise RuntimeError(f"the run was not killed: {done.stderr[-2000:]}")
        warm_up(killed)
        figures: dict[str, dict[str, Any]] = {}
        for side, replay in (("replay", True), ("no replay", False)):
            copy = Path(tmp) / side.replace(" ", "_")
            shutil.copytree(killed, copy)
            figures[side] = resume(copy, seconds, replay)
    rows = [
        [side, f["seconds"], f["floor_seconds"], f["task_calls"], f["replayed"]]
        for side, f in figures.items()
    ]
    title = (
        f"Back to evaluation {KILL_AT} after a SIGKILL {PAST} evaluations past the checkpoint "
        f"({seconds * 1000:.0f} ms per evaluation, serial)"
    )
    print(table(["side", "wall s", "floor s", "task calls", "replayed"], rows, title))
    speedup = figures["no replay"]["seconds"] / figures["replay"]["seconds"]
    print(f"replay reaches the kill point {speedup:.1f} times sooner")
    emit("replay", {"seconds_per_evaluation": seconds, **figures, "speedup": speedup})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
