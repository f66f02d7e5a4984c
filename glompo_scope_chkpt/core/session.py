"""Running one session end to end: open the outputs, run the loop, close everything, report."""

from __future__ import annotations

import concurrent.futures as cf
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._run_files import SUMMARY_FILENAME
from ..result import Result
from .loop import Session
from .state import SessionRecord

if TYPE_CHECKING:
    from .manager import GloMPOManager

__all__ = ["run_session"]

logger = logging.getLogger(__name__)


def _open_log(manager: GloMPOManager) -> Any:
    settings, state = manager.settings, manager.state
    if settings.summary_files < 3:
        return None
    from ..log.writer import LOG_FILENAME, OptimizationLog

    path = settings.working_dir / LOG_FILENAME
    if state.f_counter > 0 or path.exists():
        origin = manager._resumed_from or (
            state.checkpoints[-1].name if state.checkpoints else f"session {len(state.sessions)}"
        )
        return OptimizationLog.resume(
            path, state.key, len(settings.bounds), state.f_counter, origin
        )
    metadata = {
        "optimizers": repr(settings.opt_selector),
        "convergence_checker": repr(settings.convergence_checker),
        "seed": -1 if settings.seed is None else settings.seed,
    }
    return OptimizationLog.create(path, state.key, len(settings.bounds), metadata)


def _register_optimizers(log: Any, state: Any) -> None:
    """Make a log that lacks the run's optimizers (a new file on resume) know them."""
    for record in state.optimizers.values():
        if not log.has_optimizer(record.opt_id):
            options = getattr(record, "options", {})  # absent in checkpoints before 0.1.0's end
            log.add_optimizer(record.opt_id, record.opt_type, record.start_call, options)
            if not record.running:
                log.end_optimizer(
                    record.opt_id, f"{record.status}: {record.end_reason}", record.end_call
                )


def _open_movie(manager: GloMPOManager, number: int) -> Any:
    settings = manager.settings
    if not settings.visualisation:
        return None
    from ..movie.timeline import MovieTimeline

    return MovieTimeline(
        settings.visualisation_args,
        manager.state,
        checkpointing_dir=settings.checkpoint_control.checkpointing_dir,
        working_dir=settings.working_dir,
        session=number,
        resumed_from=manager._resumed_from,
    )


def run_session(manager: GloMPOManager, executor: cf.Executor) -> Result:
    """Run one session of ``manager``'s optimization and return the result.

    The log is flushed and closed, the movie's last segment closed (and the timeline stitched
    when the run ended), and the summary files written, whatever way the session ends.

    Raises
    ------
    LogKeyMismatchError, LogFileError
        If the working dir's log cannot be continued; nothing was run or written then.
    """
    settings, state = manager.settings, manager.state
    log = _open_log(manager)
    number = len(state.sessions) + 1
    record = SessionRecord(number, time.time(), state.f_counter, manager._resumed_from)
    state.sessions.append(record)
    if manager._resumed_from is not None:
        state.history.add_marker("resume", state.f_counter, label=manager._resumed_from)
    session = movie = None
    try:
        if log is not None:
            _register_optimizers(log, state)
        movie = _open_movie(manager, number)
        session = Session(settings, state, manager.task, executor, log, movie)
        session.run()
    except BaseException as exc:
        state.end_reason = f"crashed: {exc!r}"
        raise
    finally:
        interrupted = session is not None and session.signal_received is not None
        saved_on_signal = session.interrupt_checkpoint if interrupted else None
        if session is not None:
            state.elapsed_before = session.elapsed()
        record.ended, record.f_counter_end, record.end_reason = (
            time.time(),
            state.f_counter,
            state.end_reason,
        )
        movie_path = _close_outputs(manager, log, movie, stitch=not interrupted)
        manager._resumed_from = None
    return _result(manager, interrupted, movie_path, saved_on_signal)


def _close_outputs(manager: GloMPOManager, log: Any, movie: Any, stitch: bool) -> Path | None:
    settings, state = manager.settings, manager.state
    movie_path = None
    try:
        if movie is not None:
            movie_path = movie.finish(state.f_counter, stitch_movie=stitch)
    finally:
        try:
            if log is not None:
                log.set_root_attrs(end_reason=state.end_reason or "", sessions=len(state.sessions))
                log.close()
        finally:
            if settings.summary_files >= 1:
                from ..log.summary import write_trajectory_plots, write_yaml_summary

                write_yaml_summary(settings.working_dir / SUMMARY_FILENAME, _summary(manager))
                if settings.summary_files >= 2:
                    write_trajectory_plots(settings.working_dir, state.history)
    return movie_path


def _stats(manager: GloMPOManager) -> dict[str, Any]:
    state = manager.state
    return {
        "f_counter": state.f_counter,
        "end_reason": state.end_reason,
        "elapsed_seconds": round(state.elapsed_before, 3),
        "sessions": len(state.sessions),
        "optimizers_started": state.n_started,
        "optimizers_converged": state.count("converged"),
        "optimizers_killed": state.count("killed"),
        "optimizers_crashed": state.count("crashed"),
        "checkpoints": [c.path for c in state.checkpoints],
    }


def _summary(manager: GloMPOManager) -> dict[str, Any]:
    settings, state = manager.settings, manager.state
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
        },
        "result": {
            "x": None if state.best_x is None else state.best_x.tolist(),
            "fx": state.best_fx,
            "opt_id": state.best_opt_id,
            "call_id": state.best_call_id,
        },
        "stats": _stats(manager),
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


def _result(
    manager: GloMPOManager,
    interrupted: bool,
    movie_path: Path | None,
    saved_on_signal: Path | None,
) -> Result:
    state = manager.state
    stats = _stats(manager)
    stats["movie"] = None if movie_path is None else str(movie_path)
    stats["interrupt_checkpoint"] = None if saved_on_signal is None else str(saved_on_signal)
    origin: dict[str, Any] = {}
    if state.best_opt_id is not None:
        origin = {
            "opt_id": state.best_opt_id,
            "type": state.optimizers[state.best_opt_id].opt_type,
            "call_id": state.best_call_id,
        }
    x = None if state.best_x is None else state.best_x.copy()
    return Result(x, state.best_fx, stats, origin, interrupted)
