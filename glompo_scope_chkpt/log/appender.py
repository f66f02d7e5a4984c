"""One optimizer group of the log open for appending: its datasets and their valid counts.

Appending is done in two steps so that a failed write never makes rows count that are not on
disk: :meth:`GroupAppender.add_rows` and :meth:`GroupAppender.add_messages` grow the datasets,
and only after those writes were flushed does :meth:`GroupAppender.commit` set the group's
``n_rows`` and ``n_messages`` (see :mod:`.format`). Readers and the rollback ignore rows past them.
"""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from .format import MSGS_ATTR, ROWS_ATTR, append_messages, append_rows, valid_sizes

__all__ = ["GroupAppender"]


def _count_attr(group: h5py.Group, name: str, value: int) -> h5py.h5a.AttrID:
    """Open the count attribute ``name`` of ``group``, creating it (a log of an older version)."""
    if name not in group.attrs:
        group.attrs.create(name, value, dtype=np.int64)
    return h5py.h5a.open(group.id, name.encode())


class GroupAppender:
    """Appends rows and messages to one optimizer group; :meth:`commit` makes them count.

    Create it only inside a write (it may add the count attributes to a group of an older log).

    Parameters
    ----------
    group
        The optimizer's group in the log, open for writing.
    """

    __slots__ = ("_history", "_messages", "_msgs_attr", "_rows_attr", "n_messages", "rows")

    def __init__(self, group: h5py.Group) -> None:
        self.rows, self.n_messages = valid_sizes(group)
        self._history, self._messages = group["iter_history"], group["messages"]
        self._rows_attr = _count_attr(group, ROWS_ATTR, self.rows)
        self._msgs_attr = _count_attr(group, MSGS_ATTR, self.n_messages)

    def add_rows(self, rows: np.ndarray, mtype: Any) -> None:
        """Write ``rows`` after the valid ones (``mtype``: their HDF5 memory type)."""
        self.rows = append_rows(self._history, self.rows, rows, mtype)

    def add_messages(self, items: list[tuple[int, str]]) -> None:
        """Write ``(call_id, message)`` pairs after the valid messages."""
        self.n_messages = append_messages(self._messages, self.n_messages, items)

    def commit(self) -> None:
        """Set the group's counts of valid rows and messages to what was appended."""
        self._rows_attr.write(np.array(self.rows, dtype=np.int64))
        self._msgs_attr.write(np.array(self.n_messages, dtype=np.int64))
