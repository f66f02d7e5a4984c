"""Reading what a growing history gained, for the scope to draw.

This module's one concern is the hand-over from the manager's
:class:`~glompo_scope_chkpt.core.history.History` to the renderer: a :class:`HistoryCursor` reads,
lock-free and from another thread than the one appending, the points and markers added since its
last read, and returns them as a :class:`HistoryDelta`, the format
:meth:`~glompo_scope_chkpt.scope.plot.ScopePlot.apply` consumes (and the live scope pickles to its
renderer process).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.history import History, Marker

__all__ = ["HistoryCursor", "HistoryDelta"]


@dataclass
class HistoryDelta:
    """What a history gained: new points per optimizer and new markers, in order."""

    points: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.points or self.markers)


class HistoryCursor:
    """Reads, from another thread than the one appending, what a :class:`History` gained.

    Safe under CPython without locks because the history only grows: the marker count is read
    first, then a copy of the trace dict (one C-level call, atomic under the GIL), then for each
    trace its length ``n`` before its arrays. Any array a trace holds after ``n`` was read has
    its first ``n`` entries written (a trace writes a value before counting it, and growing copies
    the old entries), so slices ``[sent:n]`` are complete. Markers are read before points, so every
    point a marker refers to is delivered with or before it.
    """

    def __init__(self, history: History) -> None:
        self._history = history
        self._sent: dict[int, int] = {}
        self._markers = 0

    def delta(self) -> HistoryDelta:
        """Return the points and markers added since the previous call (all of them at first)."""
        markers = self._history.markers
        n_markers = len(markers)
        new_markers = markers[self._markers : n_markers]
        self._markers = n_markers
        points = {}
        for opt_id, trace in self._history.traces.copy().items():
            n, start = len(trace), self._sent.get(opt_id, 0)
            if n > start:
                points[opt_id] = (trace.call_ids[start:n].copy(), trace.fx[start:n].copy())
                self._sent[opt_id] = n
        return HistoryDelta(points, new_markers)
