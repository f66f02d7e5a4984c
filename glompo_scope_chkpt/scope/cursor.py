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

from ..core.history import History, Marker, Trace

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
            if n > start:
                pending[opt_id] = _Unsent(trace, start, n)
        while True:
            cut = _cut(pending, limit)
            points = {}
            for opt_id, unsent in list(pending.items()):
                taken = unsent.take(cut)
                if taken is not None:
                    points[opt_id] = taken
                    self._sent[opt_id] = unsent.start
                if not len(unsent):
                    del pending[opt_id]
            taken_markers = len(left)
            if cut is not None:
                taken_markers = next((i for i, m in enumerate(left) if m.call_id > cut), len(left))
            piece, left = HistoryDelta(points, left[:taken_markers], cut), left[taken_markers:]
            self._markers += taken_markers
            yield piece
            if cut is None:
                return


class _Unsent:
    """The points ``[start, stop)`` of a trace not handed out yet.

    They are read from the trace only when a piece reaches them: a packed (ended) trace is then
    unpacked once, and a resumed session catching up its whole history never holds every ended
    trace unpacked at once.
    """

    __slots__ = ("_columns", "start", "stop", "trace")

    def __init__(self, trace: Trace, start: int, stop: int) -> None:
        self.trace, self.start, self.stop = trace, start, stop
        self._columns: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return self.stop - self.start

    def first_call(self) -> int:
        """The evaluation number of the first point not handed out."""
        if self._columns is None and self.start == 0:
            return self.trace.first_call
        return int(self._read()[0][0])

    def _read(self) -> tuple[np.ndarray, np.ndarray]:
        if self._columns is None:
            call_ids, fx = self.trace.columns()
            self._columns = (call_ids[self.start : self.stop], fx[self.start : self.stop])
        return self._columns

    def take(self, cut: int | None) -> tuple[np.ndarray, np.ndarray] | None:
        """Hand out (copies of) the points up to ``cut`` (all without one), or ``None`` if none."""
        if cut is not None and self.first_call() > cut:
            return None
        call_ids, fx = self._read()
        n = len(fx) if cut is None else int(np.searchsorted(call_ids, cut, side="right"))
        self._columns, self.start = (call_ids[n:], fx[n:]), self.start + n
        return call_ids[:n].copy(), fx[:n].copy()


def _cut(pending: dict[int, _Unsent], limit: int | None) -> int | None:
    """Where the next piece of the ``pending`` points ends: ``None`` if they fit in ``limit``."""
    if limit is None or sum(len(unsent) for unsent in pending.values()) <= limit:
        return None
    return min(unsent.first_call() for unsent in pending.values()) + limit - 1
