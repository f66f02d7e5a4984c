"""The HDF5 log ``glompo_log.h5``: one file for the whole optimization, across every resume.

Layout (plain HDF5, readable with h5py, pandas or HDFView)::

    /                        attrs: format, key, n_params, f_counter, started_at_call, created,
                             package_version, rollbacks (JSON list), user metadata, run attrs
    /optimizer_<id>/         attrs: type, start_call, end_call (-1 while running),
                             end_reason ("" while running), metadata (JSON text)
        iter_history         (N,) compound: call_id int64, x float64[n_params], fx float64
        messages             (M,) compound: call_id int64, message UTF-8 string

``call_id`` is the universal evaluation number. Within one optimizer it increases, so rows are
sorted; ``f_counter`` is the highest ``call_id`` written. ``started_at_call`` is 0, or the
checkpoint's count when a resume found no log (earlier rows are then not in this file).

Resume (:meth:`OptimizationLog.resume`) follows the seed's rules: a missing log is created with a
warning; a log of another optimization raises and is left byte for byte untouched; a log holding
more than the checkpoint is rolled back. Rolled-back data are never deleted: rows and messages with
``call_id`` above the checkpoint, and optimizers started after it, are first written (atomically)
to ``<stem>.rollback-<checkpoint>.h5`` beside the log, in the same layout; then the main datasets
are shrunk in place, so the cost grows with the rows moved, not with the rows kept. Optimizers that
ended after the checkpoint are reopened. HDF5 does not return freed space: ``h5repack`` shrinks it.

Durability. Every change to the file happens inside a flush: rows, messages, new optimizers and
attributes are buffered in memory and written when ``buffer_rows`` rows are pending or on
:meth:`OptimizationLog.flush`, which also ``fsync``s. Between flushes the file is not touched,
so a SIGKILL leaves the state of the last flush. Measured with h5py 3.16 / HDF5 2.0:

* writes left unflushed in HDF5's metadata cache when the process dies can corrupt the file
  ("addr overflow"), hence the buffering in Python and a flush after every write batch;
* ``libver='latest'`` (superblock v3, and SWMR which needs it) marks the file open for writing:
  after a SIGKILL nothing opens it without ``h5clear``. SWMR also forbids creating the optimizer
  groups during a run. The log therefore uses ``libver=('v108', 'v108')``, which opens after a
  kill and is readable by HDF5 >= 1.8;
* keeping the file open costs ~25 us per optimizer per batch (cached handles, low-level write);
  reopening per batch adds ~0.2 ms and lets a reader's lock stop the run, so the file stays
  open (locked) between flushes. A live look, best effort: ``h5py.File(p, 'r', locking=False)``.
* 50 SIGKILLs at random times during continuous writing (20 optimizers, a flush every 5,000
  rows) left every file readable, holding every row up to its last flush.

Chunks hold about 128 KiB of rows, uncompressed (partial chunks are rewritten at each flush).
The log is not thread-safe: call it from the manager's thread.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from .errors import InvalidSettingError, LogFileError, LogKeyMismatchError
from .fileio import atomic_path

__all__ = ["LOG_FILENAME", "LOG_FORMAT", "OptimizationLog", "read_log"]

LOG_FILENAME = "glompo_log.h5"
"""Name of the log in the working directory."""
LOG_FORMAT = "glompo_scope_chkpt.log/1"
"""Value of the root attribute ``format``: the layout described in this module."""

_LIBVER = ("v108", "v108")
_NOT_ENDED = -1
_CHUNK_BYTES = 128 * 1024
_COPY_BLOCK = 65_536
_PREFIX = "optimizer_"
_RESERVED = frozenset(
    {"format", "key", "n_params", "f_counter", "started_at_call", "created", "package_version"}
    | {"rollbacks"}
)
_MSG_DTYPE = np.dtype([("call_id", "<i8"), ("message", h5py.string_dtype())])
_log = logging.getLogger(__name__)


def row_dtype(n_params: int) -> np.dtype:
    """Return the compound dtype of one ``iter_history`` row for ``n_params`` parameters."""
    return np.dtype([("call_id", "<i8"), ("x", "<f8", (n_params,)), ("fx", "<f8")])


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _package_version() -> str:
    from . import __version__

    return __version__


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _attr(name: str, value: object) -> object:
    """Return ``value`` as an HDF5 attribute: scalars as they are, anything else as JSON text.

    Raises
    ------
    InvalidSettingError
        If ``value`` is neither a scalar nor JSON serialisable.
    """
    if isinstance(value, (str, bool, int, float, np.generic)):
        return value
    try:
        return json.dumps(value, default=_json_default)
    except (TypeError, ValueError) as err:
        raise InvalidSettingError(f"Log attribute {name!r} cannot be stored: {err}.") from err


def _new_dataset(group: h5py.Group, name: str, dtype: np.dtype, size: int = 0) -> h5py.Dataset:
    chunk = max(16, min(8192, _CHUNK_BYTES // dtype.itemsize))
    return group.create_dataset(name, shape=(size,), maxshape=(None,), chunks=(chunk,), dtype=dtype)


def _fsync(handle: h5py.File) -> None:
    try:
        os.fsync(handle.id.get_vfd_handle())
    except (OSError, TypeError, ValueError):  # pragma: no cover - drivers without a descriptor
        _log.debug("fsync not available for %s", handle.filename)


def _create_file(
    path: Path, key: str, n_params: int, metadata: Mapping[str, Any], started_at_call: int
) -> None:
    """Write a new, empty log atomically.

    Raises
    ------
    InvalidSettingError
        If ``metadata`` uses a reserved attribute name or holds an unstorable value.
    """
    clash = _RESERVED.intersection(metadata)
    if clash:
        raise InvalidSettingError(f"Log metadata may not use the reserved names {sorted(clash)}.")
    values = {name: _attr(name, value) for name, value in metadata.items()}
    with atomic_path(path) as tmp, h5py.File(tmp, "w", libver=_LIBVER) as f:
        f.attrs.update(
            format=LOG_FORMAT,
            key=key,
            n_params=n_params,
            f_counter=started_at_call,
            started_at_call=started_at_call,
            created=_now(),
            package_version=_package_version(),
            rollbacks="[]",
        )
        f.attrs.update(values)
    _log.info("Created log %s", path)


def _check_identity(path: Path, key: str, n_params: int) -> None:
    """Open ``path`` read-only and check that it is the log of this optimization.

    Raises
    ------
    LogFileError
        If the file is not a readable log of this package or has another ``n_params``.
    LogKeyMismatchError
        If its key is not ``key``.
    """
    try:
        with h5py.File(path, "r") as f:
            found, found_n = f.attrs.get("key"), f.attrs.get("n_params")
    except OSError as err:
        raise LogFileError(
            f"The log {path} cannot be opened ({err}): it is damaged, not HDF5, or another "
            "process is writing it. Stop that process, or move the file away, then resume."
        ) from err
    if found is None:
        raise LogFileError(f"{path} has no 'key' attribute: it is not a log of this package.")
    if str(found) != key:
        raise LogKeyMismatchError(
            f"The log {path} belongs to another optimization: its key is {str(found)!r}, the "
            f"checkpoint's key is {key!r}. The file was left untouched; move it away (a new log "
            "is then started) or resume from a checkpoint of that optimization."
        )
    if int(found_n) != n_params:
        raise LogFileError(
            f"The log {path} has n_params={int(found_n)} but the checkpoint has {n_params}."
        )


def _first_above(ds: h5py.Dataset, bound: int) -> int:
    """Index of the first row whose ``call_id`` exceeds ``bound`` (rows sorted by call_id)."""
    lo, hi = 0, ds.shape[0]
    if hi == 0 or int(ds[hi - 1]["call_id"]) <= bound:
        return hi
    while lo < hi:
        mid = (lo + hi) // 2
        if int(ds[mid]["call_id"]) > bound:
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass(frozen=True)
class _Cut:
    """What a rollback does to one optimizer group: move all of it, or rows from an index on."""

    name: str
    whole: bool
    rows: int = 0
    messages: int = 0
    reopen: bool = False


def _plan_rollback(f: h5py.File, bound: int) -> list[_Cut]:
    cuts = []
    for name, group in f.items():
        if not name.startswith(_PREFIX):
            continue
        if int(group.attrs["start_call"]) > bound:
            cuts.append(_Cut(name, whole=True))
            continue
        hist, msgs = group["iter_history"], group["messages"]
        end_call = int(group.attrs["end_call"])
        cut = _Cut(
            name, False, _first_above(hist, bound), _first_above(msgs, bound), end_call > bound
        )
        if cut.reopen or cut.rows < hist.shape[0] or cut.messages < msgs.shape[0]:
            cuts.append(cut)
    return cuts


def _rollback_target(log_path: Path, checkpoint_name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(checkpoint_name)).name) or "checkpoint"
    base = f"{log_path.stem}.rollback-{safe}"
    target, k = log_path.with_name(f"{base}.h5"), 1
    while target.exists():
        target, k = log_path.with_name(f"{base}.{k}.h5"), k + 1
    return target


def _copy_tail(src: h5py.Dataset, start: int, group: h5py.Group) -> int:
    """Copy rows ``start:`` of ``src`` into a new dataset of the same name in ``group``."""
    size = src.shape[0] - start
    dst = _new_dataset(group, src.name.rsplit("/", 1)[-1], src.dtype, size)
    for offset in range(0, size, _COPY_BLOCK):
        stop = min(size, offset + _COPY_BLOCK)
        dst[offset:stop] = src[start + offset : start + stop]
    return size


def _write_rollback(f: h5py.File, cuts: list[_Cut], target: Path, bound: int, name: str) -> int:
    """Write the data ``cuts`` remove to ``target`` atomically; return the rows moved."""
    moved = 0
    with atomic_path(target) as tmp, h5py.File(tmp, "w", libver=_LIBVER) as out:
        out.attrs.update({k: f.attrs[k] for k in ("format", "key", "n_params")})
        out.attrs.update(
            kind="rollback",
            rolled_back_to=bound,
            checkpoint=name,
            source=Path(f.filename).name,
            source_f_counter=int(f.attrs["f_counter"]),
            created=_now(),
            package_version=_package_version(),
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


def _roll_back(f: h5py.File, bound: int, checkpoint_name: str) -> None:
    """Apply the seed's 'log ahead of the checkpoint' rule, preserving what is removed."""
    path = Path(f.filename)
    cuts = _plan_rollback(f, bound)
    if not cuts:
        found = int(f.attrs["f_counter"])
        if found != bound:  # behind the checkpoint (or only its counter ahead): append from bound
            _log.warning("Log %s ends at call %s; the checkpoint is at %s.", path, found, bound)
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
            group.attrs.update(end_call=_NOT_ENDED, end_reason="")
    record = {"checkpoint": checkpoint_name, "to_call": bound, "file": target.name, "rows": moved}
    f.attrs["rollbacks"] = json.dumps([*json.loads(f.attrs.get("rollbacks", "[]")), record])
    f.attrs["f_counter"] = bound
    f.flush()
    _fsync(f)
    whole = sum(cut.whole for cut in cuts)
    reopened = sum(cut.reopen for cut in cuts)
    warnings.warn(
        f"The log {path} held evaluations after checkpoint {checkpoint_name!r} (call {bound}). "
        f"{moved} later rows with their messages, and {whole} optimizers started later, were "
        f"moved to {target}; {reopened} optimizers that ended later were reopened. Logging "
        f"resumes from call {bound}.",
        stacklevel=3,
    )


