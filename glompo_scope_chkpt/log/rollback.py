"""Resuming the HDF5 log: check it belongs to the optimization, roll it back to the checkpoint.

The rules are those of :meth:`.OptimizationLog.resume` (see the module docstring of
:mod:`.writer`): the log is first checked whole, read-only (:mod:`.survey`), and a log of
another optimization, or a damaged one, is refused and left untouched; data after the
checkpoint are then copied atomically to ``<stem>.rollback-<checkpoint>.h5``, and cut from the
log in place.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import h5py

from .._fileio import atomic_path
from .._run_files import rollback_name
from ..errors import LogFileError
from .format import (
    LIBVER,
    NOT_ENDED,
    fsync_file,
    logger,
    new_dataset,
    now_iso,
    open_for_writing,
    package_version,
)
from .survey import LogSurvey, survey_log

__all__ = ["open_for_resume", "roll_back"]

_COPY_BLOCK = 65_536


def open_for_resume(
    path: Path, key: str, n_params: int, f_counter: int, checkpoint_name: str
) -> h5py.File:
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
    """What a rollback does to one optimizer group: move all of it, or rows from an index on."""

    name: str
    whole: bool
    rows: int = 0
    messages: int = 0
    reopen: bool = False


def _plan_rollback(survey: LogSurvey) -> list[_Cut]:
    cuts = []
    for group in survey.groups:
        if group.start_call > survey.bound:
            cuts.append(_Cut(group.name, whole=True))
            continue
        reopen = group.end_call > survey.bound
        cut = _Cut(group.name, False, group.rows_kept, group.messages_kept, reopen)
        if reopen or cut.rows < group.rows or cut.messages < group.messages:
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


def _copy_tail(src: h5py.Dataset, start: int, group: h5py.Group) -> int:
    """Copy rows ``start:`` of ``src`` into a new dataset of the same name in ``group``."""
    size = src.shape[0] - start
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
            source=Path(f.filename).name,
            source_f_counter=int(f.attrs["f_counter"]),
            created=now_iso(),
            package_version=package_version(),
        )
        for cut in cuts:
            src = f[cut.name]
            if cut.whole:
                f.copy(src, out, name=cut.name)
                moved += src["iter_history"].shape[0]
            else:
                group = out.create_group(cut.name)
                group.attrs.update(dict(src.attrs))
                moved += _copy_tail(src["iter_history"], cut.rows, group)
                _copy_tail(src["messages"], cut.messages, group)
            out[cut.name].attrs["whole_optimizer"] = cut.whole
    return moved


def roll_back(f: h5py.File, survey: LogSurvey, checkpoint_name: str, stacklevel: int = 1) -> None:
    """Apply the seed's 'log ahead of the checkpoint' rule, preserving what is removed.

    ``f`` is the log open for writing, ``survey`` its check against the checkpoint (whose
    ``f_counter`` is ``survey.bound``). Warns when data are moved aside, or when rows up to the
    checkpoint are missing; ``stacklevel`` means what it would in the caller's own
    :func:`warnings.warn`.

    Raises
    ------
    LogFileError
        If the rollback file cannot be written; the log is then unchanged.
    """
    path, bound = Path(f.filename), survey.bound
    _warn_missing(survey, checkpoint_name, stacklevel + 1)
    cuts = _plan_rollback(survey)
    if not cuts:
        if survey.f_counter != bound:  # behind the checkpoint, or only its counter ahead
            logger.info(
                "Log %s ends at call %s; the checkpoint is at %s.", path, survey.f_counter, bound
            )
            f.attrs["f_counter"] = bound
            f.flush()
        return
    target = _rollback_target(path, checkpoint_name)
    try:
        moved = _write_rollback(f, cuts, target, bound, checkpoint_name)
    except OSError as err:
        raise LogFileError(
            f"The log {path} is ahead of checkpoint {checkpoint_name!r} but its later rows could "
            f"not be saved to {target} ({err}); the log was left unchanged. Free space or fix "
            "permissions in that folder, then resume again."
        ) from err
    for cut in cuts:
        if cut.whole:
            del f[cut.name]
            continue
        group = f[cut.name]
        group["iter_history"].resize((cut.rows,))
        group["messages"].resize((cut.messages,))
        if cut.reopen:
            group.attrs.update(end_call=NOT_ENDED, end_reason="")
    record = {"checkpoint": checkpoint_name, "to_call": bound, "file": target.name, "rows": moved}
    f.attrs["rollbacks"] = json.dumps([*json.loads(f.attrs.get("rollbacks", "[]")), record])
    f.attrs["f_counter"] = bound
    f.flush()
    fsync_file(f)
    whole = sum(cut.whole for cut in cuts)
    reopened = sum(cut.reopen for cut in cuts)
    warnings.warn(
        f"The log {path} held evaluations after checkpoint {checkpoint_name!r} (call {bound}). "
        f"{moved} later rows with their messages, and {whole} optimizers started later, were "
        f"moved to {target}; {reopened} optimizers that ended later were reopened. Logging "
        f"resumes from call {bound}.",
        stacklevel=stacklevel + 1,
    )
