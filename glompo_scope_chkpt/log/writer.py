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
so a SIGKILL leaves the state of the last flush. Each write claims its disk space first and
commits in two flushes: the rows and messages, then each group's counts of valid rows
(``n_rows``, ``n_messages``) with the ``end_*`` and root attributes (``fsync`` after each at
:meth:`OptimizationLog.flush`). A write that fails (full disk, I/O error) raises one
:class:`~glompo_scope_chkpt.errors.LogFileError` naming the file, and the disk for a disk error
(:class:`~glompo_scope_chkpt.errors.LogDiskError`); a failed claim leaves the file untouched and
the rows buffered, a failure inside HDF5 abandons the file, closed without writing more
(see :mod:`.space`). Measured with h5py 3.16 / HDF5 2.0:

* writes left unflushed in HDF5's metadata cache when the process dies can corrupt the file
  ("addr overflow"), hence the buffering in Python and a flush after every write batch;
* ``libver='latest'`` (superblock v3, and SWMR which needs it) marks the file open for writing:
  after a SIGKILL nothing opens it without ``h5clear``. SWMR also forbids creating the optimizer
  groups during a run. The log therefore uses ``libver=('v108', 'v108')``, which opens after a
  kill and is readable by HDF5 >= 1.8;
* keeping the file open costs ~25 us per optimizer per batch (cached handles, low-level write);
  reopening per batch adds ~0.2 ms and lets a reader's lock stop the run, so the file stays
  open (locked with ``flock``, as HDF5 locks its files) between flushes. A live look, best
  effort: ``h5py.File(p, 'r', locking=False)``.
* a kill in the middle of a flush could leave the file unreadable, since HDF5 writes its
  metadata in place: 4 of 210 SIGKILLs of a process doing nothing but writes (a new optimizer
  group and a flush every 1-30 rows) did (a torn link index, a truncated file). The file is
  therefore written through an undo journal (:mod:`.undo`, :class:`.handle.LogFile`): the next
  opening undoes a write a kill cut short, and the package's readers see the log as that
  opening will leave it. The log still flushes as rarely as replay allows: once a second, or
  when about 4 MiB of rows are buffered.

Chunks hold about 128 KiB of rows, uncompressed (partial chunks are rewritten at each flush).
The log is not thread-safe: call it from the manager's thread.

Code: the writer is here; names, dtypes, file helpers and :func:`read_log` are in
:mod:`.format`; one write (space claim, two flushes) in :mod:`.batch`, :mod:`.appender` and
:mod:`.space`; the file open for writing in :mod:`.handle`, its undo journal in :mod:`.undo`;
the identity check and rollback on resume in :mod:`.rollback`; which of
:meth:`OptimizationLog.create` and :meth:`OptimizationLog.resume` a run uses, in :mod:`.opener`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from ..errors import InvalidSettingError, LogFileError
from .batch import Batch, BatchWriter, split_by_optimizer
from .format import (
    GROUP_PREFIX,
    LOG_FILENAME,
    LOG_FORMAT,
    NOT_ENDED,
    RESERVED_ATTRS,
    create_log_file,
    read_log,
    row_dtype,
    to_attr,
    validate_args,
)
from .handle import LogFile, open_for_writing
from .rollback import open_for_resume
from .space import failed_write

__all__ = ["LOG_FILENAME", "LOG_FORMAT", "OptimizationLog", "read_log"]

_BUFFER_BYTES = 4 << 20
"""Rows buffered between two writes by default, in bytes. Every write flushes HDF5's metadata,
and a process killed in the middle of that flush can leave the file unreadable (see the module's
notes). With a cheap objective a buffer of 1,024 rows filled 20 times a second; with this one
the loop's once-a-second write comes first."""


