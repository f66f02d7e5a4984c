"""A bounded summary of one optimizer's points: bins of evaluation numbers, drawn per pixel.

This module's one concern is decimation. A :class:`Bins` keeps, for each bin of ``width``
consecutive evaluation numbers (bin ``k`` holds ``call_id // width == k``), the first, lowest,
highest and last point that fell in it. Drawn in the order of their evaluation numbers, the lowest
and highest cover what every point of the bin covers when the bin is a pixel column or two wide: a
single spike among millions of points stays visible, and a frame draws at most two points per
column whatever the number of evaluations.

The summary is a function of the points and the width only. Merging is associative (the lowest of
a bin is the first point holding the lowest value, and so on), so the same points give the same
bins whether they arrive at once or one by one, and whether the width doubled before or after they
arrived. Points arrive in increasing evaluation number, as a trace holds them.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Bins"]

_COLUMNS = ("x_first", "y_first", "x_min", "y_min", "x_max", "y_max", "x_last", "y_last")
_EMPTY = np.empty((len(_COLUMNS), 0))


def _first_true(mask: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Index of the first true entry of ``mask`` at or after each of ``starts``."""
    hits = np.flatnonzero(mask)
    return hits[np.searchsorted(hits, starts)]


def _reduce(keys: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge rows of ``table`` (columns of :data:`_COLUMNS`) whose sorted ``keys`` are equal."""
    if keys.size == 0:
        return keys, table
    starts = np.flatnonzero(np.diff(keys, prepend=keys[0] - 1))
    ends = np.append(starts[1:], keys.size) - 1
    counts = np.diff(np.append(starts, keys.size))
    x_first, y_first, x_min, y_min, x_max, y_max, x_last, y_last = table
    low = np.minimum.reduceat(y_min, starts)
    high = np.maximum.reduceat(y_max, starts)
    at_low = _first_true(y_min == np.repeat(low, counts), starts)
    at_high = _first_true(y_max == np.repeat(high, counts), starts)
    merged = np.stack(
        (
            x_first[starts],
            y_first[starts],
            x_min[at_low],
            low,
            x_max[at_high],
            high,
            x_last[ends],
            y_last[ends],
        )
    )
    return keys[starts], merged


class Bins:
    """First, lowest, highest and last point of each non-empty bin of evaluation numbers.

    Parameters
    ----------
    width
        Evaluations per bin, a power of two.
    """

    __slots__ = ("keys", "table", "width")

    def __init__(self, width: int = 1) -> None:
        self.width = width
        self.keys = np.empty(0, dtype=np.int64)
        self.table = _EMPTY

    def __len__(self) -> int:
        return int(self.keys.size)

    def add(self, call_ids: np.ndarray, y: np.ndarray) -> None:
        """Add points with finite ``y``, ``call_ids`` increasing and after those added before."""
        keep = np.isfinite(y)
        x, y = np.asarray(call_ids[keep], dtype=np.float64), y[keep]
        if not x.size:
            return
        keys = np.concatenate((self.keys, call_ids[keep].astype(np.int64) // self.width))
        table = np.concatenate((self.table, np.stack((x, y) * 4)), axis=1)
        self.keys, self.table = _reduce(keys, table)

    def widen(self, width: int) -> None:
        """Merge the bins into bins of ``width`` evaluations (a larger power of two)."""
        if width <= self.width:
            return
        factor, self.width = width // self.width, width
        self.keys, self.table = _reduce(self.keys // factor, self.table)

    def drop_outside(self, low_key: int, high_key: int | None = None) -> None:
        """Forget the bins whose key is below ``low_key`` or above ``high_key``."""
        keep = self.keys >= low_key
        if high_key is not None:
            keep &= self.keys <= high_key
        if not keep.all():
            self.keys, self.table = self.keys[keep], self.table[:, keep]

    def polyline(self) -> tuple[np.ndarray, np.ndarray]:
        """The points to draw: each bin's lowest and highest, in evaluation order.

        A bin is at most a pixel column or two wide, so the line through them covers every value
        of the bin (its first and last lie between), as a line through every point would.
        """
        lows_first = self.table[2] <= self.table[4]
        xs = np.where(lows_first, self.table[2:5:2], self.table[4:1:-2]).T
        ys = np.where(lows_first, self.table[3:6:2], self.table[5:2:-2]).T
        fresh = np.ones_like(xs, dtype=bool)
        fresh[:, 1] = xs[:, 1] != xs[:, 0]
        return xs[fresh], ys[fresh]

    def envelope(self) -> np.ndarray:
        """Outline of the band from each bin's lowest to its highest value, shape ``(2n, 2)``.

        Along the highest values, then back along the lowest, each at the middle of its bin's
        points. Filling it costs a fraction of stroking the line through the same points, and
        covers the same pixels when the bins are a pixel column or two wide.
        """
        middle = (self.table[0] + self.table[6]) / 2
        top = np.column_stack((middle, self.table[5]))
        return np.concatenate((top, np.column_stack((middle, self.table[3]))[::-1]))

    def value_at(self, call_id: int) -> float:
        """The plotted value at ``call_id``: the kept point at or just before it (NaN if none)."""
        i = int(np.searchsorted(self.keys, call_id // self.width, side="right")) - 1
        if i < 0:
            return math.nan
        xs, ys = self.table[0::2, i], self.table[1::2, i]
        before = xs <= call_id
        if not before.any():  # the bin starts after call_id: the previous bin's last point
            return float(self.table[7, i - 1]) if i > 0 else math.nan
        return float(ys[before][np.argmax(xs[before])])

    def y_range(self, x_low: float = -math.inf, x_high: float = math.inf) -> tuple[float, float]:
        """Lowest and highest value of the bins overlapping ``[x_low, x_high]``."""
        inside = (self.table[6] >= x_low) & (self.table[0] <= x_high)
        if not inside.any():
            return math.inf, -math.inf
        return float(self.table[3, inside].min()), float(self.table[5, inside].max())
