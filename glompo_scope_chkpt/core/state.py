"""The state of a run that a checkpoint saves, as explicit dataclasses.

Everything the manager must know to continue an optimization lives here; nothing else of the
manager is saved. Settings (what the user asked for) live in
:class:`~glompo_scope_chkpt.core.settings.ManagerSettings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..optimizers.base import BaseOptimizer
from .history import History, PointWindow
from .journal.format import HistoryMark

__all__ = [
    "ResumePoint",
    "OptimizerRecord",
    "PendingEvaluation",
    "SessionRecord",
    "CheckpointRecord",
    "RunState",
]

STATE_VERSION = 5
"""Version of what a checkpoint pickles; 4: the history lives in files beside the checkpoints;
5: the records of ended optimizers are packed (:mod:`.ended`)."""


@dataclass
class OptimizerRecord:
    """One optimizer the manager started.

    ``optimizer`` is dropped (set to ``None``) once it has ended, to keep checkpoints small;
    a checkpoint then packs the record with the other ended ones (:mod:`.ended`).
    """

    opt_id: int
    opt_type: str
    optimizer: BaseOptimizer | None
    start_call: int
    n_evals: int = 0
    best_fx: float = math.inf
    best_x: np.ndarray | None = None
    evals_at_improvement: int = 0
    status: str = "running"
    end_reason: str = ""
    end_call: int | None = None
    options: dict[str, str] = field(default_factory=dict)
    """The keyword arguments it was built with, as ``repr`` strings (for the log)."""
    recent: PointWindow | None = None
    """Its last points, as many as the hunters need (only the last one once it has ended)."""

    @property
    def running(self) -> bool:
        """Whether the optimizer still asks for points."""
        return self.status == "running"

    @property
    def active(self) -> BaseOptimizer:
        """The optimizer of a running record.

        Raises
        ------
        RuntimeError
            If it has ended (its optimizer was dropped).
        """
        if self.optimizer is None:
            raise RuntimeError(f"Optimizer {self.opt_id} has ended ({self.status}).")
        return self.optimizer


@dataclass(frozen=True)
class PendingEvaluation:
    """An evaluation submitted but not yet processed: re-submitted on resume."""

    eval_id: int
    opt_id: int
    x: np.ndarray


@dataclass(frozen=True)
class ResumePoint:
    """The checkpoint a session resumes from: its name and the folder it was loaded from.

    ``visualisation_args`` are those the checkpoint was written with, before any override given
    on load: the movie segments it lists are drawn with them.
    """

    name: str
    folder: Path
    visualisation_args: dict[str, Any] | None = None


@dataclass
class SessionRecord:
    """One stretch of the optimization run by one process."""

    number: int
    started: float
    f_counter_start: int
    resumed_from: str | None = None
    ended: float | None = None
    f_counter_end: int | None = None
    end_reason: str | None = None
    replayed: int = 0
    """Evaluations answered from the log's rolled-back rows instead of the task."""
    replay_seconds_saved: float = 0.0
    """Estimated wall seconds those replayed evaluations saved."""


@dataclass(frozen=True)
class CheckpointRecord:
    """A checkpoint made during the run."""

    name: str
    path: str
    f_counter: int
    created: float
    session: int


@dataclass
class RunState:
    """Everything that changes while the optimization runs.

    Attributes
    ----------
    key
        Ties the run's log, manifest and checkpoints together.
    f_counter
        Evaluations processed so far (the last ``call_id`` given out).
    rng
        The manager's generator: start points and optimizer seeds.
    history
        Every point and marker so far. It is *not* pickled: it lives in the history files beside
        the checkpoints, and ``history_mark`` says how far they reached at the checkpoint.
    """

    key: str
    rng: np.random.Generator
    f_counter: int = 0
    next_eval_id: int = 0
    n_started: int = 0
    optimizers: dict[int, OptimizerRecord] = field(default_factory=dict)
    pending: list[PendingEvaluation] = field(default_factory=list)
    best_x: np.ndarray | None = None
    best_fx: float = math.inf
    best_opt_id: int | None = None
    best_call_id: int | None = None
    history: History = field(default_factory=History)
    sessions: list[SessionRecord] = field(default_factory=list)
    checkpoints: list[CheckpointRecord] = field(default_factory=list)
    elapsed_before: float = 0.0
    next_iter_checkpoint: float = math.inf
    end_reason: str | None = None
    movie_segments: list[int] = field(default_factory=list)
    history_mark: HistoryMark | None = None
    version: int = STATE_VERSION

    def __getstate__(self) -> dict[str, Any]:
        from .ended import pack_ended  # it imports this module

        saved = dict(self.__dict__)
        del saved["history"]
        records = self.optimizers.values()
        saved["optimizers"] = {r.opt_id: r for r in records if r.running}
        saved["ended_optimizers"] = pack_ended([r for r in records if not r.running])
        return saved

    def __setstate__(self, saved: dict[str, Any]) -> None:
        from .ended import unpack_ended  # it imports this module

        ended = {r.opt_id: r for r in unpack_ended(saved.pop("ended_optimizers"))}
        self.__dict__.update(saved)
        self.optimizers = dict(sorted({**self.optimizers, **ended}.items()))
        self.history = History()

    def count(self, status: str) -> int:
        """Number of optimizers with this status."""
        return sum(1 for rec in self.optimizers.values() if rec.status == status)
