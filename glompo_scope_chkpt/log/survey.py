"""Checking a log read-only, whole, before a resume changes anything in it.

:func:`survey_log` opens the log read-only and checks everything a resume relies on: the root
attributes (``format``, ``key``, ``n_params``, ``f_counter``, ``started_at_call``,
``rollbacks``), each optimizer group's attributes, the shapes and dtypes of its datasets, and
that the ``call_id`` of its rows increase, from above its ``start_call`` (and the log's
``started_at_call``) up to the log's ``f_counter`` (those of its messages never decrease and lie
in the same range, its start included). Rows are read in blocks, so the memory used does not
grow with the log. Any failure is one :class:`LogFileError` naming the file and what to do,
raised before the file is opened for writing; it is then byte for byte unchanged.

The survey also says where the checkpoint cuts each optimizer, so the rollback (:mod:`.rollback`)
acts on checked numbers only, and how many rows up to the checkpoint the log lacks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ..errors import LogFileError, LogKeyMismatchError
from .format import GROUP_PREFIX, LOG_FORMAT, MSGS_ATTR, ROWS_ATTR, row_dtype
from .undo import open_restored

__all__ = ["GroupSurvey", "LogSurvey", "survey_log"]

_MAX_COUNT = 2**63 - 1
_BLOCK = 65_536
"""Rows read at once while checking ``call_id`` order."""


@dataclass(frozen=True)
class GroupSurvey:
    """One optimizer group of a checked log, and where a checkpoint at ``bound`` cuts it."""

    name: str
    start_call: int
    end_call: int
    rows: int
    """Valid rows: the group's ``n_rows`` (rows past it were left by a write that failed)."""
    messages: int
    stored_rows: int
    """Rows the dataset holds, valid or not."""
    stored_messages: int
    rows_kept: int
    """Rows with ``call_id <= bound`` (they come first: rows are sorted)."""
    messages_kept: int


@dataclass(frozen=True)
class LogSurvey:
    """A log checked against a checkpoint taken at evaluation ``bound``."""

    path: Path
    bound: int
    f_counter: int
    started_at_call: int
    groups: tuple[GroupSurvey, ...]

    @property
    def missing_rows(self) -> int:
        """Rows up to ``bound`` the log lacks (evaluations before ``started_at_call`` excepted)."""
        kept = sum(group.rows_kept for group in self.groups)
        return max(0, self.bound - self.started_at_call) - kept


def _bad(path: Path, what: str) -> LogFileError:
    return LogFileError(
        f"The log {path} is damaged or not a log of this package: {what}. It was left "
        "untouched; restore it from a backup, or move it away to resume with a new log (the "
        "rows it holds stay readable with h5py)."
    )


def _int_attr(path: Path, attrs: h5py.AttributeManager, name: str, low: int, where: str) -> int:
    value = attrs.get(name)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise _bad(path, f"{where}attribute {name!r} is {_shown(value)}, not an integer")
    if not low <= int(value) <= _MAX_COUNT:
        raise _bad(path, f"{where}attribute {name!r} is {int(value)}, below {low} or too large")
    return int(value)


def _str_attr(path: Path, attrs: h5py.AttributeManager, name: str, where: str) -> str:
    value = attrs.get(name)
    if not isinstance(value, str):
        raise _bad(path, f"{where}attribute {name!r} is {_shown(value)}, not text")
    return value


def _json_attr(path: Path, attrs: h5py.AttributeManager, name: str, where: str) -> Any:
    try:
        return json.loads(_str_attr(path, attrs, name, where))
    except (ValueError, RecursionError) as err:
        raise _bad(path, f"{where}attribute {name!r} is not JSON text") from err


def _shown(value: Any) -> str:
    return "missing" if value is None else f"{type(value).__name__} {value!r:.60}"


def _check_root(path: Path, f: h5py.File, key: str, n_params: int) -> tuple[int, int]:
    """Check the root attributes; return ``(f_counter, started_at_call)``."""
    found = f.attrs.get("key")
    if not isinstance(found, str):
        raise LogFileError(f"{path} has no 'key' attribute: it is not a log of this package.")
    if found != key:
        raise LogKeyMismatchError(
            f"The log {path} belongs to another optimization: its key is {found!r}, the "
            f"checkpoint's key is {key!r}. The file was left untouched; move it away (a new log "
            "is then started) or resume from a checkpoint of that optimization."
        )
    if _str_attr(path, f.attrs, "format", "the root ") != LOG_FORMAT:
        raise _bad(path, f"its format is not {LOG_FORMAT}")
    found_n = _int_attr(path, f.attrs, "n_params", 1, "the root ")
    if found_n != n_params:
        raise LogFileError(
            f"The log {path} has n_params={found_n} but the checkpoint has {n_params}; it was "
            "left untouched. Move it away to resume with a new log."
        )
    f_counter = _int_attr(path, f.attrs, "f_counter", 0, "the root ")
    started = _int_attr(path, f.attrs, "started_at_call", 0, "the root ")
    rollbacks = _json_attr(path, f.attrs, "rollbacks", "the root ")
    if not isinstance(rollbacks, list) or started > f_counter:
        raise _bad(path, "its 'rollbacks' is not a JSON list, or it starts after its f_counter")
    return f_counter, started


