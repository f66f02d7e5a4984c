"""Taking one checkpoint, in the one order that keeps log, movie and archive in agreement.

Order: mark the timeline → flush the log → close and rename the movie segment and write the
manifest → write the archive (holding the segment list and ``f_counter``) atomically → apply
``keep_past``, deleting only after the new archive is safely in place.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.checkpointing import ARCHIVE_SUFFIX, CheckpointingControl
from ..core.settings import ManagerSettings
from ..core.state import STATE_VERSION, CheckpointRecord, PendingEvaluation, RunState
from ..errors import CheckpointError
from .archive import write_checkpoint
from .payload import dumps_state

__all__ = ["take_checkpoint", "apply_keep_past"]

logger = logging.getLogger(__name__)


def apply_keep_past(control: CheckpointingControl, newest: Path) -> list[Path]:
    """Delete the oldest matching checkpoints beyond ``keep_past``; return what was deleted."""
    if control.keep_past < 0:
        return []
    earlier = [path for path in control.existing_checkpoints() if path != newest]
    doomed = earlier[: max(0, len(earlier) - control.keep_past)]
    for path in doomed:
        path.unlink(missing_ok=True)
        logger.info("keep_past=%d: deleted %s", control.keep_past, path)
    return doomed


def take_checkpoint(
    settings: ManagerSettings,
    state: RunState,
    task: Any,
    *,
    elapsed: float,
    session: int,
    pending: list[PendingEvaluation],
    log: Any = None,
    movie: Any = None,
    last: bool = False,
) -> Path:
    """Write a checkpoint of the run and return its path.

    Parameters
    ----------
    elapsed
        Seconds of optimization over all sessions up to now.
    session
        Number of the current session.
    pending
        Evaluations submitted but not processed: re-submitted on resume.
    log, movie
        The open HDF5 log and movie timeline, if any.
    last
        No movie segment follows (the session ends after this checkpoint).

    Raises
    ------
    CheckpointError
        If the archive cannot be written; earlier checkpoints are untouched then.
    """
    control = settings.checkpoint_control
    try:
        control.checkpointing_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CheckpointError(
            f"Checkpointing dir {control.checkpointing_dir} cannot be created ({exc}); "
            "choose a writable checkpointing_dir."
        ) from exc
    name = control.get_name()
    path = control.checkpointing_dir / (name + ARCHIVE_SUFFIX)
    marker = state.history.add_marker("checkpoint", state.f_counter, label=name)
    if log is not None:
        log.flush()
    if movie is not None:
        movie.notify_marker(marker)
        state.movie_segments = movie.on_checkpoint(name, state.f_counter, start_next=not last)
    state.checkpoints.append(
        CheckpointRecord(name, str(path), state.f_counter, time.time(), session)
    )
    state.pending = list(pending)
    try:
        payload = dumps_state(
            {
                "settings": replace(settings, executor_instance=None),
                "state": state,
                "elapsed": elapsed,
            }
        )
        meta = {
            "name": name,
            "key": state.key,
            "f_counter": state.f_counter,
            "created": time.time(),
            "package_version": __version__,
            "state_version": STATE_VERSION,
            "movie_segments": state.movie_segments,
        }
        write_checkpoint(path, payload, meta, task, control.force_task_save)
    except Exception as exc:
        state.checkpoints.pop()
        if isinstance(exc, CheckpointError):
            raise
        raise CheckpointError(f"Checkpoint {path} could not be written: {exc!r}") from exc
    finally:
        state.pending = []
    apply_keep_past(control, path)
    logger.info("Checkpoint %s written at f_counter=%d", path, state.f_counter)
    return path