class OptimizationLog:
    """Buffered writer of ``glompo_log.h5``; build it with :meth:`create` or :meth:`resume`.

    Contract with the manager: ``call_id`` numbers evaluations in the order the manager processes
    them, so each optimizer's ``call_id`` increases and, after a resume, exceeds the checkpoint's
    ``f_counter`` (a row logged twice is refused). After a resume the manager may re-register the
    optimizers still running with :meth:`add_optimizer` (same type); it must call :meth:`flush`
    before writing a checkpoint and store :attr:`f_counter` in it.

    Attributes
    ----------
    path, key, n_params
        The file, the key tying it to its checkpoints, and the length of ``x``.
    """

    def __init__(
        self, path: Path, handle: h5py.File, key: str, n_params: int, floor: int, buffer_rows: int
    ) -> None:
        self.path, self.key, self.n_params = path, key, n_params
        self._file, self._floor, self._f_counter = handle, floor, floor
        self._dtype = row_dtype(n_params)
        self._mtype = h5py.h5t.py_create(self._dtype)
        self._buf = np.zeros(buffer_rows, self._dtype)
        self._buf_opt = np.zeros(buffer_rows, np.int64)
        self._call, self._x, self._fx = (self._buf[k] for k in ("call_id", "x", "fx"))
        self._n, self._closed = 0, False
        self._live: dict[int, int] = {}  # running optimizer -> last call_id put
        self._msg_last: dict[int, int] = {}  # every known optimizer -> last message call_id
        self._resumed: set[int] = set()  # running in the file, not yet re-registered
        self._ended: set[int] = set()  # ended: late results of their evaluations still come in
        self._handles: dict[int, list[Any]] = {}  # optimizer -> [iter_history, rows]
        self._new: dict[int, dict[str, Any]] = {}
        self._messages: list[tuple[int, int, str]] = []
        self._ends: dict[int, tuple[str, int]] = {}
        self._root: dict[str, Any] = {}
        for name, group in handle.items():
            if name.startswith(_PREFIX):
                opt_id = int(name[len(_PREFIX) :])
                self._msg_last[opt_id] = floor
                self._live[opt_id] = floor
                if int(group.attrs["end_call"]) == _NOT_ENDED:
                    self._resumed.add(opt_id)
                else:
                    self._ended.add(opt_id)

    @classmethod
    def create(
        cls,
        path: Path,
        key: str,
        n_params: int,
        metadata: Mapping[str, str | int | float | bool],
        buffer_rows: int = 1024,
    ) -> OptimizationLog:
        """Start a new log at ``path``.

        Raises
        ------
        LogFileError
            If ``path`` exists (the manager deletes or keeps it per its settings first).
        InvalidSettingError
            If an argument is invalid or ``metadata`` uses a reserved name.
        """
        path = Path(path)
        _validate(key, n_params, buffer_rows, 0)
        if path.exists():
            raise LogFileError(f"The log {path} already exists; move it away or resume it.")
        _create_file(path, key, n_params, metadata, started_at_call=0)
        return cls(path, _open(path), key, n_params, 0, buffer_rows)

    @classmethod
    def resume(
        cls,
        path: Path,
        key: str,
        n_params: int,
        f_counter: int,
        checkpoint_name: str,
        buffer_rows: int = 1024,
    ) -> OptimizationLog:
        """Continue the log at ``path`` from a checkpoint taken at evaluation ``f_counter``.

        A missing file is created with a warning; a file ahead of the checkpoint is rolled back
        with a warning, the removed data kept in a rollback file (see the module docstring).

        Raises
        ------
        LogKeyMismatchError
            If the file belongs to another optimization; it is left untouched.
        LogFileError
            If the file is unreadable, not a log, or has another ``n_params``; left untouched.
        InvalidSettingError
            If an argument is invalid.
        """
        path = Path(path)
        _validate(key, n_params, buffer_rows, f_counter)
        if not path.exists():
            warnings.warn(
                f"No log file {path} to resume from checkpoint {checkpoint_name!r}; starting a "
                f"new log there (evaluations up to {f_counter} are not in it).",
                stacklevel=2,
            )
            meta = {"created_on_resume_from": str(checkpoint_name)}
            _create_file(path, key, n_params, meta, started_at_call=f_counter)
            return cls(path, _open(path), key, n_params, f_counter, buffer_rows)
        _check_identity(path, key, n_params)
        handle = _open(path)
        try:
            _roll_back(handle, f_counter, checkpoint_name)
        except BaseException:
            handle.close()
            raise
        return cls(path, handle, key, n_params, f_counter, buffer_rows)

    def has_optimizer(self, opt_id: int) -> bool:
        """Whether the log knows optimizer ``opt_id`` (running or ended)."""
        return int(opt_id) in self._msg_last

    @property
    def f_counter(self) -> int:
        """Highest ``call_id`` flushed or buffered (the checkpoint's count after a resume)."""
        return self._f_counter

    def add_optimizer(
        self, opt_id: int, opt_type: str, start_call: int, metadata: Mapping[str, Any]
    ) -> None:
        """Register an optimizer; re-registering one still running in a resumed log is allowed.

        Raises
        ------
        LogFileError
            If the id is already used (or re-registered with another type), or the log is closed.
        InvalidSettingError
            If ``metadata`` is not JSON serialisable.
        """
        self._check_open()
        opt_id = int(opt_id)
        spec = {
            "type": str(opt_type),
            "start_call": int(start_call),
            "metadata": _attr("metadata", dict(metadata)),
            "existing": False,
        }
        if opt_id in self._resumed:
            found = str(self._file[f"{_PREFIX}{opt_id}"].attrs["type"])
            if found != spec["type"]:
                raise LogFileError(
                    f"Optimizer {opt_id} in {self.path} is a {found}, not {opt_type}."
                )
            self._resumed.discard(opt_id)
            self._new[opt_id] = {**spec, "existing": True}
            return
        if opt_id in self._msg_last:
            raise LogFileError(f"Optimizer {opt_id} is already in the log {self.path}.")
        self._new[opt_id] = spec
        self._live[opt_id] = self._msg_last[opt_id] = self._floor

    def put_iteration(self, opt_id: int, call_id: int, x: np.ndarray, fx: float) -> None:
        """Buffer one evaluation; ``call_id`` must exceed the optimizer's previous one.

        Evaluations of an ended optimizer that were in flight when it ended are accepted.

        Raises
        ------
        LogFileError
            If the optimizer is unknown, ``call_id`` is out of order, or ``x`` has the
            wrong length.
        """
        last = self._live.get(opt_id)
        if last is None or call_id <= last:
            self._reject(opt_id, call_id)
        i = self._n
        try:
            if len(x) != self.n_params:
                raise ValueError(f"x has {len(x)} values")
            self._x[i] = x
        except (TypeError, ValueError) as err:
            raise LogFileError(f"Bad x for {self.path} (n_params={self.n_params}): {err}") from err
        self._live[opt_id] = call_id
        self._buf_opt[i] = opt_id
        self._call[i] = call_id
        self._fx[i] = fx
        if call_id > self._f_counter:
            self._f_counter = call_id
        self._n = i + 1
        if self._n == len(self._buf):
            self._write_batch()

    def put_message(self, opt_id: int, call_id: int, message: str) -> None:
        """Buffer a message of a known optimizer; messages come in call order.

        Raises
        ------
        LogFileError
            If the optimizer is unknown, ``call_id`` is out of order, or the log is closed.
        """
        self._check_open()
        last = self._msg_last.get(opt_id)
        if last is None or call_id < last:
            raise LogFileError(
                f"Message at call {call_id} for optimizer {opt_id} refused by "
                f"{self.path}: unknown optimizer or before call {last}."
            )
        self._msg_last[opt_id] = int(call_id)
        self._messages.append((int(opt_id), int(call_id), str(message)))

    def end_optimizer(self, opt_id: int, reason: str, end_call: int) -> None:
        """Record why and when a running optimizer stopped.

        Raises
        ------
        LogFileError
            If the optimizer is not running in this log, or the log is closed.
        """
        self._check_open()
        if opt_id not in self._live or opt_id in self._ended:
            raise LogFileError(f"Optimizer {opt_id} is not running in the log {self.path}.")
        self._ended.add(opt_id)
        self._resumed.discard(opt_id)
        self._ends[int(opt_id)] = (str(reason), int(end_call))

    def set_root_attrs(self, **attrs: Any) -> None:
        """Buffer run metadata for the root group; non-scalars are stored as JSON text.

        Raises
        ------
        InvalidSettingError
            If a name is reserved or a value cannot be stored.
        """
        self._check_open()
        clash = _RESERVED.intersection(attrs)
        if clash:
            raise InvalidSettingError(f"Root attributes {sorted(clash)} are reserved by the log.")
        self._root.update({name: _attr(name, value) for name, value in attrs.items()})

    def flush(self) -> None:
        """Write everything buffered, set the root ``f_counter``, flush and fsync the file.

        Raises
        ------
        LogFileError
            If writing fails or the log is closed.
        """
        self._check_open()
        self._write_batch()
        _fsync(self._file)

    def close(self) -> None:
        """Flush and close the file; closing again does nothing."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._live.clear()
            self._file.close()

    def __enter__(self) -> OptimizationLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise LogFileError(f"The log {self.path} is closed.")

    def _reject(self, opt_id: int, call_id: int) -> None:
        self._check_open()
        if opt_id not in self._live:
            raise LogFileError(f"Optimizer {opt_id} is not running in the log {self.path}.")
        raise LogFileError(
            f"call_id {call_id} of optimizer {opt_id} is not above its previous call_id "
            f"{self._live[opt_id]} (nor the log's start {self._floor}) in {self.path}."
        )

    def _write_batch(self) -> None:
        try:
            for opt_id, spec in self._new.items():
                self._write_group(opt_id, spec)
            self._new.clear()
            self._write_rows()
            self._write_messages()
            for opt_id, (reason, end_call) in self._ends.items():
                self._file[f"{_PREFIX}{opt_id}"].attrs.update(end_call=end_call, end_reason=reason)
                self._handles.pop(opt_id, None)
            self._ends.clear()
            self._file.attrs.update(self._root)
            self._root.clear()
            self._file.attrs["f_counter"] = self._f_counter
            self._file.flush()
        except (OSError, RuntimeError, KeyError) as err:
            raise LogFileError(f"Writing the log {self.path} failed: {err}") from err

    def _write_group(self, opt_id: int, spec: dict[str, Any]) -> None:
        name = f"{_PREFIX}{opt_id}"
        if spec["existing"]:
            group = self._file[name]
            start = min(int(group.attrs["start_call"]), spec["start_call"])
            group.attrs.update(start_call=start, metadata=spec["metadata"])
            return
        group = self._file.create_group(name)
        group.attrs.update(
            type=spec["type"],
            start_call=spec["start_call"],
            end_call=_NOT_ENDED,
            end_reason="",
            metadata=spec["metadata"],
        )
        _new_dataset(group, "iter_history", self._dtype)
        _new_dataset(group, "messages", _MSG_DTYPE)

    def _write_rows(self) -> None:
        n = self._n
        if n == 0:
            return
        order = np.argsort(self._buf_opt[:n], kind="stable")
        ids, rows = self._buf_opt[:n][order], self._buf[:n][order]
        bounds = [0, *(np.flatnonzero(ids[1:] != ids[:-1]) + 1).tolist(), n]
        for start, stop in itertools.pairwise(bounds):
            self._append(int(ids[start]), rows[start:stop])
        self._n = 0

    def _append(self, opt_id: int, rows: np.ndarray) -> None:
        entry = self._handles.get(opt_id)
        if entry is None:
            ds = self._file[f"{_PREFIX}{opt_id}/iter_history"]
            entry = self._handles[opt_id] = [ds, ds.shape[0]]
        ds, start = entry
        ds.resize((start + len(rows),))
        space = ds.id.get_space()
        space.select_hyperslab((start,), (len(rows),))
        ds.id.write(h5py.h5s.create_simple((len(rows),)), space, rows, mtype=self._mtype)
        entry[1] = start + len(rows)

    def _write_messages(self) -> None:
        by_opt: dict[int, list[tuple[int, str]]] = {}
        for opt_id, call_id, text in self._messages:
            by_opt.setdefault(opt_id, []).append((call_id, text))
        for opt_id, items in by_opt.items():
            ds = self._file[f"{_PREFIX}{opt_id}/messages"]
            start = ds.shape[0]
            ds.resize((start + len(items),))
            ds[start:] = np.array(items, dtype=_MSG_DTYPE)
        self._messages.clear()


def _validate(key: str, n_params: int, buffer_rows: int, f_counter: int) -> None:
    if not isinstance(key, str) or not key:
        raise InvalidSettingError(f"The log key must be a non-empty string, not {key!r}.")
    if int(n_params) < 1 or int(buffer_rows) < 1 or int(f_counter) < 0:
        raise InvalidSettingError(
            f"Need n_params >= 1, buffer_rows >= 1 and f_counter >= 0; got {n_params}, "
            f"{buffer_rows}, {f_counter}."
        )


def _open(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r+", libver=_LIBVER)
    except OSError as err:
        raise LogFileError(
            f"The log {path} cannot be opened for writing ({err}); close any program reading it."
        ) from err


def read_log(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a log (or a rollback file) into plain Python and numpy objects.

    Returns
    -------
    dict
        ``{"attrs": {...}, "optimizers": {id: {"attrs", "call_id", "x", "fx", "messages"}}}``;
        the JSON attributes ``metadata`` and ``rollbacks`` are decoded.

    Raises
    ------
    LogFileError
        If the file cannot be read.
    """
    try:
        with h5py.File(path, "r") as f:
            out: dict[str, Any] = {"attrs": _plain_attrs(f.attrs), "optimizers": {}}
            for name, group in f.items():
                if name.startswith(_PREFIX):
                    rows, msgs = group["iter_history"][()], group["messages"][()]
                    out["optimizers"][int(name[len(_PREFIX) :])] = {
                        "attrs": _plain_attrs(group.attrs),
                        "call_id": rows["call_id"],
                        "x": rows["x"],
                        "fx": rows["fx"],
                        "messages": [
                            (int(c), m.decode() if isinstance(m, bytes) else str(m))
                            for c, m in msgs
                        ],
                    }
    except OSError as err:
        raise LogFileError(f"The log {path} cannot be read: {err}") from err
    return out


def _plain_attrs(attrs: h5py.AttributeManager) -> dict[str, Any]:
    plain = {k: v.item() if isinstance(v, np.generic) else v for k, v in attrs.items()}
    for name in ("metadata", "rollbacks"):
        if isinstance(plain.get(name), str):
            plain[name] = json.loads(plain[name])
    return plain