def _buffer_rows(n_params: int, given: int | None) -> int:
    """Rows to buffer: ``given``, or about :data:`_BUFFER_BYTES` of rows (at least 1,024)."""
    if given is not None:
        return given
    return max(1024, _BUFFER_BYTES // row_dtype(n_params).itemsize)


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
        self, path: Path, handle: LogFile, key: str, n_params: int, floor: int, buffer_rows: int
    ) -> None:
        self.path, self.key, self.n_params = path, key, n_params
        self._file, self._floor, self._f_counter = handle, floor, floor
        self._dtype = row_dtype(n_params)
        self._buf = np.zeros(buffer_rows, self._dtype)
        self._buf_opt = np.zeros(buffer_rows, np.int64)
        self._call, self._x, self._fx = (self._buf[k] for k in ("call_id", "x", "fx"))
        self._n, self._closed = 0, False
        self._broken: BaseException | None = None  # why a write failed inside HDF5
        self._writer = BatchWriter(handle, self._dtype)
        self._live: dict[int, int] = {}  # running optimizer -> last call_id put
        self._msg_last: dict[int, int] = {}  # every known optimizer -> last message call_id
        self._resumed: set[int] = set()  # running in the file, not yet re-registered
        self._ended: set[int] = set()  # ended: late results of their evaluations still come in
        self._new: dict[int, dict[str, Any]] = {}
        self._messages: list[tuple[int, int, str]] = []
        self._ends: dict[int, tuple[str, int]] = {}
        self._root: dict[str, Any] = {}
        for name, group in handle.items():
            if name.startswith(GROUP_PREFIX):
                opt_id = int(name[len(GROUP_PREFIX) :])
                self._msg_last[opt_id] = floor
                self._live[opt_id] = floor
                if int(group.attrs["end_call"]) == NOT_ENDED:
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
        buffer_rows: int | None = None,
    ) -> OptimizationLog:
        """Start a new log at ``path``.

        ``buffer_rows`` rows are buffered before a write (default: about 4 MiB of rows, at least
        1,024).

        Raises
        ------
        LogFileError
            If ``path`` exists (the manager deletes or keeps it per its settings first).
        InvalidSettingError
            If an argument is invalid or ``metadata`` uses a reserved name.
        """
        path = Path(path)
        validate_args(key, n_params, buffer_rows, 0)
        buffer_rows = _buffer_rows(n_params, buffer_rows)
        if path.exists():
            raise LogFileError(f"The log {path} already exists; move it away or resume it.")
        create_log_file(path, key, n_params, metadata, started_at_call=0)
        return cls(path, open_for_writing(path), key, n_params, 0, buffer_rows)

    @classmethod
    def resume(
        cls,
        path: Path,
        key: str,
        n_params: int,
        f_counter: int,
        checkpoint_name: str,
        buffer_rows: int | None = None,
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
        validate_args(key, n_params, buffer_rows, f_counter)
        buffer_rows = _buffer_rows(n_params, buffer_rows)
        if not path.exists():
            warnings.warn(
                f"No log file {path} to resume from checkpoint {checkpoint_name!r}; starting a "
                f"new log there (evaluations up to {f_counter} are not in it).",
                stacklevel=2,
            )
            meta = {"created_on_resume_from": str(checkpoint_name)}
            create_log_file(path, key, n_params, meta, started_at_call=f_counter)
            return cls(path, open_for_writing(path), key, n_params, f_counter, buffer_rows)
        handle = open_for_resume(path, key, n_params, f_counter, checkpoint_name)
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
            "metadata": to_attr("metadata", dict(metadata)),
            "existing": False,
        }
        if opt_id in self._resumed:
            found = str(self._file[f"{GROUP_PREFIX}{opt_id}"].attrs["type"])
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
        if self._n == len(self._buf):  # the write of a full buffer failed before: try again
            self._write_batch()
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
        clash = RESERVED_ATTRS.intersection(attrs)
        if clash:
            raise InvalidSettingError(f"Root attributes {sorted(clash)} are reserved by the log.")
        self._root.update({name: to_attr(name, value) for name, value in attrs.items()})

    def flush(self) -> None:
        """Write everything buffered, set the root ``f_counter``, flush and fsync the file.

        Raises
        ------
        LogDiskError
            If the disk refuses the write (full, read-only, failing); the message names the
            file and the disk.
        LogFileError
            If writing fails otherwise, the log is closed, or an earlier write failed.
        """
        self._write_batch(durable=True)

    def write(self) -> None:
        """Write everything buffered, without ``fsync``.

        The rows then survive a killed process (not a crash of the machine), so that a resumed
        run can replay them (:mod:`glompo_scope_chkpt.engine.replay`).

        Raises
        ------
        LogDiskError, LogFileError
            As :meth:`flush`.
        """
        self._write_batch()

    def close(self) -> None:
        """Flush and close the file; closing again does nothing.

        A log whose write failed is closed without writing anything more.

        Raises
        ------
        LogFileError
            As :meth:`flush`; the file is closed all the same.
        """
        if self._closed:
            return
        try:
            if self._broken is None:
                self.flush()
                self._writer.space.release(self._file)
        except BaseException as exc:
            self._abandon(exc)
            raise
        finally:
            self._closed = True
            self._live.clear()
        if self._broken is None:
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
        if self._broken is not None:
            raise LogFileError(
                f"The log {self.path} was closed after a failed write ({self._broken}); resume "
                "the run from its last checkpoint."
            )

    def _abandon(self, err: BaseException) -> None:
        """Close the file without HDF5 writing anything more (idempotent)."""
        if self._broken is None:
            self._broken = err
            self._writer.appenders.clear()
            self._file.abandon()

    def _reject(self, opt_id: int, call_id: int) -> None:
        self._check_open()
        if opt_id not in self._live:
            raise LogFileError(f"Optimizer {opt_id} is not running in the log {self.path}.")
        raise LogFileError(
            f"call_id {call_id} of optimizer {opt_id} is not above its previous call_id "
            f"{self._live[opt_id]} (nor the log's start {self._floor}) in {self.path}."
        )

    def _write_batch(self, durable: bool = False) -> None:
        """Write everything buffered as one :class:`~.batch.Batch` (``fsync``-ed if ``durable``).

        A claim of disk space that fails leaves the file and the buffers as they were; a failure
        inside HDF5 abandons the file.
        """
        self._check_open()
        messages: dict[int, list[tuple[int, str]]] = {}
        for opt_id, call_id, text in self._messages:
            messages.setdefault(opt_id, []).append((call_id, text))
        rows = split_by_optimizer(self._buf_opt[: self._n], self._buf[: self._n])
        batch = Batch(rows, messages, self._new, self._ends, self._root, self._f_counter)
        try:
            self._writer.write(batch, durable)
        except LogFileError:
            raise
        except (OSError, RuntimeError, KeyError, ValueError) as err:
            self._abandon(err)
            raise failed_write(self.path, err) from err
        self._n = 0
        self._messages.clear()
        self._new, self._ends, self._root = {}, {}, {}
