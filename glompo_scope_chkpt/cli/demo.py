"""The bundled demonstration: an optimization interrupted like a cluster job, resumed, stitched.

Session 1 records the scope and checkpoints every few thousand evaluations until its "wall time"
ends: like SLURM's ``--signal=B:USR1@...`` SIGUSR1 arrives, the manager checkpoints and exits.
The signal comes from a timer, or after 60 % of the evaluations if that is sooner, so that a fast
machine is interrupted too. Session 2 resumes from the checkpointing folder with a
``visualisation_args`` override (a higher dpi), finishes, and stitches one movie from both
sessions' segments.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import CheckpointingControl, GloMPOManager
from .._run_files import CHECKPOINT_FOLDER, DEFAULT_MOVIE
from ..errors import InvalidSettingError

__all__ = ["DemoTask", "DemoOutcome", "run_demo"]

_MARK = ".glompo_demo"


class DemoTask:
    """Rastrigin's function, made to cost ``delay`` seconds per call like a real model."""

    def __init__(self, delay: float = 0.0005) -> None:
        self.delay = delay

    def __call__(self, x: np.ndarray) -> float:
        if self.delay:
            time.sleep(self.delay)
        x = np.asarray(x, dtype=float)
        return float(10 * len(x) + np.sum(x**2 - 10 * np.cos(2 * np.pi * x)))


class _WarnedAfter:
    """Session 1's task: ``task``, sending SIGUSR1 to this process at its ``calls``-th call."""

    def __init__(self, task: DemoTask, calls: int) -> None:
        self.task, self.calls_left = task, calls
        self.lock = threading.Lock()

    def __call__(self, x: np.ndarray) -> float:
        with self.lock:
            self.calls_left -= 1
            now = self.calls_left == 0
        if now:
            os.kill(os.getpid(), signal.SIGUSR1)
        return self.task(x)

    def __reduce__(self) -> tuple:  # checkpoints keep the plain task: session 2 is not warned
        return (DemoTask, (self.task.delay,))


@dataclass(frozen=True)
class DemoOutcome:
    """Where the demo's outputs are."""

    folder: Path
    movie: Path | None
    frames: int
    first_session_evaluations: int
    evaluations: int
    best_fx: float


def _prepare(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        if not (folder / _MARK).exists():
            raise InvalidSettingError(
                f"{folder} is not empty and was not made by the demo; pass an empty or new folder."
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _MARK).write_text("made by glompo-scope-chkpt demo; rerunning the demo clears it\n")


def _new_manager(folder: Path, evaluations: int, quick: bool) -> GloMPOManager:
    from ..convergence import MaxFuncCalls
    from ..hunters import StagnationHunter
    from ..opt_selectors import CycleSelector
    from ..optimizers import CMAOptimizer, RandomOptimizer

    return GloMPOManager.new_manager(
        task=_WarnedAfter(DemoTask(), max(int(0.6 * evaluations), 1)),
        bounds=[(-5.12, 5.12)] * 6,
        opt_selector=CycleSelector(
            (CMAOptimizer, {"popsize": 10}),
            (CMAOptimizer, {"popsize": 16, "sigma0": 1.0}),
            (RandomOptimizer, {"max_evals": 400}),
        ),
        working_dir=folder,
        executor="threads",
        max_jobs=2,
        max_optimizers=3,
        seed=2026,
        hunter=StagnationHunter(patience=300),
        convergence_checker=MaxFuncCalls(evaluations),
        checkpoint_control=CheckpointingControl(
            checkpoint_iter_frequency=max(evaluations // 5, 1),
            checkpoint_at_conv=True,
            naming_format="demo_%(count)",
            checkpointing_dir=folder / CHECKPOINT_FOLDER,
        ),
        summary_files=3,
        visualisation=True,
        visualisation_args={
            "record_movie": True,
            "log_scale": True,
            "events_per_flush": 40 if quick else 20,
            "writer_kwargs": {"fps": 20},
            "movie_kwargs": {"outfile": DEFAULT_MOVIE, "dpi": 60 if quick else 80},
        },
    )


def run_demo(
    folder: str | os.PathLike[str] = "glompo_demo",
    evaluations: int = 12_000,
    wall_time: float = 6.0,
    quick: bool = False,
) -> DemoOutcome:
    """Run the demonstration in ``folder`` and return where its outputs are.

    Parameters
    ----------
    folder
        Empty (or earlier demo) folder for all outputs.
    evaluations
        Function evaluations of the whole optimization.
    wall_time
        Seconds after which session 1 receives SIGUSR1, as from a scheduler.
    quick
        Smaller frames and fewer of them (for tests).

    Raises
    ------
    InvalidSettingError
        If ``folder`` holds other files.
    """
    from ..movie.video.probe import probe

    folder = Path(folder).absolute()
    _prepare(folder)
    # Outside the manager's sessions a late second SIGUSR1 (timer and task) must not kill us.
    previous = signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    timer = threading.Timer(wall_time, os.kill, (os.getpid(), signal.SIGUSR1))
    timer.start()
    try:
        first = _new_manager(folder, evaluations, quick).start_manager()
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)
    higher_dpi = {"movie_kwargs": {"dpi": 72 if quick else 100}}
    resumed = GloMPOManager.load_manager(
        folder / CHECKPOINT_FOLDER, task=DemoTask(), visualisation_args=higher_dpi
    )
    result = resumed.start_manager()
    movie = Path(result.stats["movie"]) if result.stats.get("movie") else None
    return DemoOutcome(
        folder=folder,
        movie=movie,
        frames=probe(movie).frames if movie else 0,
        first_session_evaluations=first.stats["f_counter"],
        evaluations=result.stats["f_counter"],
        best_fx=result.fx,
    )