def _dataset(path: Path, group: h5py.Group, name: str) -> h5py.Dataset:
    ds = group.get(name)
    if not isinstance(ds, h5py.Dataset) or ds.ndim != 1 or ds.maxshape != (None,):
        raise _bad(path, f"{group.name}/{name} is not a resizable one-dimensional dataset")
    return ds


def _sorted_ids(
    path: Path, ds: h5py.Dataset, size: int, bounds: tuple[int, int, int], strict: bool
) -> int:
    """Check the first ``size`` ``call_id`` of ``ds`` by blocks; return how many are ``<= cut``.

    ``bounds`` is ``(lowest allowed, highest allowed, cut)``; ``strict`` asks for increasing
    ids, otherwise they may repeat.
    """
    low, high, cut = bounds
    previous, kept = low - 1 if strict else low, 0
    for start in range(0, size, _BLOCK):
        ids = np.asarray(ds.fields("call_id")[start : min(size, start + _BLOCK)], dtype=np.int64)
        steps = np.diff(ids, prepend=previous)
        if (steps <= 0).any() if strict else (steps < 0).any():
            raise _bad(path, f"the call_id of {ds.name} are not in order, or not above {low}")
        if ids[-1] > high:
            raise _bad(path, f"{ds.name} holds call_id {int(ids[-1])}, above its f_counter {high}")
        previous, kept = int(ids[-1]), kept + int(np.searchsorted(ids, cut, side="right"))
    return kept


def _check_group(
    path: Path, name: str, group: Any, n_params: int, limits: tuple[int, int, int]
) -> GroupSurvey:
    """Check one optimizer group; ``limits`` is ``(started_at_call, f_counter, bound)``."""
    if not isinstance(group, h5py.Group) or not name[len(GROUP_PREFIX) :].isdigit():
        raise _bad(path, f"{name!r} is not an optimizer group named {GROUP_PREFIX}<number>")
    where = f"{name}'s "
    for text in ("type", "end_reason"):
        _str_attr(path, group.attrs, text, where)
    _json_attr(path, group.attrs, "metadata", where)
    start_call = _int_attr(path, group.attrs, "start_call", 0, where)
    end_call = _int_attr(path, group.attrs, "end_call", -1, where)
    rows, messages = _dataset(path, group, "iter_history"), _dataset(path, group, "messages")
    if rows.dtype != row_dtype(n_params):
        raise _bad(path, f"{rows.name} has rows of {rows.dtype}, not {row_dtype(n_params)}")
    names = messages.dtype.names or ()
    if names != ("call_id", "message") or messages.dtype["call_id"] != np.int64:
        raise _bad(path, f"{messages.name} does not hold (call_id, message) pairs")
    if h5py.check_string_dtype(messages.dtype["message"]) is None:
        raise _bad(path, f"{messages.name} does not hold text messages")
    first, f_counter, bound = max(limits[0], start_call), limits[1], limits[2]
    n_rows = _valid_count(path, group, ROWS_ATTR, rows, where)
    n_messages = _valid_count(path, group, MSGS_ATTR, messages, where)
    rows_kept = _sorted_ids(path, rows, n_rows, (first + 1, f_counter, bound), strict=True)
    messages_kept = _sorted_ids(path, messages, n_messages, (first, f_counter, bound), strict=False)
    return GroupSurvey(
        name,
        start_call,
        end_call,
        n_rows,
        n_messages,
        rows.shape[0],
        messages.shape[0],
        rows_kept,
        messages_kept,
    )


def _valid_count(path: Path, group: h5py.Group, attr: str, ds: h5py.Dataset, where: str) -> int:
    """The valid rows of ``ds``: its group's ``attr`` when set (logs before it: all rows)."""
    if attr not in group.attrs:
        return int(ds.shape[0])
    count = _int_attr(path, group.attrs, attr, 0, where)
    if count > ds.shape[0]:
        raise _bad(path, f"{where}attribute {attr!r} counts {count} rows; {ds.name} holds fewer")
    return count


def survey_log(path: Path, key: str, n_params: int, bound: int) -> LogSurvey:
    """Check, read-only, that ``path`` is a whole log of this optimization; describe its cut.

    Parameters
    ----------
    path
        The log.
    key, n_params
        The checkpoint's run key and number of parameters.
    bound
        The checkpoint's ``f_counter``.

    Raises
    ------
    LogKeyMismatchError
        If it is the log of another optimization.
    LogFileError
        If it cannot be read, is not a log of this package, has another ``n_params``, or has an
        attribute, dataset or ``call_id`` out of shape, type or order. The file is untouched.
    """
    try:
        with open_restored(path) as f:
            f_counter, started = _check_root(path, f, key, n_params)
            limits = (started, f_counter, bound)
            groups = tuple(
                _check_group(path, name, f.get(name), n_params, limits)
                for name in f
                if name.startswith(GROUP_PREFIX)
            )
    except (LogFileError, LogKeyMismatchError):
        raise
    except OSError as err:
        raise LogFileError(
            f"The log {path} cannot be read ({err}): it is damaged, not HDF5, or another "
            "process is writing it. Stop that process, or move the file away, then resume."
        ) from err
    except (KeyError, ValueError, TypeError, RuntimeError, RecursionError) as err:
        raise _bad(path, f"reading it failed with {type(err).__name__}: {err}") from err
    survey = LogSurvey(path, bound, f_counter, started, groups)
    if sum(group.rows_kept for group in groups) > max(0, bound - started):
        raise _bad(path, f"it holds more rows up to call {bound} than evaluations: some repeat")
    return survey
