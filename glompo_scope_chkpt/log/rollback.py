"""Resuming the HDF5 log: check it belongs to the optimization, roll it back to the checkpoint.

The rules are those of :meth:`.OptimizationLog.resume` (see the module docstring of
:mod:`.writer`): a log of another optimization is refused and left untouched; data after the
checkpoint are first copied atomically to ``<stem>.rollback-<checkpoint>.h5``, then cut from the
log in place.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import h5py

from .._disk import disk_errno, disk_error
from .._fileio import atomic_path
from .._run_files import rollback_name
from ..errors import LogDiskError, LogFileError
from .format import (
    LIBVER,
    MSGS_ATTR,
    NOT_ENDED,
    ROWS_ATTR,
    logger,
    new_dataset,
    now_iso,
    package_version,
    valid_sizes,
)
from .handle import LogFile, open_for_writing
from .space import METADATA_BYTES, SpaceClaim, failed_write
from .survey import LogSurvey, survey_log

__all__ = ["open_for_resume", "roll_back"]

_COPY_BLOCK = 65_536


def open_for_resume(
    path: Path, key: str, n_params: int, f_counter: int, checkpoint_name: str
) -> LogFile:
    """Check the existing log ``path``, open it for writing and roll it back to ``f_counter``.

    The whole log is checked read-only first (:func:`.survey.survey_log`); only a log that
    passes is opened for writing.

    Raises
    ------
    LogKeyMismatchError, LogFileError
        As :func:`.survey.survey_log` (the file is then untouched), or if it cannot be opened
        or rolled back (then it is closed again).
    """
    survey = survey_log(path, key, n_params, f_counter)
    handle = open_for_writing(path)
    try:
        roll_back(handle, survey, checkpoint_name, stacklevel=3)
    except BaseException:
        handle.close()
        raise
    return handle


@dataclass(frozen=True)
class _Cut:
    """What a rollback does to one optimizer group: move all of it, or rows from an index on.

    ``valid_rows`` and ``valid_messages`` count the valid rows (a failed write may have left
    more in the datasets: those are cut, not moved).
    """

    name: str
    whole: bool
    rows: int = 0
    messages: int = 0
    reopen: bool = False
    valid_rows: int = 0
    valid_messages: int = 0

    @property
    def moves(self) -> bool:
        """Whether data go to the rollback file (else only unfinished rows are cut)."""
        return (
            self.whole
            or self.reopen
            or self.rows < self.valid_rows
            or self.messages < self.valid_messages
        )


def _plan_rollback(survey: LogSurvey) -> list[_Cut]:
    cuts = []
    for group in survey.groups:
        if group.start_call > survey.bound:
            cuts.append(_Cut(group.name, whole=True))
            continue
        cut = _Cut(
            group.name,
            False,
            group.rows_kept,
            group.messages_kept,
            group.end_call > survey.bound,
            group.rows,
            group.messages,
        )
        unfinished = group.rows < group.stored_rows or group.messages < group.stored_messages
        if cut.moves or unfinished:
            cuts.append(cut)
    return cuts


def _warn_missing(survey: LogSurvey, checkpoint_name: str, stacklevel: int) -> None:
    """Say so when the log lacks rows up to the checkpoint: resuming cannot bring them back."""
    if survey.missing_rows:
        warnings.warn(
            f"The log {survey.path} lacks {survey.missing_rows} of the rows up to checkpoint "
            f"{checkpoint_name!r} (call {survey.bound}); it ends at call {survey.f_counter}. "
            "Logging resumes from the checkpoint without them: restore the log from a backup "
            "before resuming to keep every row.",
            stacklevel=stacklevel + 1,
        )


def _rollback_target(log_path: Path, checkpoint_name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(checkpoint_name)).name) or "checkpoint"
    target, k = log_path.with_name(rollback_name(log_path, safe)), 1
    while target.exists():
        target, k = log_path.with_name(rollback_name(log_path, safe, k)), k + 1
    return target


def _copy_tail(src: h5py.Dataset, start: int, stop: int, group: h5py.Group) -> int:
    """Copy rows ``start:stop`` of ``src`` into a new dataset of the same name in ``group``."""
    size = stop - start
    dst = new_dataset(group, src.name.rsplit("/", 1)[-1], src.dtype, size)
    for offset in range(0, size, _COPY_BLOCK):
        stop = min(size, offset + _COPY_BLOCK)
        dst[offset:stop] = src[start + offset : start + stop]
    return size


def _write_rollback(f: h5py.File, cuts: list[_Cut], target: Path, bound: int, name: str) -> int:
    """Write the data ``cuts`` remove to ``target`` atomically; return the rows moved."""
    moved = 0
    with atomic_path(target) as tmp, h5py.File(tmp, "w", libver=LIBVER) as out:
        out.attrs.update({k: f.attrs[k] for k in ("format", "key", "n_params")})
        out.attrs.update(
            kind="rollback",
            rolled_back_to=bound,
            checkpoint=name,
            source=f.path.name,
            source_f_counter=int(f.attrs["f_counter"]),
            created=now_iso(),
            package_version=package_version(),
        )
        for cut in cuts:
            src = f[cut.name]
            if cut.whole:
                f.copy(src, out, name=cut.name)
                moved += valid_sizes(src)[0]
            else:
                group = out.create_group(cut.name)
                group.attrs.update(dict(src.attrs))
                moved += _copy_tail(src["iter_history"], cut.rows, cut.valid_rows, group)
                _copy_tail(src["messages"], cut.messages, cut.valid_messages, group)
                group.attrs.update({ROWS_ATTR: cut.valid_rows - cut.rows})
                group.attrs.update({MSGS_ATTR: cut.valid_messages - cut.messages})
            out[cut.name].attrs["whole_optimizer"] = cut.whole
    return moved


def _unsaved(path: Path, target: Path, checkpoint_name: str, err: OSError) -> LogFileError:
    if disk_errno(err) is not None:
        then = f"then resume again (the log {path} was left unchanged)"
        return disk_error(LogDiskError, "the rollback file", target, err, then=then)
    return LogFileError(
        f"The log {path} is ahead of checkpoint {checkpoint_name!r} but its later rows could "
        f"not be saved to {target} ({err}); the log was left unchanged. Free space or fix "
        "permissions in that folder, then resume again."
    )


def _cut_in_place(f: LogFile, cuts: list[_Cut], bound: int, record: dict | None) -> None:
    """Shrink the log to the checkpoint: drop moved groups, cut datasets, reopen, count.

    The disk space is claimed first; a write that fails leaves the log abandoned, not torn.

    Raises
    ------
    LogDiskError, LogFileError
        If the disk refuses the space or the write.
    """
    SpaceClaim(f).claim(f, METADATA_BYTES)
    try:
        for cut in cuts:
            if cut.whole:
                del f[cut.name]
                continue
            group = f[cut.name]
            group["iter_history"].resize((cut.rows,))
            group["messages"].resize((cut.messages,))
            group.attrs.update({ROWS_ATTR: cut.rows, MSGS_ATTR: cut.messages})
            if cut.reopen:
                group.attrs.update(end_call=NOT_ENDED, end_reason="")
        if record is not None:
            done = json.loads(f.attrs.get("rollbacks", "[]"))
            f.attrs["rollbacks"] = json.dumps([*done, record])
        f.attrs["f_counter"] = bound
        f.flush()
        f.sync()
    except (OSError, RuntimeError, KeyError, ValueError) as err:
        f.abandon()
        raise failed_write(f.path, err) from err


def roll_back(f: LogFile, survey: LogSurvey, checkpoint_name: str, stacklevel: int = 1) -> None:
    """Apply the seed's 'log ahead of the checkpoint' rule, preserving what is removed.

    ``f`` is the log open for writing, ``survey`` its check against the checkpoint (whose
    ``f_counter`` is ``survey.bound``). Warns when data are moved aside, or when rows up to the
    checkpoint are missing; ``stacklevel`` means what it would in the caller's own
    :func:`warnings.warn`. Rows past a group's valid count (left by a write that failed) are
    not data: they are cut, not moved.

    Raises
    ------
    LogFileError
        If the rollback file cannot be written (the log is then unchanged), or the log cannot
        be cut (a :class:`LogDiskError` when its disk refuses).
    """
    path, bound, found = f.path, survey.bound, survey.f_counter
    _warn_missing(survey, checkpoint_name, stacklevel + 1)
    cuts = _plan_rollback(survey)
    moving = [cut for cut in cuts if cut.moves]
    if not moving:
        if cuts:
            logger.warning("Log %s: cutting rows a failed write left unfinished.", path)
        if found != bound:  # behind the checkpoint (or only its counter ahead): append from bound
            logger.warning("Log %s ends at call %s; the checkpoint is at %s.", path, found, bound)
        if cuts or found != bound:
            _cut_in_place(f, cuts, bound, None)
        return
    target = _rollback_target(path, checkpoint_name)
    try:
        moved = _write_rollback(f, moving, target, bound, checkpoint_name)
    except OSError as err:
        raise _unsaved(path, target, checkpoint_name, err) from err
    record = {"checkpoint": checkpoint_name, "to_call": bound, "file": target.name, "rows": moved}
    _cut_in_place(f, cuts, bound, record)
    whole = sum(cut.whole for cut in cuts)
    reopened = sum(cut.reopen for cut in cuts)
    warnings.warn(
        f"The log {path} held evaluations after checkpoint {checkpoint_name!r} (call {bound}). "
        f"{moved} later rows with their messages, and {whole} optimizers started later, were "
        f"moved to {target}; {reopened} optimizers that ended later were reopened. Logging "
        f"resumes from call {bound}.",
        stacklevel=stacklevel + 1,
    )
