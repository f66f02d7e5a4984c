"""Reading what a growing history gained, for the scope to draw.

This module's one concern is the hand-over from the manager's
:class:`~glompo_scope_chkpt.core.history.History` to the renderer: a :class:`HistoryCursor` reads,
lock-free and from another thread than the one appending, the points and markers added since its
last read, and returns them as :class:`HistoryDelta` objects, the format
:meth:`~glompo_scope_chkpt.scope.plot.ScopePlot.apply` consumes (and the live scope pickles to its
renderer process). What it read may be handed out in pieces of a bounded number of points, so
that however far the renderer lags, no message to it grows with the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..core.history import History, Marker

__all__ = ["HistoryCursor", "HistoryDelta"]


@dataclass
class HistoryDelta:
    """What a history gained: new points per optimizer and new markers, in order.

    Attributes
    ----------
    through
        For a piece of what the cursor read (see :meth:`HistoryCursor.deltas`): the evaluation
        number up to which the read points, and the markers in order up to it, have been handed
        out with this piece or before; more of the read follows in later pieces. ``None`` when
        nothing of the read follows.
    """

    points: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)
    through: int | None = None

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
        """Return the points and markers added since the previous read (all of them at first)."""
        return next(self.deltas())

    def deltas(self, limit: int | None = None) -> Iterator[HistoryDelta]:
        """Hand out what was added since the previous read, in pieces of at most ``limit`` points.

        The history is read once, at the first piece. A piece is cut after an evaluation number
        (its :attr:`HistoryDelta.through`): it holds the read points up to that number not
        handed out yet, and the markers in order up to it; the last piece holds the rest, and
        all the read markers left. Evaluation numbers are distinct, so a cut ``limit - 1`` past
        the lowest point left keeps a piece within ``limit`` points. Each piece counts as handed
        out once it is yielded. Without ``limit``, one piece holds everything.
        """
        markers = self._history.markers
        n_markers = len(markers)
        left = markers[self._markers : n_markers]
        pending = {}
        for opt_id, trace in self._history.traces.copy().items():
            n, start = len(trace), self._sent.get(opt_id, 0)
            if n > start:  # read once: a packed trace unpacks on each read
                pending[opt_id] = (trace.call_ids[start:n], trace.fx[start:n])
        while True:
            cut = _cut(pending, limit)
            points = {}
            for opt_id, (call_ids, fx) in list(pending.items()):
                taken = len(fx)
                if cut is not None:
                    taken = int(np.searchsorted(call_ids, cut, side="right"))
                if taken:
                    points[opt_id] = (call_ids[:taken].copy(), fx[:taken].copy())
                    self._sent[opt_id] = self._sent.get(opt_id, 0) + taken
                    pending[opt_id] = (call_ids[taken:], fx[taken:])
            taken = len(left)
            if cut is not None:
                taken = next((i for i, m in enumerate(left) if m.call_id > cut), taken)
            piece, left = HistoryDelta(points, left[:taken], cut), left[taken:]
            self._markers += taken
            yield piece
            if cut is None:
                return


def _cut(pending: dict[int, tuple[np.ndarray, np.ndarray]], limit: int | None) -> int | None:
    """Where the next piece of the ``pending`` points ends: ``None`` if they fit in ``limit``."""
    if limit is None or sum(len(fx) for _, fx in pending.values()) <= limit:
        return None
    return min(int(call_ids[0]) for call_ids, _ in pending.values() if len(call_ids)) + limit - 1
