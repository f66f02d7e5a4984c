"""Running one session end to end: open the outputs, run the loop, close everything, report."""

from __future__ import annotations

import concurrent.futures as cf
import signal
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._fileio import make_dirs
from .._logging import get_logger
from .._run_files import LOG_FILENAME, SEGMENT_FOLDER, SUMMARY_FILENAME
from .._tempfiles import remove_leftovers
from ..checkpoint.writer import take_checkpoint
from ..core.journal import HistoryJournal
from ..core.settings import ManagerSettings
from ..core.state import ResumePoint, RunState, SessionRecord
from ..errors import CheckpointError
from ..result import Result
from .loop import Session
from .outputs import RunLog, RunMovie
from .report import run_result, run_summary
from .signals import SignalCatcher

__all__ = ["run_session"]

logger = get_logger(__name__)


def _remove_leftovers(settings: ManagerSettings) -> None:
    """Remove the temporary files ended processes left where this session writes."""
    checkpointing_dir = settings.checkpoint_control.checkpointing_dir
    outfile = settings.working_dir / settings.visualisation_args["movie_kwargs"]["outfile"]
    folders = [settings.working_dir, checkpointing_dir, checkpointing_dir / SEGMENT_FOLDER]
    remove_leftovers([*folders, outfile.parent])


def _open_log(
    settings: ManagerSettings, state: RunState, resumed_from: ResumePoint | None
) -> RunLog | None:
    if settings.summary_files < 3:
        return None
    from ..log.opener import open_run_log

    origin = (
        resumed_from.name
        if resumed_from is not None
        else (state.checkpoints[-1].name if state.checkpoints else f"session {len(state.sessions)}")
    )
    metadata: dict[str, str | int | float | bool] = {
        "optimizers": repr(settings.opt_selector),
        "convergence_checker": repr(settings.convergence_checker),
        "seed": -1 if settings.seed is None else settings.seed,
    }
    log = open_run_log(
        settings.working_dir / LOG_FILENAME,
        state.key,
        len(settings.bounds),
        state.f_counter,
        origin,
        metadata,
    )
    _register_optimizers(log, state)
    return log


def _register_optimizers(log: RunLog, state: RunState) -> None:
    """Make a log that lacks the run's optimizers (a new file on resume) know them."""
    for record in state.optimizers.values():
        if not log.has_optimizer(record.opt_id):
            log.add_optimizer(record.opt_id, record.opt_type, record.start_call, record.options)
            if record.end_call is not None:
                log.end_optimizer(
                    record.opt_id, f"{record.status}: {record.end_reason}", record.end_call
                )


def _open_history(settings: ManagerSettings, state: RunState) -> HistoryJournal:
    """Open the history files, settled to the run; a failure waits for the next checkpoint.

    The checkpoint then tries again, and fails as a checkpoint does (``raise_checkpoint_fail``).
    """
    journal = HistoryJournal.of(state.history, state.key)
    folder = settings.checkpoint_control.checkpointing_dir
    try:
        make_dirs(folder)
        journal.open(folder)
    except OSError as exc:
        logger.warning(
            "The history files cannot be written in %s (%s); checkpoints fail until they can.",
            folder,
            exc,
        )
    return journal


def _open_movie(
    settings: ManagerSettings, state: RunState, number: int, resumed_from: ResumePoint | None
) -> RunMovie | None:
    if not settings.visualisation:
        return None
    from ..movie.timeline import MovieTimeline

    checkpointing_dir = settings.checkpoint_control.checkpointing_dir
    inherit_from = None
    if resumed_from is not None and resumed_from.folder != checkpointing_dir:
        inherit_from = resumed_from.folder
    return MovieTimeline(
        settings.visualisation_args,
        state,
        checkpointing_dir=checkpointing_dir,
        working_dir=settings.working_dir,
        session=number,
        resumed_from=None if resumed_from is None else resumed_from.name,
        inherit_from=inherit_from,
        recorded_args=None if resumed_from is None else resumed_from.visualisation_args,
    )


