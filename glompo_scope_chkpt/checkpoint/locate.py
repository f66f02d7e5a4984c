"""Finding checkpoints in a checkpointing folder, and the one order they are listed in.

The newest checkpoint is the one furthest along the run's timeline. A checkpoint is *superseded*
when a checkpoint written later (by the creation time stored inside both) does not descend from
it: the run was resumed from an earlier point, so it lies on an abandoned stretch of the timeline
(each checkpoint stores the names of the checkpoints before it on its own timeline, its lineage).
Superseded checkpoints are kept, but listed as older than every current one. Among the rest, the
largest ``f_counter`` stored inside wins, then the latest creation time, then the largest name.
File modification times play no part: a copied (``cp -r``) or touched folder lists the same way.
A checkpoint whose metadata cannot be read is listed as the newest: loading tries it first and,
as it fails, falls back past it with a warning naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._logging import get_logger
from .._tempfiles import is_leftover
from ..core.checkpointing import ARCHIVE_SUFFIX
from ..errors import CheckpointLoadError
from .archive import read_meta

__all__ = ["checkpoint_candidates", "timeline_order"]

logger = get_logger(__name__)


@dataclass(frozen=True)
class _Listed:
    """What the order needs of one archive, from its ``meta.json`` alone."""

    path: Path
    readable: bool
    name: str = ""
    key: str = ""
    f_counter: int = 0
    created: float | None = None
    """When it was written (``meta.json``); None if it does not say."""
    lineage: frozenset[str] | None = None
    """Names of the checkpoints before it on its timeline; None for checkpoints without it."""


def _listed(archive: Path) -> _Listed:
    try:
        meta = read_meta(archive)  # checked: fields, if there, have their types
    except CheckpointLoadError:
        return _Listed(archive, readable=False)
    if "f_counter" not in meta:
        return _Listed(archive, readable=False)
    lineage = meta.get("lineage")
    return _Listed(
        archive,
        True,
        str(meta.get("name", archive.name)),
        str(meta.get("key", "")),
        meta["f_counter"],
        None if "created" not in meta else float(meta["created"]),
        None if lineage is None else frozenset(lineage),
    )


def _superseded(listed: list[_Listed]) -> set[Path]:
    """Archives that a later checkpoint of the same run does not descend from.

    Only checkpoints that say when they were written, and (the later one) what they descend
    from, take part: one that says neither is never superseded and supersedes nothing. Only a
    later checkpoint *behind* another can change the order, so a damaged lineage never hides a
    checkpoint furthest along.
    """
    dated = [(item, item.created) for item in listed if item.created is not None]
    found = set()
    for old, old_created in dated:
        for new, new_created in dated:
            later = new_created > old_created and new.key == old.key
            behind = new.f_counter <= old.f_counter  # else the order by f_counter already holds
            if later and behind and new.lineage is not None and old.name not in new.lineage:
                found.add(old.path)
                break
    return found


def timeline_order(archives: list[Path]) -> list[Path]:
    """``archives`` oldest first along the run's timeline (see the module docstring).

    Only each archive's ``meta.json`` is read; nothing is unpickled.
    """
    listed = [_listed(archive) for archive in archives]
    readable = [item for item in listed if item.readable]
    superseded = _superseded(readable)

    def key(item: _Listed) -> tuple[bool, bool, int, float, str]:
        current = item.path not in superseded
        created = 0.0 if item.created is None else item.created
        return not item.readable, current, item.f_counter, created, item.path.name

    return [item.path for item in sorted(listed, key=key)]


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
    return timeline_order(archives)[::-1]
