"""One optimizer's data as the scope plots it.

This module's one concern is the per-optimizer storage behind
:class:`~glompo_scope_chkpt.scope.plot.ScopePlot`: a :class:`Series` applies elitism and the log
scale's rule to an optimizer's points, keeps them as :class:`~.bins.Bins` (a summary bounded by the
plot's pixel width, not by the number of points), tracks their value range and hands the line its
decimated points. It holds the optimizer's line artist but never draws it.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D

from .bins import Bins

__all__ = ["Series"]


class Series:
    """One optimizer's plotted data, summarised per bin of evaluation numbers.

    Parameters
    ----------
    line
        The optimizer's line artist.
    width
        The plot's current bin width (evaluations per bin).
    elitism
        Plot the running best instead of every value.
    positive_only
        Leave out values ``<= 0`` (a log scale cannot place them).
    """

    __slots__ = ("_cache", "best", "bins", "elitism", "first_call", "line", "positive_only")

    def __init__(self, line: Line2D, width: int, elitism: bool, positive_only: bool) -> None:
        self.line = line
        self.bins = Bins(width)
        self.elitism, self.positive_only = elitism, positive_only
        self.best = math.nan
        self.first_call: int | None = None
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

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
        self._cache = None

    def widen(self, width: int) -> None:
        """Merge the bins into wider ones (see :meth:`.Bins.widen`)."""
        if width > self.bins.width:
            self.bins.widen(width)
            self._cache = None

    def drop_outside(self, low: float, high: float | None) -> None:
        """Forget bins entirely outside ``[low, high]`` but one neighbour each side."""
        width = self.bins.width
        before = len(self.bins)
        high_key = None if high is None else int(high // width) + 1
        self.bins.drop_outside(int(low // width) - 1, high_key)
        if len(self.bins) != before:
            self._cache = None

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """The decimated points the line draws (cached until the data change)."""
        if self._cache is None:
            self._cache = self.bins.polyline()
        return self._cache

    def value_at(self, call_id: int) -> float:
        """The plotted value at or just before ``call_id`` (NaN without data)."""
        return self.bins.value_at(call_id)

    def y_range(self, xlim: tuple[float, float] | None) -> tuple[float, float]:
        """Lowest and highest plotted value, within ``xlim`` if given."""
        return self.bins.y_range(*(xlim or ()))
