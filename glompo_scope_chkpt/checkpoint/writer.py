"""Taking one checkpoint, in the one order that keeps log, movie and archive in agreement.

Order: mark the timeline → flush the log → close and rename the movie segment and write the
manifest → make the history files durable → write the archive (holding the segment list,
``f_counter`` and how far the history files reach) atomically → apply ``keep_past``, deleting
only after the new archive is safely in place.

A failure at any step is one :class:`~glompo_scope_chkpt.errors.CheckpointError` naming the step;
the earlier checkpoints, the log and the movie segments are left as they were, so the caller can
honour ``raise_checkpoint_fail`` and carry on.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import __version__
from .._disk import describe_disk, disk_errno
from .._fileio import make_dirs
from .._logging import get_logger
from .._run_files import HISTORY_MEMBER_FOLDER
from ..core.checkpointing import ARCHIVE_SUFFIX, CheckpointingControl
from ..core.history import Marker
from ..core.journal import HistoryJournal
from ..core.settings import ManagerSettings
from ..core.state import STATE_VERSION, CheckpointRecord, PendingEvaluation, RunState
from ..errors import CheckpointDiskError, CheckpointError, DiskWriteError
from .archive import write_checkpoint
from .locate import timeline_order
from .payload import dumps_state

__all__ = ["take_checkpoint", "apply_keep_past"]

logger = get_logger(__name__)


def apply_keep_past(control: CheckpointingControl, newest: Path) -> list[Path]:
    """Delete the oldest matching checkpoints beyond ``keep_past``; return what was deleted."""
    if control.keep_past < 0:
        return []
    earlier = timeline_order([p for p in control.existing_checkpoints() if p != newest])
    doomed = earlier[: max(0, len(earlier) - control.keep_past)]
    for path in doomed:
        path.unlink(missing_ok=True)
        logger.info("keep_past=%d: deleted %s", control.keep_past, path)
    return doomed


@contextlib.contextmanager
def _step(what: str, written: Path | None = None, where: Path | None = None) -> Iterator[None]:
    """Turn any failure of one checkpoint step into the one :class:`CheckpointError`.

    A failure caused by the disk (full, read-only, failing) is a :class:`CheckpointDiskError`;
    when the failure does not name its disk already, the disk of ``where`` is named.
    """
    try:
        yield
    except CheckpointError:
        raise
    except Exception as exc:
        message = f"Checkpoint failed while {what}: {type(exc).__name__}: {exc}"
        if isinstance(exc, DiskWriteError):
            raise CheckpointDiskError(message, written) from exc
        if disk_errno(exc) is not None and where is not None:
            message += f". On the {describe_disk(where)}; free space there, then resume"
            raise CheckpointDiskError(message, written) from exc
        raise CheckpointError(message, written) from exc


def _make_dir(control: CheckpointingControl) -> None:
    folder = control.checkpointing_dir
    try:
        make_dirs(folder)
    except OSError as exc:
        kind = CheckpointError if disk_errno(exc) is None else CheckpointDiskError
        raise kind(
            f"Checkpointing dir {folder} cannot be created ({exc}; {describe_disk(folder)}); "
            "choose a writable checkpointing_dir."
        ) from exc


def _settle_outputs(
    state: RunState, name: str, marker: Marker, log: Any, movie: Any, last: bool
) -> None:
    """Flush the log; close and rename the movie segment, start the next, save the manifest."""
    if log is not None:
        with _step(f"flushing the log {log.path}"):
            log.flush()
    if movie is not None:
        movie.notify_marker(marker)
        what = f"closing the movie segment in {movie.segment_dir} and saving the manifest"
        with _step(what, where=movie.segment_dir):
            state.movie_segments = movie.on_checkpoint(name, state.f_counter, start_next=not last)


@contextlib.contextmanager
def _history_synced(state: RunState, folder: Path, embed: bool) -> Iterator[dict[str, bytes]]:
    """Make the history files in ``folder`` durable and mark them in ``state``.

    Yields the files' content to embed in the archive (none unless ``embed``). Files opened
    here (a checkpoint taken outside a session) are closed again afterwards.
    """
    journal = HistoryJournal.of(state.history, state.key)
    opened_here = not journal.is_open
    try:
        with _step(f"writing the history files in {folder}", where=folder):
            journal.open(folder)
            state.history_mark = journal.sync()
            members = journal.prefix() if embed else {}
        yield {f"{HISTORY_MEMBER_FOLDER}/{name}": data for name, data in members.items()}
    finally:
        if opened_here:
            with _step(f"closing the history files in {folder}", where=folder):
                journal.close()


def _write_archive(
    settings: ManagerSettings,
    state: RunState,
    task: Any,
    path: Path,
    record: CheckpointRecord,
    elapsed: float,
    pending: list[PendingEvaluation],
    embedded: dict[str, bytes],
) -> None:
    """Write the archive atomically, holding the state with ``record`` and ``pending`` in it.

    ``embedded`` are the history files' members of a self-contained checkpoint, or empty.
    """
    mark = state.history_mark
    assert mark is not None, "the history files are synced before the archive is written"
    state.checkpoints.append(record)
    state.pending = list(pending)
    try:
        with _step(f"writing {path}", where=path.parent):
            payload = dumps_state(
                {
                    "settings": replace(settings, executor_instance=None),
                    "state": state,
                    "elapsed": elapsed,
                }
            )
            meta = {
                "name": record.name,
                "key": state.key,
                "f_counter": state.f_counter,
                "created": time.time(),
                "package_version": __version__,
                "state_version": STATE_VERSION,
                "movie_segments": state.movie_segments,
                "lineage": [c.name for c in state.checkpoints[:-1]],
                "history": mark.as_meta(),
            }
            control = settings.checkpoint_control
            write_checkpoint(path, payload, meta, task, control.force_task_save, embedded)
    except BaseException:
        state.checkpoints.pop()
        raise
    finally:
        state.pending = []


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
    self_contained: bool = False,
) -> Path:
    """Write a checkpoint of the run and return its path.

    A name without a count or time key that is taken already is replaced atomically, with a
    warning: the earlier checkpoint stays until the new one is complete.

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
    self_contained
        Embed the history files' prefix in the archive, so that it loads without the files
        beside it (also when the control's ``self_contained`` is set).

    Raises
    ------
    CheckpointError
        If any step fails: creating the folder, naming, flushing the log, closing the movie
        segment or saving the manifest, writing the history files or the archive, or applying
        ``keep_past``. Earlier checkpoints, the log and the movie segments are left intact; a
        segment that could not be renamed stays complete under its recording name. If only
        ``keep_past`` failed, the new checkpoint is written and is the error's ``written``.
    """
    control = settings.checkpoint_control
    _make_dir(control)
    with _step(f"choosing a name in {control.checkpointing_dir}"):
        name = control.get_name()
    path = control.checkpointing_dir / (name + ARCHIVE_SUFFIX)
    replaces = path.exists()
    marker = state.history.add_marker("checkpoint", state.f_counter, label=name)
    timeline = state.movie_segments
    try:
        _settle_outputs(state, name, marker, log, movie, last)
        embed = self_contained or control.self_contained
        with _history_synced(state, control.checkpointing_dir, embed) as embedded:
            record = CheckpointRecord(name, str(path), state.f_counter, time.time(), session)
            _write_archive(settings, state, task, path, record, elapsed, pending, embedded)
    except BaseException:
        state.movie_segments = timeline
        raise
    if replaces:
        warnings.warn(
            f"Checkpoint {path} replaces the earlier checkpoint of that name: naming_format "
            f"{control.naming_format!r} has no %(count) or time key, so it names one checkpoint.",
            stacklevel=3,
        )
    what = f"deleting older checkpoints (keep_past={control.keep_past})"
    with _step(what, written=path, where=path.parent):
        apply_keep_past(control, path)
    logger.info("Checkpoint %s written at f_counter=%d", path, state.f_counter)
    return path
