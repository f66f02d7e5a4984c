"""One optimizer's data as the scope plots it.

This module's one concern is the per-optimizer series storage behind
:class:`~glompo_scope_chkpt.scope.plot.ScopePlot`: a :class:`Series` keeps an optimizer's points
(with elitism applied) in geometrically growing arrays, tracks their value range, and answers
which points fall in a window and what value is plotted at a given evaluation. It holds the
optimizer's line artist but never draws it.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D

__all__ = ["Series"]


class Series:
    """One optimizer's plotted data, stored in geometrically growing arrays."""

    __slots__ = ("absmin", "best", "drawn", "line", "n", "x", "y", "ymax", "ymin")

    def __init__(self, line: Line2D) -> None:
        self.line = line
        self.x = np.empty(256, dtype=np.float64)
        self.y = np.empty(256, dtype=np.float64)
        self.n = 0
        self.best = math.nan
        self.ymin, self.ymax, self.absmin = math.inf, -math.inf, math.inf
        self.drawn = 0

    def extend(self, x: np.ndarray, fx: np.ndarray, elitism: bool) -> None:
        y = np.where(np.isfinite(fx), fx, np.nan)
        if elitism:
            y = np.fmin.accumulate(np.concatenate(([self.best], y)))[1:]
            self.best = float(y[-1])
        end = self.n + len(x)
        if end > len(self.x):
            size = max(end, 2 * len(self.x))
            self.x, self.y = np.resize(self.x, size), np.resize(self.y, size)
        self.x[self.n : end], self.y[self.n : end] = x, y
        self.n = end
        finite = y[np.isfinite(y)]
        if finite.size:
            self.ymin = min(self.ymin, float(finite.min()))
            self.ymax = max(self.ymax, float(finite.max()))
            nonzero = np.abs(finite[finite != 0])
            if nonzero.size:
                self.absmin = min(self.absmin, float(nonzero.min()))

    def visible(self, xlim: tuple[float, float] | None) -> slice:
        """Index range of the points within ``xlim`` plus one neighbour each side."""
        if xlim is None:
            return slice(0, self.n)
        x = self.x[: self.n]
        low = max(0, int(np.searchsorted(x, xlim[0])) - 1)
        return slice(low, min(self.n, int(np.searchsorted(x, xlim[1], side="right")) + 1))

    def value_at(self, call_id: int) -> float:
        """The plotted value at or just before ``call_id`` (NaN without data)."""
        if not self.n:
            return math.nan
        i = max(0, int(np.searchsorted(self.x[: self.n], call_id, side="right")) - 1)
        return float(self.y[i])
