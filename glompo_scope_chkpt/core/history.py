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

    Storage grows geometrically, so appending is amortised O(1).
    """

    __slots__ = ("_call_ids", "_fx", "_size")

    def __init__(self, capacity: int = 64) -> None:
        self._call_ids = np.empty(capacity, dtype=np.int64)
        self._fx = np.empty(capacity, dtype=np.float64)
        self._size = 0

    def _reserve(self, size: int) -> None:
        """Make room for ``size`` evaluations, growing by half at least (amortised O(1))."""
        if size > len(self._fx):
            capacity = max(size, len(self._fx) * 3 // 2)
            self._call_ids = np.resize(self._call_ids, capacity)
            self._fx = np.resize(self._fx, capacity)

    def append(self, call_id: int, fx: float) -> None:
        """Add one evaluation."""
        if self._size == len(self._fx):
            self._reserve(self._size + 1)
        self._call_ids[self._size] = call_id
        self._fx[self._size] = fx
        self._size += 1

    def extend(self, call_ids: np.ndarray, fx: np.ndarray) -> None:
        """Add evaluations in bulk (``call_ids`` ascending, after the last one held)."""
        end = self._size + len(fx)
        self._reserve(end)
        self._call_ids[self._size : end] = call_ids
        self._fx[self._size : end] = fx
        self._size = end

    def __len__(self) -> int:
        return self._size

    @property
    def call_ids(self) -> np.ndarray:
        """Evaluation numbers, ascending (a read-only view)."""
        view = self._call_ids[: self._size]
        view.flags.writeable = False
        return view

    @property
    def fx(self) -> np.ndarray:
        """Function values in evaluation order (a read-only view)."""
        view = self._fx[: self._size]
        view.flags.writeable = False
        return view

    def __getstate__(self) -> dict[str, np.ndarray]:
        return {
            "call_ids": self._call_ids[: self._size].copy(),
            "fx": self._fx[: self._size].copy(),
        }

    def __setstate__(self, state: dict[str, np.ndarray]) -> None:
        self._call_ids = np.array(state["call_ids"], dtype=np.int64)
        self._fx = np.array(state["fx"], dtype=np.float64)
        self._size = len(self._fx)
        if self._size == 0:
            self._call_ids = np.empty(64, dtype=np.int64)
            self._fx = np.empty(64, dtype=np.float64)


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

    def best(self) -> tuple[int | None, float]:
        """Return ``(opt_id, fx)`` of the lowest value seen, or ``(None, inf)`` if none."""
        best_id, best_fx = None, float("inf")
        for opt_id, trace in self.traces.items():
            if len(trace):
                low = float(np.min(trace.fx))
                if low < best_fx:
                    best_id, best_fx = opt_id, low
        return best_id, best_fx
