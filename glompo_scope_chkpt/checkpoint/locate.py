"""Finding checkpoints in a checkpointing folder, and the one order they are listed in.

The newest checkpoint is the one furthest along the run's timeline: the largest ``f_counter``
stored inside it, then the latest creation time stored inside it, then the largest name. File
modification times play no part: a copied (``cp -r``) or touched folder lists the same way. A
checkpoint whose metadata cannot be read is listed as the newest: loading tries it first and, as
it fails, falls back past it with a warning naming it.
"""

from __future__ import annotations

from pathlib import Path

from .._logging import get_logger
from .._tempfiles import is_leftover
from ..core.checkpointing import ARCHIVE_SUFFIX
from ..errors import CheckpointLoadError
from .archive import read_meta

__all__ = ["checkpoint_candidates"]

logger = get_logger(__name__)


def _timeline_key(archive: Path) -> tuple[bool, int, float, str]:
    """Sort key, oldest first: f_counter, then creation time, then name; unreadable ones last."""
    try:
        meta = read_meta(archive)  # checked: f_counter and created, if there, are numbers
    except CheckpointLoadError:
        return True, 0, 0.0, archive.name
    if "f_counter" not in meta:
        return True, 0, 0.0, archive.name
    return False, meta["f_counter"], float(meta.get("created", 0.0)), archive.name


def checkpoint_candidates(folder: Path) -> list[Path]:
    """Checkpoint archives in ``folder``, newest first: the order loading tries them.

    ``glompo-scope-chkpt inspect`` lists them in the reverse order (newest last). Only each
    archive's ``meta.json`` is read; nothing is unpickled.

    Temporary files are never candidates; those left by an ended process (an interrupted
    checkpoint write) are reported in the log, not deleted (the next session removes them).

    Raises
    ------
    CheckpointLoadError
        If the folder holds no checkpoint.
    """
    if not folder.is_dir():
        raise CheckpointLoadError(f"{folder} is not a folder of checkpoints.")
    archives, leftovers = [], []
    for path in folder.iterdir():
        if is_leftover(path):
            leftovers.append(path)
        elif path.name.endswith(ARCHIVE_SUFFIX) and path.is_file():
            archives.append(path)
    for path in leftovers:
        logger.warning("Ignoring %s: the leftover of an interrupted write.", path)
    if not archives:
        raise CheckpointLoadError(
            f"{folder} holds no checkpoint (*{ARCHIVE_SUFFIX}); pass a checkpoint file or the "
            "checkpointing_dir of a run that has written one."
        )
    return sorted(archives, key=_timeline_key, reverse=True)
