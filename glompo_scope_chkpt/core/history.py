"""The compact event history of an optimization: the truth the scope and the summaries draw from.

The manager appends every evaluated point and every notable event (an optimizer started, killed,
converged, crashed or paused, a checkpoint, a resume) here; the scope figure and the trajectory
plots are drawn from it. It only grows, so it is not pickled into checkpoints: a
:class:`HistorySink` (:class:`~glompo_scope_chkpt.core.journal.HistoryJournal`) appends each
record to the history files beside the checkpoints, and a checkpoint stores how far they reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .packed_trace import PackedTrace

__all__ = ["MARKER_KINDS", "Marker", "Trace", "PointWindow", "History", "HistorySink"]

MARKER_KINDS = ("started", "killed", "converged", "crashed", "paused", "checkpoint", "resume")
"""Kinds of marker the history records. A ``started`` marker names an optimizer's type (its class
name) in its label; histories written before it existed have none."""


@dataclass(frozen=True)
class Marker:
    """One notable event on the timeline.

    Attributes
    ----------
    kind
        One of :data:`MARKER_KINDS`.
    call_id
        Evaluation number at which it happened.
    opt_id
        Optimizer concerned, or ``None`` for manager-wide events (checkpoint, resume).
    fx
        Function value to place the marker at, or ``None`` for a vertical line.
    label
        Free text, e.g. a checkpoint's name, the reason an optimizer stopped or, for ``started``,
        the optimizer's class name.
    """

    kind: str
    call_id: int
    opt_id: int | None = None
    fx: float | None = None
    label: str = ""


class Trace:
    """Function values of one optimizer against the universal evaluation number.

    A running optimizer's trace is held in two growing arrays (appending is amortised O(1)), which
    the hunters read as views. When the optimizer ends, :meth:`freeze` packs them
    (:class:`~.packed_trace.PackedTrace`, 7 to 8 bytes per evaluation instead of 16, no spare
    capacity); reading a frozen trace unpacks it; a late result appended to it stays unpacked
    beside the packed ones, and :meth:`extend` unfreezes it.

    Its storage is one attribute, replaced whole, so another thread that read ``len(trace)``
    first may read any of the first ``len`` values at any time (see
    :class:`~glompo_scope_chkpt.scope.cursor.HistoryCursor`).
    """

    __slots__ = ("_size", "_store")

    def __init__(self, capacity: int = 64) -> None:
        self._store: tuple[np.ndarray, np.ndarray] | PackedTrace = (
            np.empty(capacity, dtype=np.int64),
            np.empty(capacity, dtype=np.float64),
        )
        self._size = 0

    def _columns(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Arrays with room for ``size`` evaluations holding the trace (grown by half at least)."""
        store = self._store
        if isinstance(store, PackedTrace):
            call_ids, fx = store.unpack()
            store = (call_ids, fx)
        if size > len(store[1]):
            capacity = max(size, len(store[1]) * 3 // 2)
            store = (np.resize(store[0], capacity), np.resize(store[1], capacity))
        self._store = store
        return store

    def append(self, call_id: int, fx: float) -> None:
        """Add one evaluation (to a frozen trace: kept unpacked after the packed ones)."""
        store = self._store
        if isinstance(store, PackedTrace):
            self._store = store.appended(call_id, fx)
            self._size += 1
            return
        if self._size == len(store[1]):
            store = self._columns(self._size + 1)
        store[0][self._size] = call_id
        store[1][self._size] = fx
        self._size += 1

    def extend(self, call_ids: np.ndarray, fx: np.ndarray) -> None:
        """Add evaluations in bulk (``call_ids`` ascending, after the last one held)."""
        end = self._size + len(fx)
        store = self._columns(end)
        store[0][self._size : end] = call_ids
        store[1][self._size : end] = fx
        self._size = end

    def freeze(self) -> None:
        """Pack the trace into its compact form (its optimizer ended)."""
        if self._size and not isinstance(self._store, PackedTrace):
            self._store = PackedTrace.pack(self.call_ids, self.fx)

    @property
    def frozen(self) -> bool:
        """Whether the trace is packed (see :meth:`freeze`)."""
        return isinstance(self._store, PackedTrace)

    def __len__(self) -> int:
        return self._size

    def columns(self) -> tuple[np.ndarray, np.ndarray]:
        """Evaluation numbers and values, read-only, read together (a frozen trace unpacks once).

        Views of the trace's arrays unless it is frozen.
        """
        store = self._store
        if isinstance(store, PackedTrace):
            call_ids, fx = store.unpack()
        else:
            size = self._size
            call_ids, fx = store[0][:size], store[1][:size]
        call_ids.flags.writeable = fx.flags.writeable = False
        return call_ids, fx

    @property
    def call_ids(self) -> np.ndarray:
        """Evaluation numbers, ascending (see :meth:`columns`)."""
        return self.columns()[0]

    @property
    def fx(self) -> np.ndarray:
        """Function values in evaluation order (see :meth:`columns`)."""
        return self.columns()[1]

    @property
    def first_call(self) -> int:
        """The first evaluation number (the trace must not be empty)."""
        store = self._store
        return store.first_call if isinstance(store, PackedTrace) else int(store[0][0])

    @property
    def last_call(self) -> int:
        """The last evaluation number (the trace must not be empty)."""
        size, store = self._size, self._store  # the size first, as another thread reads it
        return store.last_call if isinstance(store, PackedTrace) else int(store[0][size - 1])

    def __getstate__(self) -> dict[str, np.ndarray]:
        return {"call_ids": self.call_ids.copy(), "fx": self.fx.copy()}

    def __setstate__(self, state: dict[str, np.ndarray]) -> None:
        self.__init__()  # type: ignore[misc]
        self.extend(
            np.asarray(state["call_ids"], dtype=np.int64),
            np.asarray(state["fx"], dtype=np.float64),
        )


class PointWindow:
    """The last ``capacity`` points told to one optimizer, and their values, in a ring.

    The hunters read them (:attr:`~glompo_scope_chkpt.hunters.OptimizerView.recent_x`); the
    manager keeps one per running optimizer, so memory stays bounded however long the run.
    """

    __slots__ = ("_fx", "_next", "_size", "_x")

    def __init__(self, capacity: int, n_params: int) -> None:
        self._empty(capacity, n_params)

    def _empty(self, capacity: int, n_params: int) -> None:
        self._x = np.empty((capacity, n_params), dtype=np.float64)
        self._fx = np.empty(capacity, dtype=np.float64)
        self._next = 0
        self._size = 0

    @property
    def capacity(self) -> int:
        """How many points it keeps."""
        return len(self._fx)

    def __len__(self) -> int:
        return self._size

    def append(self, x: np.ndarray, fx: float) -> None:
        """Add a point, dropping the oldest one when full."""
        self._x[self._next] = x
        self._fx[self._next] = fx
        self._next = (self._next + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def _order(self) -> np.ndarray:
        return (np.arange(self._size) + self._next - self._size) % self.capacity

    @property
    def x(self) -> np.ndarray:
        """The points, oldest first, shape ``(len, n_params)`` (a copy)."""
        return self._x[self._order()]

    @property
    def fx(self) -> np.ndarray:
        """Their values, oldest first (a copy)."""
        return self._fx[self._order()]

    def resized(self, capacity: int) -> PointWindow:
        """A window of another ``capacity`` holding the newest points of this one."""
        window = PointWindow(capacity, self._x.shape[1])
        for x, fx in zip(self.x[-capacity:], self.fx[-capacity:], strict=True):
            window.append(x, fx)
        return window

    def __getstate__(self) -> dict[str, Any]:
        return {"capacity": self.capacity, "x": self.x, "fx": self.fx}

    def __setstate__(self, state: dict[str, Any]) -> None:
        x, fx = np.asarray(state["x"], dtype=np.float64), np.asarray(state["fx"], dtype=np.float64)
        self._empty(int(state["capacity"]), x.shape[1])
        for point, value in zip(x, fx, strict=True):
            self.append(point, value)


class HistorySink(Protocol):
    """Where a :class:`History` passes on each record it gains (the history files)."""

    def point(self, opt_id: int, call_id: int, fx: float) -> None:
        """Keep one evaluation."""
        ...

    def marker(self, marker: Marker) -> None:
        """Keep one marker."""
        ...


@dataclass
class History:
    """Every point and marker of the optimization so far.

    Attributes
    ----------
    traces
        Per optimizer id, its :class:`Trace`.
    markers
        Notable events in the order they happened.
    sink
        Receives every record added, or ``None``. It is never pickled.
    """

    traces: dict[int, Trace] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)
    sink: HistorySink | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"traces": self.traces, "markers": self.markers}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.traces, self.markers, self.sink = state["traces"], state["markers"], None

    def add_point(self, opt_id: int, call_id: int, fx: float) -> None:
        """Record one evaluation of optimizer ``opt_id``."""
        trace = self.traces.get(opt_id)
        if trace is None:
            trace = self.traces[opt_id] = Trace()
        trace.append(call_id, fx)
        if self.sink is not None:
            self.sink.point(opt_id, call_id, fx)

    def add_marker(
        self,
        kind: str,
        call_id: int,
        opt_id: int | None = None,
        fx: float | None = None,
        label: str = "",
    ) -> Marker:
        """Record a notable event and return it.

        Raises
        ------
        ValueError
            If ``kind`` is not one of :data:`MARKER_KINDS`.
        """
        if kind not in MARKER_KINDS:
            raise ValueError(f"Unknown marker kind {kind!r}; expected one of {MARKER_KINDS}.")
        marker = Marker(kind, int(call_id), opt_id, fx, label)
        self.markers.append(marker)
        if self.sink is not None:
            self.sink.marker(marker)
        return marker

    def kills_at_convergence(self) -> list[int]:
        """For each optimizer that converged, in order, how many had been killed by then."""
        kills, counts = 0, []
        for marker in self.markers:
            if marker.kind == "killed":
                kills += 1
            elif marker.kind == "converged":
                counts.append(kills)
        return counts
