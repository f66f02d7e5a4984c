"""Finding checkpoints in a checkpointing folder."""

from __future__ import annotations

import logging
from pathlib import Path

from .._fileio import TMP_MARK
from ..core.checkpointing import ARCHIVE_SUFFIX
from ..errors import CheckpointLoadError

__all__ = ["checkpoint_candidates"]

logger = logging.getLogger(__name__)


def checkpoint_candidates(folder: Path) -> list[Path]:
    """Checkpoint archives in ``folder``, newest first.

    Leftovers of an interrupted checkpoint write (``*.tar.gz.tmp-*``) are never candidates; they
    are reported in the log, not deleted.

    Raises
    ------
    CheckpointLoadError
        If the folder holds no checkpoint.
    """
    if not folder.is_dir():
        raise CheckpointLoadError(f"{folder} is not a folder of checkpoints.")
    archives, leftovers = [], []
    for path in folder.iterdir():
        if TMP_MARK in path.name:
            leftovers.append(path)
        elif path.name.endswith(ARCHIVE_SUFFIX) and path.is_file():
            archives.append(path)
    for path in leftovers:
        logger.warning("Ignoring %s: the leftover of an interrupted checkpoint write.", path)
    if not archives:
        raise CheckpointLoadError(
            f"{folder} holds no checkpoint (*{ARCHIVE_SUFFIX}); pass a checkpoint file or the "
            "checkpointing_dir of a run that has written one."
        )
    return sorted(archives, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
