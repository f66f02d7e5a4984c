"""What a run reports: its statistics, the YAML summary's content and the :class:`Result`."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from ..core.settings import ManagerSettings
from ..core.state import RunState
from ..result import Result

__all__ = ["run_result", "run_stats", "run_summary"]


def run_stats(state: RunState) -> dict[str, Any]:
    """The run's figures: evaluations, time, sessions, optimizers, checkpoints, end reason.

    ``evaluations_replayed`` counts the evaluations answered from the log's rolled-back rows
    instead of the task (see :mod:`.replay`), ``replay_seconds_saved`` estimates the wall time
    that saved; both over the sessions of the run's timeline.
    """
    return {
        "f_counter": state.f_counter,
        "evaluations_replayed": sum(s.replayed for s in state.sessions),
        "replay_seconds_saved": round(sum(s.replay_seconds_saved for s in state.sessions), 3),
        "end_reason": state.end_reason,
        "elapsed_seconds": round(state.elapsed_before, 3),
        "sessions": len(state.sessions),
        "optimizers_started": state.n_started,
        "optimizers_converged": state.count("converged"),
        "optimizers_killed": state.count("killed"),
        "optimizers_crashed": state.count("crashed"),
        "checkpoints": [c.path for c in state.checkpoints],
    }


def run_summary(settings: ManagerSettings, state: RunState) -> dict[str, Any]:
    """The content of the YAML summary (``glompo_manager_log.yml``) of the run as it stands."""
    return {
        "key": state.key,
        "settings": {
            "bounds": settings.bounds.tolist(),
            "opt_selector": repr(settings.opt_selector),
            "convergence_checker": repr(settings.convergence_checker),
            "checkpoint_control": repr(settings.checkpoint_control),
            "executor": settings.executor or "custom Executor",
            "max_jobs": settings.max_jobs,
            "max_optimizers": settings.max_optimizers,
            "seed": settings.seed,
            "hunter": repr(settings.hunter),
            "hunt_frequency": settings.hunt_frequency,
            "generator": repr(settings.generator),
            "status_frequency": settings.status_frequency,
            "share_best_solutions": settings.share_best_solutions,
            "replay_evaluations": settings.replay_evaluations,
        },
        "result": {
            "x": None if state.best_x is None else state.best_x.tolist(),
            "fx": state.best_fx,
            "opt_id": state.best_opt_id,
            "call_id": state.best_call_id,
        },
        "stats": run_stats(state),
        "sessions": [vars(s) for s in state.sessions],
        "checkpoints": [vars(c) for c in state.checkpoints],
        "optimizers": {
            rec.opt_id: {
                "type": rec.opt_type,
                "status": rec.status,
                "start_call": rec.start_call,
                "end_call": rec.end_call,
                "evaluations": rec.n_evals,
                "best_fx": rec.best_fx,
                "end_reason": rec.end_reason,
            }
            for rec in state.optimizers.values()
        },
        "movie_segments": state.movie_segments,
    }


def run_result(
    state: RunState,
    signum: int | None = None,
    movie_path: Path | None = None,
    saved_on_signal: Path | None = None,
) -> Result:
    """The :class:`Result` of the run as it stands.

    Parameters
    ----------
    state
        The run's state.
    signum
        The signal that interrupted the session, if one did.
    movie_path
        The stitched movie, if one was written.
    saved_on_signal
        The checkpoint written on that signal, if it could be.
    """
    stats = run_stats(state)
    stats["movie"] = None if movie_path is None else str(movie_path)
    stats["interrupt_checkpoint"] = None if saved_on_signal is None else str(saved_on_signal)
    stats["interrupt_signal"] = None if signum is None else signal.Signals(signum).name
    origin: dict[str, Any] = {}
    if state.best_opt_id is not None:
        origin = {
            "opt_id": state.best_opt_id,
            "type": state.optimizers[state.best_opt_id].opt_type,
            "call_id": state.best_call_id,
        }
    x = None if state.best_x is None else state.best_x.copy()
    return Result(x, state.best_fx, stats, origin, signum is not None)
