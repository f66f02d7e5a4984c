"""Loading a run from a checkpoint file, or from the newest checkpoint of a folder that reads.

A checkpoint is read whole before it is chosen: its archive (:mod:`.archive`), its payload,
unpickled and checked (:mod:`.payload`), the history it marks (the files beside it, or those it
embeds, read-only), and its pickled task when no task is supplied. From a
folder, a checkpoint that fails any of these, whatever the damage, is passed over with a warning
naming it, and the next newest is tried (:mod:`.locate` gives the order).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dill

from ..core.journal import read_history
from ..errors import CheckpointLoadError, TaskNotAvailableError
from .archive import CheckpointContents, read_checkpoint
from .locate import checkpoint_candidates
from .payload import SavedRun, loads_run

__all__ = ["LoadedCheckpoint", "load_checkpoint_run", "read_run"]


@dataclass(frozen=True)
class LoadedCheckpoint:
    """A checkpoint read whole: where it is, what it holds, its run and the task to run."""

    archive: Path
    contents: CheckpointContents
    saved: SavedRun
    task: Any


def _unpickled_task(archive: Path, contents: CheckpointContents) -> Any:
    try:
        return dill.loads(contents.task_pickle)
    except Exception as exc:  # unpickling runs arbitrary code: any error means unreadable
        raise TaskNotAvailableError(
            f"The task saved in {archive} could not be unpickled ({exc!r:.300}); pass task=... "
            "to load_manager, or use force_task_save=True with a checkpoint_save/task_loader "
            "pair."
        ) from exc


def read_run(archive: Path, extract_dir: Path) -> tuple[CheckpointContents, SavedRun]:
    """Read the run a checkpoint holds, with the history it marks; its task is not unpickled.

    Raises
    ------
    CheckpointLoadError
        If the archive, its payload or the history it marks cannot be read.
    """
    contents = read_checkpoint(archive, extract_dir)
    saved = loads_run(archive, contents)
    state = saved.state
    assert state.history_mark is not None  # checked by loads_run
    embedded = contents.history or None
    name = contents.meta["name"]
    ended = {r.opt_id for r in state.optimizers.values() if not r.running}
    journal = read_history(archive, state.key, state.history_mark, name, embedded, ended)
    state.history = journal.history
    return contents, saved


def _read_whole(archive: Path, extract_dir: Path, task: Any) -> LoadedCheckpoint:
    """Read one checkpoint: archive, payload, and its pickled task unless ``task`` is given."""
    contents, saved = read_run(archive, extract_dir)
    if task is None and contents.task_pickle is not None:
        task = _unpickled_task(archive, contents)
    return LoadedCheckpoint(archive, contents, saved, task)


def _newest_good(folder: Path, extract_dir: Path, task: Any) -> LoadedCheckpoint:
    candidates = checkpoint_candidates(folder)
    first_failure = None
    for number, archive in enumerate(candidates):
        try:
            return _read_whole(archive, extract_dir / str(number), task)
        except CheckpointLoadError as exc:
            first_failure = first_failure or exc
            warnings.warn(f"{exc} Trying the next newest checkpoint.", stacklevel=5)
    raise CheckpointLoadError(
        f"None of the {len(candidates)} checkpoints in {folder} could be read (see the warnings "
        f"above; the newest: {first_failure}); restore one from a backup or start a new "
        "optimization."
    )


def load_checkpoint_run(
    path: Path,
    extract_dir: Path,
    task: Any = None,
    task_loader: Callable[[Path], Any] | None = None,
) -> LoadedCheckpoint:
    """Read the checkpoint ``path``, or the newest good one of the folder ``path``.

    Loading unpickles: only load checkpoints from a source you trust.

    Parameters
    ----------
    path
        A checkpoint file, or a folder of checkpoints.
    extract_dir
        An empty folder for a task saved with ``checkpoint_save``; ``task_loader`` is called
        while it exists.
    task, task_loader
        The task to run instead of the saved one; what rebuilds a task saved with
        ``checkpoint_save``.

    Raises
    ------
    CheckpointLoadError
        If the file, or every checkpoint of the folder, cannot be read.
    TaskNotAvailableError
        If the checkpoint holds no usable task and none is supplied.
    """
    if path.is_dir():
        loaded = _newest_good(path, extract_dir, task)
    else:
        loaded = _read_whole(path, extract_dir, task)
    if loaded.task is not None:
        return loaded
    contents = loaded.contents
    if contents.task_dir is not None and task_loader is not None:
        return LoadedCheckpoint(
            loaded.archive, contents, loaded.saved, task_loader(contents.task_dir)
        )
    how = (
        "it was saved with checkpoint_save: pass task_loader=... to rebuild it, or task=..."
        if contents.task_dir is not None
        else "pass task=... to load_manager"
    )
    raise TaskNotAvailableError(f"Checkpoint {loaded.archive} holds no usable task; {how}.")