def run_session(
    settings: ManagerSettings,
    state: RunState,
    task: Callable[[np.ndarray], float],
    executor: cf.Executor,
    resumed_from: ResumePoint | None,
) -> Result:
    """Run one session of an optimization and return the result.

    The log and the history files are settled (rolled back to the checkpoint when resuming) and
    opened first; then the loop runs. Whatever way the session ends, the log and the history
    files are flushed and closed, the movie's last segment closed (and the timeline stitched when
    the run ended), and the summary files written; a checkpoint signal arriving meanwhile is held
    until they are (Ctrl-C aborts at once).

    Parameters
    ----------
    settings, state, task
        The run's, as the manager holds them; ``state`` is updated in place.
    executor
        Where evaluations run.
    resumed_from
        The checkpoint this session resumes from, or ``None`` for a new run or a second
        ``start_manager`` call.

    Raises
    ------
    LogKeyMismatchError, LogFileError
        If the working dir's log cannot be continued; nothing was run or written then.
    OSError
        If the history files cannot be settled in the checkpointing dir.
    """
    _remove_leftovers(settings)
    log = _open_log(settings, state, resumed_from)
    journal = _open_history(settings, state)
    name = None if resumed_from is None else resumed_from.name
    if name is not None:
        _close_resumed_record(state, name)
    number = len(state.sessions) + 1
    record = SessionRecord(number, time.time(), state.f_counter, name)
    state.sessions.append(record)
    if name is not None:
        state.history.add_marker("resume", state.f_counter, label=name)
    session = movie = failure = None
    signals = SignalCatcher(settings.checkpoint_signals)
    try:
        movie = _open_movie(settings, state, number, resumed_from)
        session = Session(settings, state, task, executor, log, movie, signals=signals)
        session.run()
    except BaseException as exc:
        state.end_reason = f"crashed: {exc!r}"
        failure = exc
        raise
    finally:
        signals.hold()  # until the outputs are written; Ctrl-C still aborts at once
        signum = signals.received
        saved_on_signal = (
            None if session is None or signum is None else session.interrupt_checkpoint
        )
        if session is not None:
            state.elapsed_before = session.elapsed()
        record.ended, record.f_counter_end, record.end_reason = (
            time.time(),
            state.f_counter,
            state.end_reason,
        )
        try:
            stitch = signum is None and failure is None
            movie_path = _close_outputs(settings, state, log, movie, journal, stitch=stitch)
        except KeyboardInterrupt:
            if signum is not None or session is None or not session.converged:
                raise
            movie_path, signum = None, signal.SIGINT
            saved_on_signal = _checkpoint_finished_run(settings, state, task, movie)
        except Exception as exc:
            if failure is None:
                raise
            logger.error("Closing the outputs after the run failed also failed: %s", exc)
        finally:
            signals.restore()
    return run_result(state, signum, movie_path, saved_on_signal)


def _checkpoint_finished_run(
    settings: ManagerSettings,
    state: RunState,
    task: Callable[[np.ndarray], float],
    movie: RunMovie | None,
) -> Path | None:
    """Checkpoint a run that has ended when Ctrl-C stopped its last outputs (the final stitch).

    Resuming from this checkpoint evaluates nothing: the run ends again at once and writes its
    outputs; the segments recorded so far are the movie's timeline. Returns ``None``, with a
    warning, if the checkpoint cannot be written.
    """
    try:
        path = take_checkpoint(
            settings,
            state,
            task,
            elapsed=state.elapsed_before,
            session=len(state.sessions),
            pending=[],
            movie=movie,
            last=True,
        )
    except CheckpointError as exc:
        warnings.warn(
            f"Ctrl-C stopped the end of the run; its checkpoint failed: {exc}", stacklevel=3
        )
        return None
    state.end_reason = (
        f"{state.end_reason}; Ctrl-C stopped the final outputs: resume from {path} to write them"
    )
    return path


def _close_resumed_record(state: RunState, checkpoint: str) -> None:
    """End the record of the session that wrote ``checkpoint``, as the timeline sees it.

    The checkpoint saved that record while its session was still running; whatever the session
    did after the checkpoint is superseded by this resume.
    """
    previous = state.sessions[-1] if state.sessions else None
    if previous is None or previous.ended is not None:
        return
    written = next((c for c in reversed(state.checkpoints) if c.name == checkpoint), None)
    previous.ended = written.created if written is not None else None
    previous.f_counter_end = state.f_counter
    previous.end_reason = (
        f"continued from its checkpoint {checkpoint} by session {previous.number + 1}"
    )


def _close_outputs(
    settings: ManagerSettings,
    state: RunState,
    log: RunLog | None,
    movie: RunMovie | None,
    journal: HistoryJournal,
    stitch: bool,
) -> Path | None:
    """Close the log and the history files, write the summaries, then finish the movie.

    Every step is tried.

    The quick outputs come first and the stitch, which may take minutes, last: a scheduler's
    SIGTERM is held until the stitch ends, but a SIGKILL after its grace time then finds the
    log, the summary and the plots written, and every segment complete in the manifest, so
    ``stitch-movies WORKING_DIR`` (or a session resumed from the last checkpoint) makes the movie.
    The first failure is raised once all steps ran; later ones (a full disk fails them all)
    are logged, so the run ends with one error.
    """
    failures: list[BaseException] = []

    def attempt(step: Callable[[], Any]) -> Any:
        try:
            return step()
        except BaseException as exc:
            if failures:
                logger.error("After %r, closing the outputs also failed: %s", failures[0], exc)
            failures.append(exc)
            return None

    if log is not None:
        ended = {"end_reason": state.end_reason or "", "sessions": len(state.sessions)}
        attempt(lambda: log.set_root_attrs(**ended))
        attempt(log.close)
    attempt(journal.close)
    if settings.summary_files >= 1:
        from ..log.summary import write_trajectory_plots, write_yaml_summary

        summary = run_summary(settings, state)
        attempt(lambda: write_yaml_summary(settings.working_dir / SUMMARY_FILENAME, summary))
        if settings.summary_files >= 2:
            attempt(lambda: write_trajectory_plots(settings.working_dir, state.history))
    movie_path = None
    if movie is not None:
        movie_path = attempt(lambda: movie.finish(state.f_counter, stitch_movie=stitch))
    if failures:
        raise failures[0]
    return movie_path
