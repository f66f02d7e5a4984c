"""One optimizer's data as the scope plots it.

This module's one concern is the per-optimizer storage behind
:class:`~glompo_scope_chkpt.scope.plot.ScopePlot`: a :class:`Series` applies elitism and the log
scale's rule to an optimizer's points, keeps them as :class:`~.bins.Bins` (a summary bounded by the
plot's pixel width, not by the number of points), tracks their value range and hands its artist the
decimated shape: the band between each bin's lowest and highest value (a polygon, widened to a
line's width, so a smooth stretch is a line), or with elitism the line through them (a running
best is smooth). It holds the artist but never draws it.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.transforms import Transform

from .bins import Bins

__all__ = ["Series"]


class Series:
    """One optimizer's plotted data, summarised per bin of evaluation numbers.

    Parameters
    ----------
    artist
        The optimizer's artist: a :class:`~matplotlib.patches.Polygon` for the band, or a
        :class:`~matplotlib.lines.Line2D` (with elitism).
    width
        The plot's current bin width (evaluations per bin).
    elitism
        Plot the running best instead of every value.
    positive_only
        Leave out values ``<= 0`` (a log scale cannot place them).
    """

    __slots__ = ("_fresh", "artist", "best", "bins", "elitism", "first_call", "positive_only")

    def __init__(
        self, artist: Polygon | Line2D, width: int, elitism: bool, positive_only: bool
    ) -> None:
        self.artist = artist
        self.bins = Bins(width)
        self.elitism, self.positive_only = elitism, positive_only
        self.best = math.nan
        self.first_call: int | None = None
        self._fresh = False

    def extend(self, call_ids: np.ndarray, fx: np.ndarray) -> None:
        """Add an optimizer's next points (``call_ids`` increasing)."""
        if self.first_call is None:
            self.first_call = int(call_ids[0])
        y = np.where(np.isfinite(fx), fx, np.nan)
        if self.elitism:
            y = np.fmin.accumulate(np.concatenate(([self.best], y)))[1:]
            self.best = float(y[-1])
        if self.positive_only:
            y = np.where(y > 0, y, np.nan)
        self.bins.add(call_ids, y)
        self._fresh = False

    def widen(self, width: int) -> None:
        """Merge the bins into wider ones (see :meth:`.Bins.widen`)."""
        if width > self.bins.width:
            self.bins.widen(width)
            self._fresh = False

    def drop_outside(self, low: float, high: float | None) -> None:
        """Forget bins entirely outside ``[low, high]`` but one neighbour each side."""
        width = self.bins.width
        before = len(self.bins)
        high_key = None if high is None else int(high // width) + 1
        self.bins.drop_outside(int(low // width) - 1, high_key)
        if len(self.bins) != before:
            self._fresh = False

    def update_artist(self, to_pixels: Transform, half_width: float) -> None:
        """Give the artist the current decimated shape (once per change of the data or limits).

        The band is placed in pixels (``to_pixels`` maps data to them), widened by
        ``half_width`` pixels above and below so that a smooth stretch is a line that thick: a
        filled band costs a third of an outlined one when its edges are ragged.
        """
        if self._fresh:
            return
        if isinstance(self.artist, Polygon):
            xy = to_pixels.transform(self.bins.envelope()) if len(self.bins) else np.zeros((0, 2))
            half = len(xy) // 2
            xy[:half, 1] += half_width
            xy[half:, 1] -= half_width
            self.artist.set_xy(xy)
        else:
            self.artist.set_data(*self.bins.polyline())
        self._fresh = True

    def limits_changed(self) -> None:
        """Place the band again at the next :meth:`update_artist`."""
        self._fresh = False

    def value_at(self, call_id: int) -> float:
        """The plotted value at or just before ``call_id`` (NaN without data)."""
        return self.bins.value_at(call_id)

    def y_range(self, xlim: tuple[float, float] | None) -> tuple[float, float]:
        """Lowest and highest plotted value, within ``xlim`` if given."""
        return self.bins.y_range(*(xlim or ()))
