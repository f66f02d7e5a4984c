"""Writing one batch of the log: space claimed first, then two flushes, the second committing.

A :class:`Batch` is what the writer buffered between two writes; :class:`BatchWriter` puts it in
the file. First the disk space the batch may need is claimed (:class:`~.space.SpaceClaim`: a
full disk fails there, before HDF5 writes anything). Then new optimizer groups, rows and
messages are written and flushed; only then are the groups' counts of valid rows
(:class:`~.appender.GroupAppender`), the ends of optimizers and the root attributes (with
``f_counter``) written and flushed. A write that fails half way never makes its rows count.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from .appender import GroupAppender
from .format import GROUP_PREFIX, MSG_DTYPE, chunk_rows, create_optimizer_group
from .handle import LogFile
from .space import METADATA_BYTES, SpaceClaim, chunks_bytes

__all__ = ["Batch", "BatchWriter", "split_by_optimizer"]

_GROUP_BYTES = 16 * 1024
"""Bytes allowed for the headers of a new optimizer group (its chunks are counted apart)."""


def split_by_optimizer(ids: np.ndarray, rows: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Group ``rows`` by optimizer (``ids`` gives each row's), keeping their order."""
    if len(ids) == 0:
        return []
    order = np.argsort(ids, kind="stable")
    ids, rows = ids[order], rows[order]
    bounds = [0, *(np.flatnonzero(ids[1:] != ids[:-1]) + 1).tolist(), len(ids)]
    return [(int(ids[a]), rows[a:b]) for a, b in itertools.pairwise(bounds)]


@dataclass
class Batch:
    """What one write puts in the log.

    Attributes
    ----------
    rows
        ``(optimizer, rows)`` pairs, rows in call order.
    messages
        Optimizer -> ``(call_id, message)`` pairs.
    new
        Optimizer -> group to create (or, ``existing``, to update): type, start_call, metadata.
    ends
        Optimizer -> ``(end_reason, end_call)``.
    root
        Root attributes to set.
    f_counter
        The root's ``f_counter`` after this batch.
    """

    rows: list[tuple[int, np.ndarray]]
    messages: dict[int, list[tuple[int, str]]]
    new: dict[int, dict[str, Any]]
    ends: dict[int, tuple[str, int]]
    root: dict[str, Any]
    f_counter: int


class BatchWriter:
    """Writes batches into an open log; keeps its groups open between batches.

    Parameters
    ----------
    handle
        The log, open for writing.
    dtype
        The dtype of its rows.

    Attributes
    ----------
    space
        The disk space claimed for the file.
    appenders
        The open groups of running optimizers.
    """

    def __init__(self, handle: LogFile, dtype: np.dtype) -> None:
        self.file, self.dtype = handle, dtype
        self.mtype = h5py.h5t.py_create(dtype)
        self.space = SpaceClaim(handle)
        self.appenders: dict[int, GroupAppender] = {}

    def write(self, batch: Batch, durable: bool) -> None:
        """Claim the space, write the data and flush, then the counts and flush.

        With ``durable`` the file is ``fsync``-ed after each flush.

        Raises
        ------
        LogDiskError
            If the disk cannot give the space; nothing was written.
        OSError, RuntimeError, KeyError, ValueError
            If HDF5 fails half way; the caller must abandon the file.
        """
        self.space.claim(self.file, self._bytes(batch), self._undo_bytes(batch))
        touched = self._write_data(batch)
        if durable:
            self.file.sync()
        self._write_counts(batch, touched)
        if durable:
            self.file.sync()
        self.space.settle()

    def _bytes(self, batch: Batch) -> int:
        """An upper bound of the bytes the file grows by when ``batch`` is written."""
        need = METADATA_BYTES + _GROUP_BYTES * len(batch.new)
        need += sum(len(str(value)) for value in batch.root.values())
        row_chunk, msg_chunk = chunk_rows(self.dtype), chunk_rows(MSG_DTYPE)
        for opt_id, block in batch.rows:
            size = self.appenders[opt_id].rows if opt_id in self.appenders else 0
            need += chunks_bytes(size, len(block), row_chunk, self.dtype.itemsize)
        for opt_id, items in batch.messages.items():
            size = self.appenders[opt_id].n_messages if opt_id in self.appenders else 0
            need += chunks_bytes(size, len(items), msg_chunk, MSG_DTYPE.itemsize)
            need += 4096 + sum(64 + len(text.encode("utf-8")) for _, text in items)
        return need

    def _undo_bytes(self, batch: Batch) -> int:
        """An upper bound of the old bytes ``batch`` overwrites: metadata, and the last chunk
        (partly filled, rewritten whole) of each dataset it appends to."""
        rows = chunk_rows(self.dtype) * self.dtype.itemsize
        messages = chunk_rows(MSG_DTYPE) * MSG_DTYPE.itemsize
        return METADATA_BYTES + rows * len(batch.rows) + messages * len(batch.messages)

    def _write_data(self, batch: Batch) -> list[GroupAppender]:
        """First flush: new groups, rows and messages (not yet counted); return who got some."""
        for opt_id, spec in batch.new.items():
            self._write_group(opt_id, spec)
        touched: dict[int, GroupAppender] = {}
        for opt_id, block in batch.rows:
            touched[opt_id] = self._appender(opt_id)
            touched[opt_id].add_rows(block, self.mtype)
        for opt_id, items in batch.messages.items():
            touched[opt_id] = self._appender(opt_id)
            touched[opt_id].add_messages(items)
        self.file.flush()
        return list(touched.values())

    def _write_counts(self, batch: Batch, touched: list[GroupAppender]) -> None:
        """Second flush: the counts of valid rows, the ends, the root attributes."""
        for appender in touched:
            appender.commit()
        for opt_id, (reason, end_call) in batch.ends.items():
            self.file[f"{GROUP_PREFIX}{opt_id}"].attrs.update(end_call=end_call, end_reason=reason)
            self.appenders.pop(opt_id, None)
        self.file.attrs.update(batch.root)
        self.file.attrs["f_counter"] = batch.f_counter
        self.file.flush()

    def _write_group(self, opt_id: int, spec: dict[str, Any]) -> None:
        name = f"{GROUP_PREFIX}{opt_id}"
        if spec["existing"]:
            group = self.file[name]
            start = min(int(group.attrs["start_call"]), spec["start_call"])
            group.attrs.update(start_call=start, metadata=spec["metadata"])
            return
        create_optimizer_group(self.file, name, self.dtype, spec)

    def _appender(self, opt_id: int) -> GroupAppender:
        appender = self.appenders.get(opt_id)
        if appender is None:
            group = self.file[f"{GROUP_PREFIX}{opt_id}"]
            appender = self.appenders[opt_id] = GroupAppender(group)
        return appender
