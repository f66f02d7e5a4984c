"""Which frames the movie holds and what each shows: a function of the run, not of the clock.

This module's one concern is cutting the run's event history into frames. Frame boundaries lie
on the evaluation numbers (``call_id``) a :class:`FrameGrid` fixes in advance: every
``events_per_flush`` evaluations, thinned after ``max_frames`` frames (see
:mod:`.vis_args`). The frame at boundary ``b`` shows the run as it stood right after evaluation
``b`` was counted: every point with ``call_id <= b`` and every marker added before it (``call_id
< b``; a marker added at ``b`` itself, such as the checkpoint taken there, appears in the next
frame). The run's end adds one last frame showing everything.

A :class:`FrameSplitter` takes what the history gained, in deltas of any size (as a lagging
renderer receives them, or all at once when a movie is drawn after the fact), and hands out
exactly these frames, so the picture never depends on how fast the renderer kept up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..core.history import Marker
from .cursor import HistoryDelta

__all__ = ["FrameGrid", "FrameSplitter"]


@dataclass(frozen=True)
class FrameGrid:
    """The evaluation numbers at which frames are drawn.

    Parameters
    ----------
    every
        ``events_per_flush``: evaluations between two frames before any thinning.
    max_frames
        Frames drawn at that spacing before it starts doubling, or ``None`` for no thinning.
        Frame ``k`` (at ``k * every``) is kept when ``k <= max_frames``, else when ``k`` is a
        multiple of ``2**j`` with ``j`` the bit length of ``ceil(k / max_frames) - 1``.
    """

    every: int
    max_frames: int | None = None

    def _stride(self, k: int) -> int:
        if self.max_frames is None or k <= self.max_frames:
            return 1
        return 1 << (-(-k // self.max_frames) - 1).bit_length()

    def keeps(self, k: int) -> bool:
        """Whether grid point ``k`` (evaluation ``k * every``) is a frame."""
        return k >= 1 and k % self._stride(k) == 0

    def next_after(self, call_id: int) -> int:
        """The first frame boundary strictly after evaluation ``call_id``."""
        k = max(0, call_id) // self.every + 1
        while not self.keeps(k):
            stride = self._stride(k)
            k = (k // stride + 1) * stride
        return k * self.every

    def boundaries(self, start: int, end: int) -> Iterator[int]:
        """Every frame boundary ``b`` with ``start < b <= end``."""
        b = self.next_after(start)
        while b <= end:
            yield b
            b = self.next_after(b)


@dataclass
class FrameSplitter:
    """Cuts deltas of the history into the frames a :class:`FrameGrid` fixes.

    Parameters
    ----------
    grid
        Where frames lie.

    Notes
    -----
    A checkpoint marker at an evaluation number that already has one is dropped too: a second
    checkpoint taken at the same point (an interruption right at a scheduled checkpoint) draws
    no second line.
    """

    grid: FrameGrid
    last: int = 0
    """The boundary of the last frame handed out (0 before the first)."""
    _points: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _markers: list[Marker] = field(default_factory=list)
    _checkpoints: set[int] = field(default_factory=set)

    def add(self, delta: HistoryDelta) -> None:
        """Buffer what the history gained (points of each optimizer arrive in order)."""
        for opt_id, (call_ids, fx) in delta.points.items():
            held = self._points.get(opt_id)
            if held is not None:
                call_ids, fx = np.concatenate((held[0], call_ids)), np.concatenate((held[1], fx))
            self._points[opt_id] = (call_ids, fx)
        for marker in delta.markers:
            if marker.kind == "checkpoint":
                if marker.call_id in self._checkpoints:
                    continue
                self._checkpoints.add(marker.call_id)
            self._markers.append(marker)

    def _take(self, boundary: int, markers_through: int) -> HistoryDelta:
        points = {}
        for opt_id, (call_ids, fx) in list(self._points.items()):
            cut = int(np.searchsorted(call_ids, boundary, side="right"))
            if cut:
                points[opt_id] = (call_ids[:cut], fx[:cut])
                if cut == len(call_ids):
                    del self._points[opt_id]
                else:
                    self._points[opt_id] = (call_ids[cut:], fx[cut:])
        cut = next(
            (i for i, m in enumerate(self._markers) if m.call_id > markers_through),
            len(self._markers),
        )
        markers, self._markers = self._markers[:cut], self._markers[cut:]
        return HistoryDelta(points, markers)

    def frames(self, frontier: int) -> Iterator[tuple[int, HistoryDelta]]:
        """Hand out, in order, each frame whose boundary is at most ``frontier``.

        ``frontier`` promises that every point up to it and every marker before it was added.
        """
        for boundary in self.grid.boundaries(self.last, frontier):
            self.last = boundary
            yield boundary, self._take(boundary, boundary - 1)

    def final(self) -> HistoryDelta:
        """Everything left: the run's last frame (after :meth:`frames` up to the run's end)."""
        return self._take(np.iinfo(np.int64).max, np.iinfo(np.int64).max)
